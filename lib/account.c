/* account.c: the system account a program started as root runs as. One
 * rule for every program: become the configured user (and group), refuse
 * root without one, stay root only when the configuration insists. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#include <asynctasks/account.h>

int
at_user_id(const char *name, uid_t *uid, gid_t *gid, at_error *err)
{
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return at_error_set(err, AT_ECONFIG, "user %s: %s", name,
                            errno ? strerror(errno) : "no such account");
    *uid = pw->pw_uid;
    if (gid)
        *gid = pw->pw_gid;
    return AT_OK;
}

int
at_group_id(const char *name, gid_t *gid, at_error *err)
{
    errno = 0;
    struct group *gr = getgrnam(name);
    if (!gr)
        return at_error_set(err, AT_ECONFIG, "group %s: %s", name,
                            errno ? strerror(errno) : "no such group");
    *gid = gr->gr_gid;
    return AT_OK;
}

int
at_account_of(const at_config *cfg, const char *program, at_account *acc, at_error *err)
{
    memset(acc, 0, sizeof *acc);
    if (geteuid() != 0)
        return AT_OK;
    if (!cfg->user || !*cfg->user)
        return at_error_set(err, AT_ECONFIG,
                            "refusing to run as root: set \"user = NAME\" in %s to the account "
                            "%s should run as (or \"user = root\" to insist)",
                            cfg->path, program);
    if (strcmp(cfg->user, "root") == 0) {
        acc->root_insists = 1;
        return AT_OK;
    }
    int rc = at_user_id(cfg->user, &acc->uid, &acc->gid, err);
    if (!rc && cfg->group)
        rc = at_group_id(cfg->group, &acc->gid, err);
    if (rc)
        return at_error_wrap(err, "%s", cfg->path);
    at_strlcpy(acc->name, cfg->user, sizeof acc->name);
    acc->change = 1;
    return AT_OK;
}

int
at_account_become(const at_account *acc, at_error *err)
{
    if (!acc->change)
        return AT_OK;
    if (initgroups(acc->name, acc->gid) < 0 || setgid(acc->gid) < 0 || setuid(acc->uid) < 0)
        return at_error_set(err, AT_EIO, "cannot become %s: %s", acc->name, strerror(errno));
    if (setuid(0) == 0)
        return at_error_set(err, AT_EIO, "could regain root after becoming %s", acc->name);
    return AT_OK;
}
