/* listen.c: the app's own unix socket. It is bound here rather than by
 * libfcgi, which removes whatever is at the path first (taking the socket
 * from an instance still running, which then serves nobody) and exits
 * with its errno and no path when it cannot bind. Here a live socket is
 * refused, a stale one (nobody accepts on it) replaced, and every failure
 * names the path. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

#define BACKLOG 128

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

int
fc_listen_unix(const char *path, mode_t mode, char *msg, size_t len)
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
