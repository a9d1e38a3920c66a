/* params.c: the parameters a plugin declares for a task type: checking a
 * declaration, storing declarations in task_types.params, and checking and
 * reading a "name=value" payload against them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <asynctasks/plugin.h>

static const char *
type_str(int type)
{
    switch (type) {
    case AT_PLUGIN_PARAM_STRING: return "string";
    case AT_PLUGIN_PARAM_INT: return "int";
    case AT_PLUGIN_PARAM_BOOL: return "bool";
    default: return NULL;
    }
}

static int
name_ok(const char *s, size_t len)
{
    if (len == 0 || len > AT_PARAM_NAME_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Plain decimal: a sign or a digit first (strtoll would skip blanks). */
static int
parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return -1;
    *out = v;
    return 0;
}

static int
limited(const at_param_decl *d)
{
    return d->min != 0 || d->max != 0;
}

/* Checks one value of declaration d; the message names the parameter. */
static int
value_check(const at_param_decl *d, const char *v, at_error *err)
{
    at_error tmp;
    if (at_text_check("value", v, AT_PARAM_VALUE_MAX, 1, 0, &tmp))
        return at_error_set(err, AT_EINVAL, "parameter %s: %s", d->name, tmp.msg);
    int64_t n;
    switch (d->type) {
    case AT_PLUGIN_PARAM_INT:
        if (parse_i64(v, &n))
            return at_error_set(err, AT_EINVAL, "parameter %s must be a whole number", d->name);
        if (limited(d) && (n < d->min || n > d->max))
            return at_error_set(err, AT_EINVAL, "parameter %s must be from %" PRId64 " to %" PRId64,
                                d->name, d->min, d->max);
        break;
    case AT_PLUGIN_PARAM_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return at_error_set(err, AT_EINVAL, "parameter %s must be true or false", d->name);
        break;
    default: {
        int64_t chars = (int64_t) at_utf8_len(v, strlen(v));
        if (limited(d) && (chars < d->min || chars > d->max))
            return at_error_set(err, AT_EINVAL,
                                "parameter %s must be %" PRId64 " to %" PRId64 " characters long",
                                d->name, d->min, d->max);
    }
    }
    return AT_OK;
}

int
at_param_decl_check(const at_param_decl *d, at_error *err)
{
    if (!name_ok(d->name, strlen(d->name)))
        return at_error_set(err, AT_EINVAL,
                            "parameter name '%s' must be 1-%d of a-z, 0-9 and '_', a letter first",
                            d->name, AT_PARAM_NAME_MAX);
    if (!type_str(d->type))
        return at_error_set(err, AT_EINVAL, "parameter %s has an unknown type %d", d->name,
                            d->type);
    if (d->min > d->max)
        return at_error_set(err, AT_EINVAL, "parameter %s: min is above max", d->name);
    if (d->type == AT_PLUGIN_PARAM_STRING && d->min < 0)
        return at_error_set(err, AT_EINVAL, "parameter %s: a length cannot be negative", d->name);
    at_error tmp;
    if (at_text_check("description", d->description, AT_DESC_MAX, 1, 0, &tmp))
        return at_error_set(err, AT_EINVAL, "parameter %s: %s", d->name, tmp.msg);
    if (d->has_default && value_check(d, d->default_value, &tmp))
        return at_error_set(err, AT_EINVAL, "the default of %s", tmp.msg);
    return AT_OK;
}

/* ---- payloads: "name=value" lines ---- */

/* Calls fn for each non-blank line of the payload with its name and value
 * (a trailing CR dropped); stops at the first non-zero return. */
typedef int (*line_fn)(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen);

static int
each_line(const char *p, size_t len, line_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t end = nl ? (size_t) (nl - p) : len, stop = end;
        if (stop > i && p[stop - 1] == '\r')
            stop--;
        if (stop > i) {
            const char *eq = memchr(p + i, '=', stop - i);
            size_t nlen = eq ? (size_t) (eq - (p + i)) : stop - i;
            const char *val = eq ? eq + 1 : NULL;
            int rc = fn(ctx, p + i, nlen, val, val ? (size_t) (p + stop - val) : 0);
            if (rc)
                return rc;
        }
        i = end + 1;
    }
    return 0;
}

struct get_ctx {
    const char *name;
    char *buf;
    size_t buflen;
    int found;
};

static int
get_line(void *vctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    struct get_ctx *g = vctx;
    if (!val || nlen != strlen(g->name) || memcmp(name, g->name, nlen) != 0)
        return 0;
    if (vlen >= g->buflen) {
        g->found = -1;
        return 1;
    }
    memcpy(g->buf, val, vlen);
    g->buf[vlen] = 0;
    g->found = 1;
    return 1;
}

