/* spool.c: the spool's part of retention: the files tasks left in the
 * spool directory (spool_dir; an export's CSV, or a temporary file a
 * crash left behind) that nobody has modified since the cut-off.
 *
 * The spool is written by the tasks' plugins, as the account the programs
 * run as, so the walk trusts nothing in it: it opens each directory
 * relative to its parent without following a symbolic link, removes a
 * symbolic link itself rather than what it names, and stays on the spool's
 * own file system. Directories stay (a plugin may expect its own); only
 * what is in them goes. A file that cannot be removed is counted and the
 * walk goes on. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SPOOL_DEPTH_MAX 32

typedef struct walk {
    int64_t before;
    bool dry_run;
    unsigned batch, pause_ms, in_batch;
    volatile sig_atomic_t *stop;
    dev_t dev;
    at_prune_result *r;
} walk;

static bool
stopping(const walk *w)
{
    return w->stop && *w->stop;
}

static void
failed(walk *w, const char *path, const char *name, int e)
{
    if (!w->r->spool_failed++)
        snprintf(w->r->spool_error, sizeof w->r->spool_error, "cannot remove %s/%s: %s", path,
                 name, strerror(e));
}

/* After every batch of removals, the pause: the disk is shared too. */
static void
paced(walk *w)
{
    if (++w->in_batch < w->batch || !w->pause_ms)
        return;
    w->in_batch = 0;
    struct timespec ts = {w->pause_ms / 1000, (long) (w->pause_ms % 1000) * 1000000L};
    while (!stopping(w) && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void walk_dir(walk *w, int fd, const char *path, unsigned depth);

static void
one(walk *w, int dfd, const char *path, const char *name, unsigned depth)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            failed(w, path, name, errno);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != w->dev || depth >= SPOOL_DEPTH_MAX)
            return;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            failed(w, path, name, errno);
            return;
        }
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, name);
        walk_dir(w, fd, sub, depth + 1);
        return;
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return; /* a socket or fifo is somebody's, not a file a task left */
    if ((int64_t) st.st_mtime >= w->before)
        return;
    if (!w->dry_run && unlinkat(dfd, name, 0) < 0) {
        if (errno != ENOENT)
            failed(w, path, name, errno);
        return;
    }
    w->r->spool_files++;
    w->r->spool_bytes += S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
    if (!w->dry_run)
        paced(w);
}

/* Takes fd (closes it). */
static void
walk_dir(walk *w, int fd, const char *path, unsigned depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        failed(w, path, ".", errno);
        close(fd);
        return;
    }
    struct dirent *e;
    while (!stopping(w) && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        one(w, dirfd(d), path, e->d_name, depth);
    }
    closedir(d);
}

int
at_spool_prune(const char *dir, int64_t before, bool dry_run, unsigned batch, unsigned pause_ms,
               volatile sig_atomic_t *stop, at_prune_result *out, at_error *err)
{
    if (!dir || !*dir)
        return at_error_set(err, AT_ECONFIG, "no spool_dir is configured");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return at_error_set(err, AT_EIO, "cannot open the spool directory %s: %s", dir,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return at_error_set(err, AT_EIO, "cannot read the spool directory %s: %s", dir,
                            strerror(e));
    }
    walk w = {before, dry_run, batch ? batch : 1000, pause_ms, 0, stop, st.st_dev, out};
    walk_dir(&w, fd, dir, 0);
    if (stopping(&w))
        out->stopped = true;
    return AT_OK;
}
