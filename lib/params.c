/* params.c: the parameters a plugin declares for a task type: checking a
 * declaration, storing declarations as text in task_types.params, and
 * checking and reading "name=value" payloads against them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/plugin.h>

#include "internal.h"

static const char *const type_names[] = {NULL, "string", "int", "bool"};

static const char *
type_str(int type)
{
    return type > 0 && type < (int) AT_COUNT(type_names) ? type_names[type] : "unknown";
}

static int
valid_param_name(const char *s, size_t len)
{
    if (len == 0 || len > AT_PARAM_NAME_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static int
has_limits(const at_param_decl *d)
{
    return d->min != 0 || d->max != 0;
}

/* Parses a whole decimal int64: optional '-', digits, nothing else. */
static int
parse_int(const char *s, int64_t *out)
{
    if (!*s || (s[0] == '-' && !s[1]) || !((*s >= '0' && *s <= '9') || *s == '-'))
        return -1;
    for (const char *p = s + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Checks one value (NUL-terminated) against its declaration. */
static int
check_value(const at_param_decl *d, const char *v, at_error *err)
{
    char what[AT_PARAM_NAME_MAX + 16];
    snprintf(what, sizeof what, "parameter '%s'", d->name);
    switch (d->type) {
    case AT_PLUGIN_PARAM_INT: {
        int64_t n;
        if (parse_int(v, &n))
            return at_error_set(err, AT_EINVAL, "%s must be a whole number, not '%.40s'", what,
                                at_utf8_valid(v, strlen(v)) ? v : "?");
        if (has_limits(d) && (n < d->min || n > d->max))
            return at_error_set(err, AT_EINVAL, "%s must be %" PRId64 " to %" PRId64 ", not %" PRId64,
                                what, d->min, d->max, n);
        return AT_OK;
    }
    case AT_PLUGIN_PARAM_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return at_error_set(err, AT_EINVAL, "%s must be 'true' or 'false', not '%.40s'", what,
                                at_utf8_valid(v, strlen(v)) ? v : "?");
        return AT_OK;
    case AT_PLUGIN_PARAM_STRING: {
        size_t max = has_limits(d) && d->max < AT_PARAM_VALUE_MAX ? (size_t) d->max
                                                                   : AT_PARAM_VALUE_MAX;
        int rc = at_text_check(what, v, max, 1, 0, err);
        if (rc)
            return rc;
        size_t chars = at_utf8_len(v, strlen(v));
        if (has_limits(d) && (int64_t) chars < d->min)
            return at_error_set(err, AT_EINVAL,
                                "%s is too short: %zu characters, at least %" PRId64, what, chars,
                                d->min);
        return AT_OK;
    }
    default:
        return at_error_set(err, AT_EINVAL, "%s has unknown type %d", what, d->type);
    }
}

int
at_param_decl_check(const at_param_decl *d, at_error *err)
{
    size_t nlen = strnlen(d->name, sizeof d->name);
    if (nlen == sizeof d->name || !valid_param_name(d->name, nlen))
        return at_error_set(err, AT_EINVAL,
                            "parameter name '%.64s' must be 1-%d of a-z, 0-9 and '_', starting "
                            "with a letter",
                            at_utf8_valid(d->name, nlen) ? d->name : "?", AT_PARAM_NAME_MAX);
    if (d->type < AT_PLUGIN_PARAM_STRING || d->type > AT_PLUGIN_PARAM_BOOL)
        return at_error_set(err, AT_EINVAL, "parameter '%s' has unknown type %d", d->name,
                            d->type);
    if (memchr(d->description, 0, sizeof d->description) == NULL)
        return at_error_set(err, AT_EINVAL, "parameter '%s': description is not terminated",
                            d->name);
    char what[AT_PARAM_NAME_MAX + 40];
    snprintf(what, sizeof what, "description of parameter '%s'", d->name);
    int rc = at_text_check(what, d->description, AT_DESC_MAX, 1, 0, err);
    if (rc)
        return rc;
    if (d->min > d->max)
        return at_error_set(err, AT_EINVAL,
                            "parameter '%s': minimum %" PRId64 " is above maximum %" PRId64,
                            d->name, d->min, d->max);
    if (d->type == AT_PLUGIN_PARAM_BOOL && has_limits(d))
        return at_error_set(err, AT_EINVAL, "parameter '%s': a bool takes no limits", d->name);
    if (d->type == AT_PLUGIN_PARAM_STRING && has_limits(d) &&
        (d->min < 0 || d->max < 1 || d->max > AT_PARAM_VALUE_MAX))
        return at_error_set(err, AT_EINVAL,
                            "parameter '%s': string length limits must lie within 0 to %d, "
                            "with a maximum of at least 1",
                            d->name, AT_PARAM_VALUE_MAX);
    if (d->required && d->has_default)
        return at_error_set(err, AT_EINVAL,
                            "parameter '%s' is required and so cannot have a default", d->name);
    if (d->has_default) {
        if (memchr(d->default_value, 0, sizeof d->default_value) == NULL)
            return at_error_set(err, AT_EINVAL, "parameter '%s': default is not terminated",
                                d->name);
        rc = check_value(d, d->default_value, err);
        if (rc)
            return at_error_wrap(err, "default");
    }
    return AT_OK;
}

/* ---- payloads ---- */

/* One "name=value" line of a payload. */
typedef struct line {
    const char *name, *value;
    size_t nlen, vlen;
    unsigned no; /* 1-based line number */
} line;

/* Iterates over the lines of a payload: *pos is where the next starts.
 * Returns 1 with *l set, 0 at the end, -1 for a line without '='.
 * Blank lines are skipped; a CR before the LF is dropped, as forms send
 * CRLF. */
static int
next_line(const char *p, size_t len, size_t *pos, unsigned *no, line *l)
{
    while (*pos < len) {
        const char *s = p + *pos;
        const char *nl = memchr(s, '\n', len - *pos);
        size_t ll = nl ? (size_t) (nl - s) : len - *pos;
        *pos += ll + (nl ? 1 : 0);
        ++*no;
        if (ll > 0 && s[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            continue;
        const char *eq = memchr(s, '=', ll);
        l->no = *no;
        l->name = s;
        if (!eq) {
            l->nlen = ll;
            return -1;
        }
        l->nlen = (size_t) (eq - s);
        l->value = eq + 1;
        l->vlen = ll - l->nlen - 1;
        return 1;
    }
    return 0;
}

static const at_param_decl *
find_decl(const at_param_decl *d, size_t n, const char *name, size_t nlen)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(d[i].name) == nlen && memcmp(d[i].name, name, nlen) == 0)
            return &d[i];
    return NULL;
}

/* "a, b, c": the declared names, for messages. */
static void
declared_list(const at_param_decl *d, size_t n, char *buf, size_t buflen)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "", d[i].name);
    }
}

