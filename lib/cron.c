/* cron.c: cron expressions: the parser, and the next occurrence in local
 * wall-clock time and then in a time zone (docs/ARCHITECTURE.md,
 * "Recurring tasks"). Pure but for the zone's offsets (tz.c). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define DAY   86400
#define YEARS 9 /* the search's horizon: 29 February comes at least every 8 years */

struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* index + names_base is the value */
    int nnames, names_base;
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW };
static const struct field fields[] = {
    {"second", 0, 59, NULL, 0, 0},
    {"minute", 0, 59, NULL, 0, 0},
    {"hour", 0, 23, NULL, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0},
    {"month", 1, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, day_names, 7, 0},
};

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* A number or a name of field f at *p; -1 when there is neither. */
static int
value(const struct field *f, const char **p)
{
    const char *s = *p;
    if (isdigit((unsigned char) *s)) {
        long v = 0;
        while (isdigit((unsigned char) *s) && v < 1000)
            v = v * 10 + (*s++ - '0');
        if (isdigit((unsigned char) *s))
            return -1;
        *p = s;
        return (int) v;
    }
    for (int i = 0; i < f->nnames; i++)
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char) s[3])) {
            *p = s + 3;
            return i + f->names_base;
        }
    return -1;
}

static int
bad(at_error *err, const struct field *f, const char *item, size_t len, const char *why)
{
    return at_error_set(err, AT_EINVAL, "cron: %s field: '%.*s' %s", f->name, (int) len, item,
                        why);
}

static int
in_range(const struct field *f, int v, const char *item, size_t len, at_error *err)
{
    if (v >= f->lo && v <= f->hi)
        return AT_OK;
    char why[80];
    if (f->names)
        snprintf(why, sizeof why, "is not from %d to %d (or %s to %s)", f->lo, f->hi,
                 f->names[0], f->names[f->nnames - 1]);
    else
        snprintf(why, sizeof why, "is not from %d to %d", f->lo, f->hi);
    return bad(err, f, item, len, why);
}

/* One item of a list: *, N, N-M, each with an optional /STEP. */
static int
item(const struct field *f, const char *s, size_t len, uint64_t *bits, at_error *err)
{
    const char *p = s, *end = s + len;
    int lo, hi, step = 1;
    bool star = *p == '*';
    if (star) {
        lo = f->lo, hi = f->hi == 7 ? 6 : f->hi;
        p++;
    } else {
        if ((lo = value(f, &p)) < 0)
            return bad(err, f, s, len, "is not a number, a name, a range or *");
        if (in_range(f, lo, s, len, err))
            return AT_EINVAL;
        hi = lo;
        if (p < end && *p == '-') {
            p++;
            if ((hi = value(f, &p)) < 0)
                return bad(err, f, s, len, "has a range without its end");
            if (in_range(f, hi, s, len, err))
                return AT_EINVAL;
            if (hi < lo)
                return bad(err, f, s, len, "is a range that goes backwards");
        } else if (p < end && *p == '/') {
            /* N/STEP: from N to the field's end, where the day of the
             * week's 7 is its Sunday, 0 */
            hi = f->hi == 7 ? 6 : f->hi;
            if (lo > hi)
                lo = 0;
        }
    }
    if (p < end && *p == '/') {
        p++;
        const char *q = p;
        if (!isdigit((unsigned char) *p))
            return bad(err, f, s, len, "has a step that is not a number");
        long v = 0;
        while (p < end && isdigit((unsigned char) *p) && v <= 1000)
            v = v * 10 + (*p++ - '0');
        if (v < 1 || v > f->hi || p != end || q == p)
            return bad(err, f, s, len, "has a step that is not a whole number from 1 to the "
                                       "field's largest value");
        step = (int) v;
    }
    if (p != end)
        return bad(err, f, s, len, "is not a number, a name, a range or *");
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ull << (f == &fields[F_DOW] && v == 7 ? 0 : v);
    return AT_OK;
}

/* A field: items separated by commas. */
static int
field(const struct field *f, const char *s, size_t len, uint64_t *bits, at_error *err)
{
    *bits = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        if (j == i)
            return at_error_set(err, AT_EINVAL, "cron: %s field: an empty item in '%.*s'",
                                f->name, (int) len, s);
        int rc = item(f, s + i, j - i, bits, err);
        if (rc)
            return rc;
        if (j == len)
            return AT_OK;
        i = j + 1;
    }
}

