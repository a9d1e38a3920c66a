/* listen.h: the app's own unix socket (listen.c). */
#ifndef AT_FCGI_LISTEN_H
#define AT_FCGI_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/* A listening socket at path with the given mode, owner and group
 * ((uid_t) -1 and (gid_t) -1: as created), or -1 with what went wrong in
 * msg: a live socket there (another instance), something else than a
 * socket there, a missing directory, a path too long, an owner or group
 * it cannot be given. A socket file nobody accepts on is replaced. */
int fc_listen_unix(const char *path, mode_t mode, uid_t owner, gid_t group, char *msg,
                   size_t len);

/* The listening socket a service manager handed over: fd 3 when
 * LISTEN_PID is this process and LISTEN_FDS is 1 (socket activation; the
 * variables are then removed from the environment), else fd 0 when it is
 * a listening stream socket (the FastCGI convention). *how says which.
 * -1 when there is none; -2 with msg when what was handed over is not
 * one listening socket. */
int fc_listen_inherited(const char **how, char *msg, size_t len);

#endif