int
at_params_get(const char *payload, size_t len, const char *name, char *buf, size_t buflen)
{
    if (buflen)
        buf[0] = 0;
    if (!payload || !name || !buflen)
        return 0;
    struct get_ctx g = {name, buf, buflen, 0};
    each_line(payload, len, get_line, &g);
    if (g.found < 0)
        buf[0] = 0;
    return g.found;
}

struct check_ctx {
    const at_param_decl *d;
    size_t n;
    unsigned char *seen;
    at_error *err;
};

static int
check_line(void *vctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    struct check_ctx *c = vctx;
    if (!val) {
        if (!name_ok(name, nlen))
            return at_error_set(c->err, AT_EINVAL,
                                "the payload has a line that is not of the form name=value");
        return at_error_set(c->err, AT_EINVAL, "parameter %.*s has no '=' and no value",
                            (int) nlen, name);
    }
    size_t k = 0;
    while (k < c->n && !(strlen(c->d[k].name) == nlen && memcmp(c->d[k].name, name, nlen) == 0))
        k++;
    if (k == c->n) {
        if (!name_ok(name, nlen))
            return at_error_set(c->err, AT_EINVAL, "the payload names a parameter that is not "
                                                   "of the form a-z, 0-9, '_'");
        return at_error_set(c->err, AT_EINVAL, "parameter %.*s is not a parameter of this task type",
                            (int) nlen, name);
    }
    if (c->seen[k]++)
        return at_error_set(c->err, AT_EINVAL, "parameter %s is given more than once", c->d[k].name);
    char *v = malloc(vlen + 1);
    if (!v)
        return at_error_set(c->err, AT_ENOMEM, "out of memory");
    memcpy(v, val, vlen);
    v[vlen] = 0;
    int rc = value_check(&c->d[k], v, c->err);
    free(v);
    return rc;
}

int
at_params_check(const at_param_decl *d, size_t n, const char *payload, size_t len, at_error *err)
{
    if (n == 0)
        return AT_OK; /* a type without parameters takes any payload */
    unsigned char seen[AT_PARAMS_MAX] = {0};
    if (n > AT_PARAMS_MAX)
        return at_error_set(err, AT_EINVAL, "more than %d parameters", AT_PARAMS_MAX);
    if (payload && !at_utf8_valid(payload, len))
        return at_error_set(err, AT_EINVAL, "the payload is not valid UTF-8");
    struct check_ctx c = {d, n, seen, err};
    int rc = payload ? each_line(payload, len, check_line, &c) : 0;
    if (rc)
        return rc;
    for (size_t k = 0; k < n; k++)
        if (d[k].required && !seen[k])
            return at_error_set(err, AT_EINVAL, "parameter %s is required", d[k].name);
    return AT_OK;
}

/* ---- storage: one declaration a line, fields separated by tabs, with
 * backslash, tab and newline escaped in the texts ---- */

static void
put_escaped(strbuf *b, const char *s)
{
    char one[2] = {0, 0};
    for (; *s; s++) {
        if (*s == '\\')
            sb_add(b, "\\\\");
        else if (*s == '\t')
            sb_add(b, "\\t");
        else if (*s == '\n')
            sb_add(b, "\\n");
        else {
            one[0] = *s;
            sb_add(b, one);
        }
    }
}

int
at_params_encode(const at_param_decl *d, size_t n, char **text, at_error *err)
{
    *text = NULL;
    strbuf b = {0};
    sb_add(&b, "");
    for (size_t k = 0; k < n; k++) {
        char nums[96];
        snprintf(nums, sizeof nums, "\t%s\t%d\t%d\t", type_str(d[k].type), d[k].required ? 1 : 0,
                 d[k].has_default ? 1 : 0);
        sb_add(&b, d[k].name);
        sb_add(&b, nums);
        put_escaped(&b, d[k].has_default ? d[k].default_value : "");
        snprintf(nums, sizeof nums, "\t%" PRId64 "\t%" PRId64 "\t", d[k].min, d[k].max);
        sb_add(&b, nums);
        put_escaped(&b, d[k].description);
        sb_add(&b, "\n");
    }
    if (b.oom) {
        sb_free(&b);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    *text = b.p;
    return AT_OK;
}

/* Copies field f (escaped) of at most dstlen - 1 bytes, unescaped. */
static int
get_field(const char *f, size_t len, char *dst, size_t dstlen)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = f[i];
        if (ch == '\\' && i + 1 < len) {
            ch = f[++i];
            ch = ch == 't' ? '\t' : ch == 'n' ? '\n' : ch;
        }
        if (j + 1 >= dstlen)
            return -1;
        dst[j++] = ch;
    }
    dst[j] = 0;
    return 0;
}