int
at_params_check(const at_param_decl *d, size_t n, const char *payload, size_t len, at_error *err)
{
    if (!payload)
        payload = "", len = 0;
    if (n > AT_PARAMS_MAX)
        return at_error_set(err, AT_EINVAL, "too many parameters declared: %zu", n);
    unsigned seen[AT_PARAMS_MAX] = {0}; /* the line that gave each */
    size_t pos = 0;
    unsigned no = 0;
    line l;
    int r;
    char value[AT_PARAM_VALUE_MAX * 4 + 1];
    while ((r = next_line(payload, len, &pos, &no, &l)) != 0) {
        int printable = at_utf8_valid(l.name, l.nlen) && l.nlen <= AT_PARAM_NAME_MAX;
        if (r < 0)
            return at_error_set(err, AT_EINVAL,
                                "payload line %u is not of the form name=value: '%.*s'", l.no,
                                printable ? (int) l.nlen : 1, printable ? l.name : "?");
        const at_param_decl *p = find_decl(d, n, l.name, l.nlen);
        if (!p) {
            char names[AT_PARAMS_MAX * (AT_PARAM_NAME_MAX + 2) + 1];
            declared_list(d, n, names, sizeof names);
            return at_error_set(err, AT_EINVAL,
                                "payload line %u: unknown parameter '%.*s' (declared: %s)", l.no,
                                printable ? (int) l.nlen : 1, printable ? l.name : "?",
                                n ? names : "none");
        }
        size_t k = (size_t) (p - d);
        if (seen[k])
            return at_error_set(err, AT_EINVAL,
                                "payload line %u: parameter '%s' is given twice (first on line %u)",
                                l.no, p->name, seen[k]);
        seen[k] = l.no;
        if (l.vlen >= sizeof value || memchr(l.value, 0, l.vlen))
            return at_error_set(err, AT_EINVAL,
                                "payload line %u: parameter '%s' is too long or holds a NUL byte",
                                l.no, p->name);
        memcpy(value, l.value, l.vlen);
        value[l.vlen] = 0;
        int rc = check_value(p, value, err);
        if (rc)
            return at_error_wrap(err, "payload line %u", l.no);
    }
    for (size_t i = 0; i < n; i++)
        if (d[i].required && !seen[i])
            return at_error_set(err, AT_EINVAL, "payload: parameter '%s' is required", d[i].name);
    return AT_OK;
}

