/* types.h: limits and small types shared across the public API. */
#ifndef ASYNCTASKS_TYPES_H
#define ASYNCTASKS_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Text limits, in characters; buffers hold the UTF-8 bytes plus NUL. */
#define AT_NAME_MAX      190 /* user and business display names, emails */
#define AT_NAME_BUF      (AT_NAME_MAX * 4 + 1)
#define AT_SLUG_MAX      64 /* business slugs: [a-z0-9-] */
#define AT_SLUG_BUF      (AT_SLUG_MAX + 1)
#define AT_TYPE_NAME_MAX 100 /* task type names: [a-z0-9_.-] */
#define AT_TYPE_NAME_BUF (AT_TYPE_NAME_MAX + 1)
#define AT_REASON_MAX    500 /* pause reasons */
#define AT_REASON_BUF    (AT_REASON_MAX * 4 + 1)
#define AT_DESC_MAX      500 /* task type descriptions */
#define AT_DESC_BUF      (AT_DESC_MAX * 4 + 1)
/* idempotency keys of enqueues: 1 to 255 visible ASCII characters, no
 * quote or backslash; a key stands for its first task for 24 hours */
#define AT_IDEM_KEY_MAX  255
#define AT_IDEM_KEY_BUF  (AT_IDEM_KEY_MAX + 1)
#define AT_IDEM_TTL_S    86400

/* Timestamps are microseconds since 1970-01-01 UTC; 0 means "none". */
typedef int64_t at_time;

/* Who does something, as the audit log records it: a user of the
 * platform (user_id set, name = their email), or the operator at the
 * command line (user_id 0, name such as "cli:root"). */
typedef struct at_actor {
    uint64_t user_id;
    const char *name;
} at_actor;

#endif
