/* params.h: every parameter of every route is declared once, with its
 * validator; handlers read only the typed values that passed. */
#ifndef FC_PARAMS_H
#define FC_PARAMS_H

#include <stdint.h>

#include <asynctasks/asynctasks.h>

#include "request.h"

enum fc_ptype {
    FC_P_SLUG,     /* a business slug */
    FC_P_ENUM,     /* one of choices[]; i is its index */
    FC_P_INT,      /* decimal in [min, max] */
    FC_P_ID,       /* decimal id >= 1 */
    FC_P_IDS,      /* one or more ids (repeated key) */
    FC_P_TEXT,     /* one line of text, up to max characters */
    FC_P_MULTILINE,/* text with line breaks, up to max bytes */
    FC_P_CURSOR,   /* a page cursor: [a-z0-9-], at most AT_CURSOR_BUF */
    FC_P_TOKEN,    /* a 64-hex-digit token (CSRF) */
    FC_P_TIME,     /* a time as at_time_parse takes it, or a datetime-local value */
    FC_P_PATH      /* a local path to return to: "/..." but not "//", that fits a
                      Location (FC_LOCATION_MAX) once percent-encoded */
};

typedef struct fc_param {
    const char *name;
    enum fc_ptype type;
    int required;
    long long min, max;          /* FC_P_INT; max characters for text */
    const char *const *choices;  /* FC_P_ENUM, NULL-terminated */
    const char *def;             /* default when absent (ENUM, INT) */
} fc_param;

typedef struct fc_value {
    int present;       /* given, or defaulted */
    const char *s;     /* the text (borrowed from the request) */
    long long i;       /* INT, ID, ENUM index */
    at_time t;         /* TIME */
    uint64_t *ids;     /* IDS (malloc'd) */
    size_t nids;
} fc_value;

/* Checks in against spec; out[k] belongs to spec[k]. Unknown keys are
 * ignored. now: the clock relative times count from. On failure: AT_EINVAL
 * and a message that names the parameter. */
int fc_params_check(const fc_param *spec, size_t n, const fc_kvlist *in, at_time now,
                    fc_value *out, at_error *err);
void fc_params_free(fc_value *out, size_t n);

#endif