int
at_params_get(const char *payload, size_t len, const char *name, char *buf, size_t buflen)
{
    if (buflen)
        buf[0] = 0;
    if (!payload)
        return 0;
    size_t pos = 0, nlen = strlen(name);
    unsigned no = 0;
    line l;
    int r;
    while ((r = next_line(payload, len, &pos, &no, &l)) != 0) {
        if (r < 0 || l.nlen != nlen || memcmp(l.name, name, nlen) != 0)
            continue;
        if (l.vlen >= buflen)
            return -1;
        memcpy(buf, l.value, l.vlen);
        buf[l.vlen] = 0;
        return 1;
    }
    return 0;
}

/* ---- storage: one line per parameter, fields separated by tabs ----
 *   name TAB type TAB required TAB default TAB min TAB max TAB description
 * default is "-" for none, else "=" and the value. Backslash, tab, CR and
 * LF inside a field are written \\ \t \r \n. The first line is "v1", so a
 * later format can be told apart. */

#define ENC_VERSION "v1"

static void
add_escaped(strbuf *b, const char *s)
{
    char one[2] = {0, 0};
    for (; *s; s++) {
        switch (*s) {
        case '\\': sb_add(b, "\\\\"); break;
        case '\t': sb_add(b, "\\t"); break;
        case '\n': sb_add(b, "\\n"); break;
        case '\r': sb_add(b, "\\r"); break;
        default:
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
    sb_add(&b, n ? ENC_VERSION "\n" : "");
    for (size_t i = 0; i < n; i++) {
        int rc = at_param_decl_check(&d[i], err);
        if (rc) {
            sb_free(&b);
            return rc;
        }
        char num[64];
        snprintf(num, sizeof num, "\t%s\t%d\t", type_str(d[i].type), d[i].required ? 1 : 0);
        sb_add(&b, d[i].name);
        sb_add(&b, num);
        sb_add(&b, d[i].has_default ? "=" : "-");
        if (d[i].has_default)
            add_escaped(&b, d[i].default_value);
        snprintf(num, sizeof num, "\t%" PRId64 "\t%" PRId64 "\t", d[i].min, d[i].max);
        sb_add(&b, num);
        add_escaped(&b, d[i].description);
        sb_add(&b, "\n");
    }
    if (b.oom || (!b.p && !(b.p = calloc(1, 1)))) {
        sb_free(&b);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    *text = b.p;
    return AT_OK;
}

/* Unescapes s[0..len) into dst (size dstlen). */
static int
unescape(const char *s, size_t len, char *dst, size_t dstlen)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\') {
            if (++i == len)
                return -1;
            switch (s[i]) {
            case '\\': c = '\\'; break;
            case 't': c = '\t'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            default: return -1;
            }
        } else if (c == 0) {
            return -1;
        }
        if (j + 1 >= dstlen)
            return -1;
        dst[j++] = c;
    }
    dst[j] = 0;
    return 0;
}