static int
decode_line(const char *line, size_t len, at_param_decl *d)
{
    const char *f[8];
    size_t fl[8], nf = 0, start = 0;
    for (size_t i = 0; i <= len && nf < 8; i++) {
        if (i == len || line[i] == '\t') {
            f[nf] = line + start;
            fl[nf++] = i - start;
            start = i + 1;
        }
    }
    if (nf != 8)
        return -1;
    char num[32], type[16];
    memset(d, 0, sizeof *d);
    if (get_field(f[0], fl[0], d->name, sizeof d->name) || get_field(f[1], fl[1], type, sizeof type))
        return -1;
    d->type = strcmp(type, "string") == 0 ? AT_PLUGIN_PARAM_STRING
              : strcmp(type, "int") == 0  ? AT_PLUGIN_PARAM_INT
              : strcmp(type, "bool") == 0 ? AT_PLUGIN_PARAM_BOOL
                                          : 0;
    d->required = fl[2] == 1 && f[2][0] == '1';
    d->has_default = fl[3] == 1 && f[3][0] == '1';
    if (get_field(f[4], fl[4], d->default_value, sizeof d->default_value) ||
        get_field(f[5], fl[5], num, sizeof num) || parse_i64(num, &d->min) ||
        get_field(f[6], fl[6], num, sizeof num) || parse_i64(num, &d->max) ||
        get_field(f[7], fl[7], d->description, sizeof d->description))
        return -1;
    return 0;
}

int
at_params_decode(const char *text, at_param_decl **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    size_t lines = 0;
    for (const char *p = text; p && *p; p++)
        lines += *p == '\n';
    if (lines == 0)
        return AT_OK;
    if (lines > AT_PARAMS_MAX)
        return at_error_set(err, AT_EINVAL, "more than %d parameters stored", AT_PARAMS_MAX);
    at_param_decl *v = calloc(lines, sizeof *v);
    if (!v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t k = 0;
    for (const char *p = text; *p && k < lines; k++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);
        at_error tmp;
        if (decode_line(p, len, &v[k]) || at_param_decl_check(&v[k], &tmp)) {
            free(v);
            return at_error_set(err, AT_EINVAL, "stored parameter %zu cannot be read", k + 1);
        }
        p += len + (nl ? 1 : 0);
    }
    *out = v;
    *n = k;
    return AT_OK;
}

static int
fill_text(const db_res *r, void *elem, at_error *err)
{
    bool oom = false;
    *(char **) elem = db_dup(r, 0, &oom);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

int
at_task_type_params(at_db *db, uint64_t type_id, at_param_decl **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    char *text = NULL;
    db_arg a[] = {da_u64(type_id)};
    char what[48];
    snprintf(what, sizeof what, "task type #%" PRIu64, type_id);
    int rc = db_row(db, DB_RETRY, "SELECT params FROM task_types WHERE id = ?", a, 1, fill_text,
                    &text, what, err);
    if (rc == AT_OK)
        rc = at_params_decode(text ? text : "", out, n, err);
    free(text);
    return rc;
}

int
at_task_type_register_params(at_db *db, const char *name, const char *description,
                             unsigned timeout_s, unsigned max_attempts, const at_param_decl *params,
                             size_t n, uint64_t *id, at_error *err)
{
    if (n > AT_PARAMS_MAX)
        return at_error_set(err, AT_EINVAL, "task type '%s' declares more than %d parameters",
                            name, AT_PARAMS_MAX);
    for (size_t k = 0; k < n; k++) {
        int rc = at_param_decl_check(&params[k], err);
        for (size_t j = 0; rc == AT_OK && j < k; j++)
            if (strcmp(params[j].name, params[k].name) == 0)
                rc = at_error_set(err, AT_EINVAL, "parameter %s is declared twice", params[k].name);
        if (rc)
            return at_error_wrap(err, "task type '%s'", name);
    }
    char *text;
    uint64_t tid = 0;
    int rc = at_params_encode(params, n, &text, err);
    if (rc)
        return rc;
    rc = at_task_type_register(db, name, description, timeout_s, max_attempts, &tid, err);
    if (rc == AT_OK) {
        db_arg a[] = {da_str(text), da_u64(tid)};
        rc = db_exec(db, DB_RETRY, "UPDATE task_types SET params = ? WHERE id = ?", a, 2, NULL,
                     NULL, err);
    }
    free(text);
    if (rc == AT_OK && id)
        *id = tid;
    return rc;
}
