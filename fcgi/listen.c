/* listen.c: the listening socket: one handed over by a service manager,
 * or the app's own unix socket. The latter is bound here rather than by
 * libfcgi, which removes whatever is at the path first (taking the socket
 * from an instance still running, which then serves nobody) and exits
 * with its errno and no path when it cannot bind. Here a live socket is
 * refused, a stale one (nobody accepts on it) replaced, and every failure
 * names the path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

#define BACKLOG 128
#define SD_LISTEN_FDS_START 3 /* the first fd socket activation passes */

/* Whether a server accepts connections on the socket at path. */
static bool
someone_listens(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool yes = connect(fd, (const struct sockaddr *) sa, sizeof *sa) == 0;
    close(fd);
    return yes;
}

/* Why nothing can be bound at path (errno e), in words. */
static void
say_bind_error(const char *path, int e, char *msg, size_t len)
{
    if (e == ENOENT || e == ENOTDIR)
        snprintf(msg, len, "cannot listen on %s: its directory does not exist", path);
    else
        snprintf(msg, len, "cannot listen on %s: %s", path, strerror(e));
}

/* Binds fd at path: a socket file that nobody listens on is removed
 * first; anything else there is left alone and refused. */
static int
bind_path(int fd, const struct sockaddr_un *sa, const char *path, char *msg, size_t len)
{
    if (bind(fd, (const struct sockaddr *) sa, sizeof *sa) == 0)
        return 0;
    if (errno != EADDRINUSE) {
        say_bind_error(path, errno, msg, len);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        snprintf(msg, len, "cannot listen on %s: it exists and is not a socket", path);
        return -1;
    }
    if (someone_listens(sa)) {
        snprintf(msg, len,
                 "cannot listen on %s: another server is listening there (is asynctasks-fcgi "
                 "already running?)",
                 path);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(msg, len, "cannot remove the stale socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (bind(fd, (const struct sockaddr *) sa, sizeof *sa) != 0) {
        say_bind_error(path, errno, msg, len);
        return -1;
    }
    return 0;
}

/* Gives the socket at path its owner and group, when either is set. */
static int
give_socket(const char *path, uid_t owner, gid_t group, char *msg, size_t len)
{
    if (owner == (uid_t) -1 && group == (gid_t) -1)
        return 0;
    if (lchown(path, owner, group) == 0)
        return 0;
    snprintf(msg, len, "cannot give the socket %s to owner %ld, group %ld: %s", path,
             owner == (uid_t) -1 ? -1L : (long) owner, group == (gid_t) -1 ? -1L : (long) group,
             strerror(errno));
    return -1;
}

int
fc_listen_unix(const char *path, mode_t mode, uid_t owner, gid_t group, char *msg, size_t len)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (!path || !*path) {
        snprintf(msg, len, "no socket to listen on: give --listen or fcgi_listen");
        return -1;
    }
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(msg, len, "cannot listen on %s: a socket path has at most %zu bytes", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(msg, len, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    mode_t old = umask((mode_t) ~mode & 0777);
    int rc = bind_path(fd, &sa, path, msg, len);
    umask(old);
    if (rc == 0 && give_socket(path, owner, group, msg, len) != 0) {
        unlink(path);
        rc = -1;
    }
    if (rc == 0 && listen(fd, BACKLOG) != 0) {
        snprintf(msg, len, "cannot listen on %s: %s", path, strerror(errno));
        unlink(path);
        rc = -1;
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool
is_listening_socket(int fd)
{
    int type = 0, acc = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
        return false;
    len = sizeof acc;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

/* A decimal environment variable, or -1 when it is unset or not one. */
static long
env_number(const char *name)
{
    const char *v = getenv(name);
    char *end;
    if (!v || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    long n = strtol(v, &end, 10);
    return *end || errno ? -1 : n;
}

/* The socket of socket activation: -1 when it is not meant for us. */
static int
activated_socket(char *msg, size_t len)
{
    long pid = env_number("LISTEN_PID"), fds = env_number("LISTEN_FDS");
    if (pid != (long) getpid() || fds < 0)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (fds != 1) {
        snprintf(msg, len, "socket activation passed %ld sockets; asynctasks-fcgi listens on one",
                 fds);
        return -2;
    }
    if (!is_listening_socket(SD_LISTEN_FDS_START)) {
        snprintf(msg, len, "socket activation passed fd %d, which is not a listening stream socket",
                 SD_LISTEN_FDS_START);
        return -2;
    }
    fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC);
    return SD_LISTEN_FDS_START;
}

int
fc_listen_inherited(const char **how, char *msg, size_t len)
{
    int fd = activated_socket(msg, len);
    if (fd != -1) {
        *how = "fd 3 (socket activation)";
        return fd;
    }
    *how = "fd 0";
    return is_listening_socket(0) ? 0 : -1;
}
