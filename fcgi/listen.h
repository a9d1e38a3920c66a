/* listen.h: the app's own unix socket (listen.c). */
#ifndef AT_FCGI_LISTEN_H
#define AT_FCGI_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/* A listening socket at path with the given mode, or -1 with what went
 * wrong in msg: a live socket there (another instance), something else
 * than a socket there, a missing directory, a path too long. A socket
 * file nobody accepts on is replaced. */
int fc_listen_unix(const char *path, mode_t mode, char *msg, size_t len);

#endif
