/* params.c: the validators behind every route's parameter table. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "uri.h"

static int
decimal(const char *s, long long min, long long max, long long *out)
{
    if (!*s || strlen(s) > 19)
        return -1;
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && !(p == s && *p == '-'))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
hexdigits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* A datetime-local control sends "YYYY-MM-DDTHH:MM" (UTC here). */
static int
time_value(const char *s, at_time now, at_time *out, at_error *err)
{
    return at_time_parse(s, now, out, err);
}

static int
one(const fc_param *p, const char *s, at_time now, fc_value *v, at_error *err)
{
    at_error tmp;
    switch (p->type) {
    case FC_P_SLUG:
        if (at_check_slug(s, &tmp))
            return at_error_set(err, AT_EINVAL, "parameter %s: %s", p->name, tmp.msg);
        break;
    case FC_P_ENUM:
        for (long long k = 0; p->choices[k]; k++) {
            if (strcmp(s, p->choices[k]) == 0) {
                v->i = k;
                goto done;
            }
        }
        return at_error_set(err, AT_EINVAL, "parameter %s has an unknown value", p->name);
    case FC_P_INT:
        if (decimal(s, p->min, p->max, &v->i))
            return at_error_set(err, AT_EINVAL, "parameter %s must be a whole number from %lld to %lld",
                                p->name, p->min, p->max);
        break;
    case FC_P_ID:
        if (decimal(s, 1, INT64_MAX, &v->i))
            return at_error_set(err, AT_EINVAL, "parameter %s must be a positive id", p->name);
        break;
    case FC_P_IDS:
        break; /* collected by the caller */
    case FC_P_TEXT:
        if (at_text_check(p->name, s, (size_t) p->max, 1, 0, &tmp))
            return at_error_set(err, AT_EINVAL, "parameter %s", tmp.msg);
        break;
    case FC_P_MULTILINE:
        if (strlen(s) > (size_t) p->max)
            return at_error_set(err, AT_EINVAL, "parameter %s is longer than %lld bytes", p->name,
                                p->max);
        break;
    case FC_P_CURSOR:
        if (strlen(s) >= AT_CURSOR_BUF || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s))
            return at_error_set(err, AT_EINVAL, "parameter %s is not a page cursor", p->name);
        break;
    case FC_P_TOKEN:
        if (!hexdigits(s, AT_TOKEN_LEN))
            return at_error_set(err, AT_EINVAL, "parameter %s is not a token", p->name);
        break;
    case FC_P_TIME:
        if (time_value(s, now, &v->t, &tmp))
            return at_error_set(err, AT_EINVAL, "parameter %s: %s", p->name, tmp.msg);
        break;
    case FC_P_PATH:
        /* it becomes a Location as it is, percent-encoded (uri.c) */
        if (s[0] != '/' || s[1] == '/' || s[1] == '\\' || fc_uri_len(s) > FC_LOCATION_MAX ||
            strpbrk(s, "\t\r\n\\"))
            return at_error_set(err, AT_EINVAL, "parameter %s is not a local path", p->name);
        break;
    }
done:
    v->s = s;
    v->present = 1;
    return AT_OK;
}

int
fc_params_check(const fc_param *spec, size_t n, const fc_kvlist *in, at_time now, fc_value *out,
                at_error *err)
{
    memset(out, 0, n * sizeof *out);
    for (size_t k = 0; k < n; k++) {
        const fc_param *p = &spec[k];
        fc_value *v = &out[k];
        if (p->type == FC_P_IDS) {
            for (size_t i = 0; i < in->n; i++) {
                if (strcmp(in->v[i].key, p->name) != 0)
                    continue;
                long long id;
                if (decimal(in->v[i].value, 1, INT64_MAX, &id))
                    return at_error_set(err, AT_EINVAL, "parameter %s must hold positive ids",
                                        p->name);
                uint64_t *ids = realloc(v->ids, (v->nids + 1) * sizeof *ids);
                if (!ids)
                    return at_error_set(err, AT_ENOMEM, "out of memory");
                v->ids = ids;
                v->ids[v->nids++] = (uint64_t) id;
                v->present = 1;
            }
            if (p->required && !v->present)
                return at_error_set(err, AT_EINVAL, "select at least one (%s)", p->name);
            continue;
        }
        const fc_kv *kv = fc_kv_get(in, p->name);
        if (kv && fc_kv_get_after(in, kv, p->name))
            return at_error_set(err, AT_EINVAL, "parameter %s is given more than once",
                                p->name);
        /* An empty field is an absent one: forms send every input. */
        if (!kv || kv->len == 0) {
            if (p->required)
                return at_error_set(err, AT_EINVAL, "parameter %s is missing", p->name);
            if (p->def) {
                int rc = one(p, p->def, now, v, err);
                if (rc)
                    return rc;
            }
            continue;
        }
        int rc = one(p, kv->value, now, v, err);
        if (rc)
            return rc;
    }
    return AT_OK;
}

void
fc_params_free(fc_value *out, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(out[k].ids);
        out[k].ids = NULL;
        out[k].nids = 0;
    }
}