static int
decode_line(const char *s, size_t len, at_param_decl *d, at_error *err)
{
    const char *f[7];
    size_t fl[7], nf = 0;
    const char *start = s;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '\t') {
            if (nf == 7)
                return at_error_set(err, AT_EINVAL, "more than 7 fields");
            f[nf] = start;
            fl[nf++] = (size_t) (s + i - start);
            start = s + i + 1;
        }
    }
    if (nf != 7)
        return at_error_set(err, AT_EINVAL, "%zu fields, not 7", nf);
    memset(d, 0, sizeof *d);
    if (unescape(f[0], fl[0], d->name, sizeof d->name))
        return at_error_set(err, AT_EINVAL, "bad name");
    for (int t = 1; t < (int) AT_COUNT(type_names); t++)
        if (strlen(type_names[t]) == fl[1] && memcmp(type_names[t], f[1], fl[1]) == 0)
            d->type = t;
    if (fl[2] != 1 || (f[2][0] != '0' && f[2][0] != '1'))
        return at_error_set(err, AT_EINVAL, "bad required flag");
    d->required = f[2][0] == '1';
    if (fl[3] == 0 || (f[3][0] != '-' && f[3][0] != '=') || (f[3][0] == '-' && fl[3] != 1))
        return at_error_set(err, AT_EINVAL, "bad default");
    d->has_default = f[3][0] == '=';
    if (d->has_default && unescape(f[3] + 1, fl[3] - 1, d->default_value, sizeof d->default_value))
        return at_error_set(err, AT_EINVAL, "bad default");
    char num[32];
    for (int k = 0; k < 2; k++) {
        if (fl[4 + k] == 0 || fl[4 + k] >= sizeof num)
            return at_error_set(err, AT_EINVAL, "bad limit");
        memcpy(num, f[4 + k], fl[4 + k]);
        num[fl[4 + k]] = 0;
        if (parse_int(num, k ? &d->max : &d->min))
            return at_error_set(err, AT_EINVAL, "bad limit");
    }
    if (unescape(f[6], fl[6], d->description, sizeof d->description))
        return at_error_set(err, AT_EINVAL, "bad description");
    return at_param_decl_check(d, err);
}

int
at_params_decode(const char *text, at_param_decl **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    if (!text || !*text)
        return AT_OK;
    size_t len = strlen(text);
    if (strncmp(text, ENC_VERSION "\n", 3) != 0)
        return at_error_set(err, AT_EINVAL, "stored parameters: unknown format");
    size_t lines = 0;
    for (size_t i = 3; i < len; i++)
        lines += text[i] == '\n';
    if (lines > AT_PARAMS_MAX || text[len - 1] != '\n')
        return at_error_set(err, AT_EINVAL, "stored parameters: too many or unterminated");
    at_param_decl *v = lines ? calloc(lines, sizeof *v) : NULL;
    if (lines && !v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t pos = 3, k = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = (size_t) (nl - (text + pos));
        int rc = decode_line(text + pos, ll, &v[k], err);
        if (rc == AT_OK && find_decl(v, k, v[k].name, strlen(v[k].name)))
            rc = at_error_set(err, AT_EINVAL, "parameter '%s' is declared twice", v[k].name);
        if (rc) {
            free(v);
            return at_error_wrap(err, "stored parameters, line %zu", k + 2);
        }
        k++;
        pos += ll + 1;
    }
    *out = v;
    *n = k;
    return AT_OK;
}
