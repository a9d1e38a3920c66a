/* plugin_trust.c: whether a plugin file may be loaded at all, by who can
 * change it, as sshd's StrictModes judges a user's keys: the file and every
 * directory from it up to / must belong to root or the running user, and
 * be writable by nobody else. Otherwise anyone who could write one of them
 * could run code in the supervisor's executors.
 *
 * The path is resolved first (realpath), so symbolic links are judged by
 * what they point to, and the directories checked are those the loader
 * reads through. The file is opened without following links and checked
 * with fstat on that descriptor: what is judged is what was opened. The
 * loader then dlopens the resolved path; nobody but root and the running
 * user can change any directory of it in between, which is why every one
 * of them is checked. A directory writable by others may stand on the way
 * only with the sticky bit (as /tmp), where an entry can be renamed or
 * removed by its owner alone, and the entry below it is checked too; the
 * directory plugins are loaded from must not be writable by others at all,
 * sticky or not, or anyone could add a file to it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* "uid 65534 (nobody)" */
static void
owner_text(uid_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, len, "uid %u (%s)", (unsigned) uid, pw->pw_name);
    else
        snprintf(buf, len, "uid %u", (unsigned) uid);
}

/* The rule for one file or directory: what is wrong with it, or AT_OK.
 * may_be_sticky: a directory on the way, not the one loaded from. */
static int
judge(const char *what, const char *path, const struct stat *st, int may_be_sticky,
      at_error *err)
{
    uid_t me = geteuid();
    if (st->st_uid != 0 && st->st_uid != me) {
        char owner[64], self[64];
        owner_text(st->st_uid, owner, sizeof owner);
        owner_text(me, self, sizeof self);
        return at_error_set(err, AT_EPLUGIN,
                            "%s %s is owned by %s, not by root or the running user, %s", what,
                            path, owner, self);
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(may_be_sticky && (st->st_mode & S_ISVTX)))
        return at_error_set(err, AT_EPLUGIN, "%s %s is writable by %s (mode %04o)%s", what, path,
                            (st->st_mode & S_IWOTH) ? "others" : "its group",
                            (unsigned) (st->st_mode & 07777),
                            may_be_sticky ? " without the sticky bit" : "");
    return AT_OK;
}

/* Judges every directory of the absolute, resolved path dir, from dir up
 * to /. strict: dir itself may not be sticky and writable. */
static int
judge_dirs(const char *dir, int strict, at_error *err)
{
    char path[PATH_MAX];
    if (strlen(dir) >= sizeof path)
        return at_error_set(err, AT_EPLUGIN, "path %s is too long", dir);
    at_strlcpy(path, dir, sizeof path);
    for (int first = 1;; first = 0) {
        struct stat st;
        const char *p = *path ? path : "/";
        if (lstat(p, &st) < 0)
            return at_error_set(err, AT_EPLUGIN, "cannot check directory %s: %s", p,
                                strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return at_error_set(err, AT_EPLUGIN, "%s is not a directory", p);
        int rc = judge("directory", p, &st, !(first && strict), err);
        if (rc || !*path)
            return rc;
        *strrchr(path, '/') = 0;
    }
}

int
at_plugin_trust_dir(const char *dir, at_error *err)
{
    char *real = realpath(dir, NULL);
    if (!real)
        return at_error_set(err, AT_EIO, "cannot read plugin directory %s: %s", dir,
                            strerror(errno));
    int rc = judge_dirs(real, 1, err);
    free(real);
    if (rc)
        at_error_wrap(err, "plugin directory %s", dir);
    return rc;
}

int
at_plugin_trust_file(const char *path, char **resolved, at_error *err)
{
    *resolved = NULL;
    char *real = realpath(path, NULL);
    if (!real)
        return at_error_set(err, AT_EPLUGIN, "cannot be loaded: %s", strerror(errno));
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    int rc = AT_OK;
    if (fd < 0 || fstat(fd, &st) < 0)
        rc = at_error_set(err, AT_EPLUGIN, "cannot be loaded: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = at_error_set(err, AT_EPLUGIN, "%s is not a regular file", real);
    else
        rc = judge("file", real, &st, 0, err);
    if (fd >= 0)
        close(fd);
    if (rc == AT_OK) {
        *strrchr(real, '/') = 0;
        rc = judge_dirs(real, 0, err);
        if (rc == AT_OK)
            real[strlen(real)] = '/';
    }
    if (rc) {
        free(real);
        return rc;
    }
    *resolved = real;
    return AT_OK;
}
