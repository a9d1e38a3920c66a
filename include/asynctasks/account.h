/* account.h: the system account a program runs as (lib/account.c). */
#ifndef ASYNCTASKS_ACCOUNT_H
#define ASYNCTASKS_ACCOUNT_H

#include <sys/types.h>

#include <asynctasks/config.h>
#include <asynctasks/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whom a program started as root becomes: cfg's user, with its own group
 * or cfg's group. */
typedef struct at_account {
    int change;       /* 1: become uid/gid; 0: stay as started */
    int root_insists; /* started as root and the configuration says user = root */
    uid_t uid;
    gid_t gid;
    char name[64];
} at_account;

/* The uid (and primary gid, when gid is not NULL) of the account name;
 * AT_ECONFIG "user NAME: no such account" when there is none. */
int at_user_id(const char *name, uid_t *uid, gid_t *gid, at_error *err);
/* The gid of the group name; AT_ECONFIG "group NAME: no such group". */
int at_group_id(const char *name, gid_t *gid, at_error *err);

/* The rule for every program started as root: it becomes cfg->user
 * (with cfg->group when set), refuses to run as root without user
 * (AT_ECONFIG, saying what to set), and stays root only when user = root
 * (root_insists). A program not started as root stays as it is. Errors
 * name the configuration file. */
int at_account_of(const at_config *cfg, const char *program, at_account *acc, at_error *err);

/* Becomes acc (nothing when acc->change is 0): the supplementary groups
 * of the account, the group, then the user; fails when root could be
 * regained afterwards. */
int at_account_become(const at_account *acc, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