int
at_cron_parse(const char *expr, unsigned flags, at_cron *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(expr);
    if (n > AT_CRON_MAX)
        return at_error_set(err, AT_EINVAL, "cron: an expression has at most %d characters",
                            AT_CRON_MAX);
    while (*expr == ' ' || *expr == '\t')
        expr++;
    if (*expr == '@') {
        for (size_t i = 0; i < AT_COUNT(macros); i++) {
            size_t k = strlen(macros[i].name);
            if (strncasecmp(expr, macros[i].name, k) == 0 &&
                strspn(expr + k, " \t") == strlen(expr + k))
                return at_cron_parse(macros[i].expr, 0, out, err);
        }
        return at_error_set(err, AT_EINVAL, "cron: unknown macro '%s' (@yearly, @annually, "
                                            "@monthly, @weekly, @daily, @midnight, @hourly)",
                            expr);
    }
    const char *word[6];
    size_t wlen[6], nw = 0;
    const char *p = expr;
    while (*p) {
        if (*p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        if (nw == 6)
            return at_error_set(err, AT_EINVAL, "cron: more than %s fields", flags & AT_CRON_SECONDS
                                                                              ? "six" : "five");
        word[nw] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        wlen[nw] = (size_t) (p - word[nw]);
        nw++;
    }
    if (nw == 6 && !(flags & AT_CRON_SECONDS))
        return at_error_set(err, AT_EINVAL, "cron: more than five fields");
    if (nw < 5)
        return at_error_set(err, AT_EINVAL, "cron: %zu field%s, not five (minute hour "
                                            "day-of-month month day-of-week)",
                            nw, nw == 1 ? "" : "s");
    size_t first = nw == 6 ? F_SEC : F_MIN;
    uint64_t bits[6] = {1, 0, 0, 0, 0, 0}; /* no seconds field: second 0 */
    for (size_t i = 0; i < nw; i++) {
        int rc = field(&fields[first + i], word[i], wlen[i], &bits[first + i], err);
        if (rc)
            return rc;
    }
    out->sec = bits[F_SEC];
    out->min = bits[F_MIN];
    out->hour = (uint32_t) bits[F_HOUR];
    out->dom = (uint32_t) bits[F_DOM];
    out->mon = (uint16_t) bits[F_MON];
    out->dow = (uint8_t) bits[F_DOW];
    out->dom_star = word[F_DOM - first][0] == '*';
    out->dow_star = word[F_DOW - first][0] == '*';
    return AT_OK;
}

static bool
day_matches(const at_cron *c, int64_t days, int d)
{
    bool dom = c->dom >> d & 1;
    bool dow = c->dow >> ((days % 7 + 11) % 7) & 1; /* 1970-01-01 was a Thursday */
    if (c->dom_star || c->dow_star)
        return dom && dow;
    return dom || dow;
}

int
at_cron_next_wall(const at_cron *c, int64_t wall, int64_t *next)
{
    *next = 0;
    int64_t t = wall + 1;
    int64_t y0;
    int m, d;
    civil_from_days(t >= 0 ? t / DAY : (t - DAY + 1) / DAY, &y0, &m, &d);
    while (t < INT64_MAX / 2) {
        int64_t days = t >= 0 ? t / DAY : (t - DAY + 1) / DAY, y;
        int64_t sod = t - days * DAY;
        civil_from_days(days, &y, &m, &d);
        if (y > y0 + YEARS)
            return 0;
        if (!(c->mon >> m & 1)) { /* the first of the next month */
            t = (days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1)) * DAY;
            continue;
        }
        if (!day_matches(c, days, d)) {
            t = (days + 1) * DAY;
            continue;
        }
        int h = (int) (sod / 3600), mi = (int) (sod / 60 % 60), s = (int) (sod % 60);
        if (!(c->hour >> h & 1)) {
            t = days * DAY + (h + 1) * 3600;
            continue;
        }
        if (!(c->min >> mi & 1)) {
            t = days * DAY + h * 3600 + (mi + 1) * 60;
            continue;
        }
        if (!(c->sec >> s & 1)) {
            t++;
            continue;
        }
        *next = t;
        return 1;
    }
    return 0;
}

/* The first instant in (a, b] whose offset is not off, or 0 when there is
 * none; the zone's transitions are looked for a day apart, then to the
 * second. */
static int64_t
transition(int64_t a, int64_t b, long off)
{
    int64_t lo = a;
    for (int64_t p = a + DAY;; p += DAY) {
        if (p > b)
            p = b;
        if (tz_offset(p) != off) {
            int64_t hi = p; /* offset(lo) == off, offset(hi) != off */
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (tz_offset(mid) == off)
                    lo = mid;
                else
                    hi = mid;
            }
            return hi;
        }
        if (p == b)
            return 0;
        lo = p;
    }
}

/* In the zone already entered: a segment at a time, between the zone's
 * transitions, where wall = instant + offset. */
static int
next_in_zone(const at_cron *c, int64_t after, int64_t *next)
{
    int64_t seg = after; /* the segment's instants are those after seg */
    long off = tz_offset(after);
    int64_t wall_from = after + off;
    for (int i = 0; i < 64; i++) {
        int64_t w;
        if (!at_cron_next_wall(c, wall_from, &w))
            return 0;
        int64_t inst = w - off;
        int64_t tr = inst > seg ? transition(seg, inst, off) : 0;
        if (!tr) {
            *next = inst;
            return 1;
        }
        long off2 = tz_offset(tr);
        if (off2 > off && w < tr + off2) { /* in the gap the transition skips */
            *next = tr;
            return 1;
        }
        /* the next segment: walls already passed (a repeated hour) do not
         * come again */
        wall_from = (off2 > off ? tr + off2 : tr + off) - 1;
        seg = tr;
        off = off2;
    }
    return 0;
}

int
at_cron_next(const at_cron *c, const char *tz, at_time after, at_time *next, at_error *err)
{
    *next = 0;
    int64_t s = after >= 0 ? after / 1000000 : (after - 999999) / 1000000, n = 0;
    tz_scope scope;
    int rc = tz_enter(tz, &scope, err);
    if (rc)
        return rc;
    int found = next_in_zone(c, s, &n);
    tz_leave(&scope);
    if (!found || n > 253402300799LL) /* 9999-12-31 23:59:59 */
        return at_error_set(err, AT_ENOTFOUND, "cron: no occurrence within %d years", YEARS);
    *next = (at_time) n * 1000000;
    return AT_OK;
}
