/* pidfile.c: a program's pidfile, locked for as long as the program lives:
 * a second instance with the same pidfile refuses to start, while a file
 * left behind by a crash (no lock held) is simply taken over. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

int
at_pidfile_take(const char *path, const char *program, int *fd_out, at_error *err)
{
    *fd_out = -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return at_error_set(err, AT_EIO, "cannot open pidfile %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char buf[32] = "";
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        buf[strcspn(buf, "\n")] = 0;
        close(fd);
        return at_error_set(err, AT_ECONFLICT, "another %s holds %s (pid %s)", program, path,
                            *buf ? buf : "?");
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d\n", (int) getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t) n) != n) {
        int e = errno;
        close(fd);
        return at_error_set(err, AT_EIO, "cannot write pidfile %s: %s", path, strerror(e));
    }
    *fd_out = fd;
    return AT_OK;
}
