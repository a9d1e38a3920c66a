/* business.h: the tenants. */
#ifndef ASYNCTASKS_BUSINESS_H
#define ASYNCTASKS_BUSINESS_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_business {
    uint64_t id;
    char slug[AT_SLUG_BUF];
    char name[AT_NAME_BUF];
    at_time created_at;
} at_business;

/* slug: 1-64 of [a-z0-9-], not starting with '-'; name: display name. */
int at_business_add(at_db *db, const char *slug, const char *name, uint64_t *id, at_error *err);
int at_business_get(at_db *db, const char *slug, at_business *out, at_error *err);
int at_business_get_by_id(at_db *db, uint64_t id, at_business *out, at_error *err);

/* All businesses by slug; *out is malloc'd (free() it). */
int at_business_list(at_db *db, at_business **out, size_t *n, at_error *err);

/* A business's cap on running tasks, over every supervisor: -1
 * (AT_CAP_DEFAULT) when it has none of its own and the configured default
 * (max_running) applies; 0: no cap. Setting it is audited. */
#define AT_CAP_DEFAULT (-1)
#define AT_CAP_MAX     1000000
int at_business_cap_get(at_db *db, uint64_t business_id, int64_t *cap, at_error *err);
int at_business_cap_set(at_db *db, const at_actor *actor, uint64_t business_id, int64_t cap,
                        at_error *err);

#ifdef __cplusplus
}
#endif
#endif
