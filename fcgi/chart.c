/* chart.c: a dashboard chart as SVG inside the page, written through the
 * page's writer like every other element (no script draws it): a value
 * axis with round ticks, time labels in UTC, one line per series in a
 * dash pattern of its own (readable without colour), a legend naming
 * each pattern, and a title and description for assistive technology
 * (role="img"). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "chart.h"

#define SVG_NS "http://www.w3.org/2000/svg"
#define W      720
#define H      250
#define LEFT   60.0
#define RIGHT  700.0
#define TOP    14.0
#define BOTTOM 190.0
#define POINTS_BUF 4096 /* "x,y " of up to AT_DASH_HOURS points */

/* The three series: what each counts, and how its line looks. */
static const struct series {
    const char *key, *label, *pattern, *dash, *colour;
    double width;
} series[] = {
    {"started", "Started", "solid", NULL, "#1f4e8c", 2.5},
    {"succeeded", "Succeeded", "dashed", "8 4", "#2e7d32", 2},
    {"failed", "Failed", "dotted", "2 3", "#b3261e", 2.5},
};

static uint64_t
value(const at_dash_point *p, size_t k)
{
    return k == 0 ? p->started : k == 1 ? p->succeeded : p->failed;
}

static double
y_of(uint64_t v, uint64_t max)
{
    return BOTTOM - ch_pos(v, max, BOTTOM - TOP);
}

static void
line(fc_ctx *c, const char *cls, double x1, double y1, double x2, double y2)
{
    vw_start(c, "line", cls);
    vw_attrf(c, "x1", "%.1f", x1);
    vw_attrf(c, "y1", "%.1f", y1);
    vw_attrf(c, "x2", "%.1f", x2);
    vw_attrf(c, "y2", "%.1f", y2);
    vw_end_void(c);
}

static void
text_at(fc_ctx *c, const char *cls, double x, double y, const char *anchor, const char *text)
{
    vw_start(c, "text", cls);
    vw_attrf(c, "x", "%.1f", x);
    vw_attrf(c, "y", "%.1f", y);
    vw_attr(c, "text-anchor", anchor);
    vw_text(c, text);
    vw_end(c);
}

/* A bucket's start as its label: "14:05" by the minute, "Tue 1" at a day. */
static void
time_label(at_time t, unsigned step_s, char *out, size_t len)
{
    time_t s = (time_t) (t / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, len, step_s < 3600 ? "%H:%M" : "%a %e", &tm);
}

static void
y_axis(fc_ctx *c, const ch_chart *ch, const ch_scale *sc)
{
    vw_start(c, "g", "y-axis");
    for (unsigned i = 0; i <= sc->ticks; i++) {
        uint64_t v = sc->step * i;
        double y = y_of(v, sc->max);
        char num[32];
        snprintf(num, sizeof num, "%" PRIu64, v);
        line(c, i ? "grid" : "axis", LEFT, y, RIGHT, y);
        text_at(c, "tick", LEFT - 6, y + 4, "end", num);
    }
    vw_start(c, "text", "axis-title");
    vw_attr(c, "transform", "translate(14 102) rotate(-90)");
    vw_attr(c, "text-anchor", "middle");
    vw_textf(c, "Attempts %s", ch->unit);
    vw_end(c);
    vw_end(c);
}

static void
x_axis(fc_ctx *c, const ch_chart *ch)
{
    vw_start(c, "g", "x-axis");
    for (size_t i = 0; i < ch->n; i++) {
        int64_t s = ch->v[i].at / 1000000;
        if (s % ((int64_t) ch->label_every * ch->step_s) != 0)
            continue;
        double x = LEFT + ch_x(i, ch->n, RIGHT - LEFT);
        char label[32];
        time_label(ch->v[i].at, ch->step_s, label, sizeof label);
        line(c, "tick", x, BOTTOM, x, BOTTOM + 5);
        text_at(c, "tick", x, BOTTOM + 18, "middle", label);
    }
    text_at(c, "axis-title", (LEFT + RIGHT) / 2, BOTTOM + 36, "middle", "Time (UTC)");
    vw_end(c);
}

static void
stroke(fc_ctx *c, const struct series *s)
{
    vw_attr(c, "fill", "none");
    vw_attr(c, "stroke", s->colour);
    vw_attrf(c, "stroke-width", "%.1f", s->width);
    if (s->dash)
        vw_attr(c, "stroke-dasharray", s->dash);
}

static void
series_line(fc_ctx *c, const ch_chart *ch, const ch_scale *sc, size_t k)
{
    char pts[POINTS_BUF];
    size_t len = 0;
    pts[0] = 0;
    for (size_t i = 0; i < ch->n && len < sizeof pts; i++) {
        int w = snprintf(pts + len, sizeof pts - len, "%s%.1f,%.1f", i ? " " : "",
                         LEFT + ch_x(i, ch->n, RIGHT - LEFT), y_of(value(&ch->v[i], k), sc->max));
        if (w < 0 || (size_t) w >= sizeof pts - len) {
            wr_fail(c, "a chart's points");
            return;
        }
        len += (size_t) w;
    }
    char cls[32];
    snprintf(cls, sizeof cls, "series series-%s", series[k].key);
    vw_start(c, "polyline", cls);
    vw_attr(c, "points", pts);
    stroke(c, &series[k]);
    vw_end_void(c);
}

static void
legend(fc_ctx *c, const uint64_t *sum)
{
    vw_start(c, "g", "legend");
    for (size_t k = 0; k < 3; k++) {
        double x = LEFT + 230.0 * (double) k;
        vw_start(c, "line", "legend-sample");
        vw_attrf(c, "x1", "%.1f", x);
        vw_attr(c, "y1", "243");
        vw_attrf(c, "x2", "%.1f", x + 36);
        vw_attr(c, "y2", "243");
        stroke(c, &series[k]);
        vw_end_void(c);
        char text[64];
        snprintf(text, sizeof text, "%s, %s: %" PRIu64, series[k].label, series[k].pattern,
                 sum[k]);
        text_at(c, "legend-label", x + 44, 247, "start", text);
    }
    vw_end(c);
}

/* "Over the last hour: 40 started, 30 succeeded, 10 failed; the busiest
 * minute began at 14:05 UTC with 7 started." */
static void
describe(const ch_chart *ch, const uint64_t *sum, char *out, size_t len)
{
    size_t busiest = 0;
    for (size_t i = 1; i < ch->n; i++)
        if (ch->v[i].started > ch->v[busiest].started)
            busiest = i;
    int w = snprintf(out, len,
                     "Over %s: %" PRIu64 " started, %" PRIu64 " succeeded, %" PRIu64 " failed.",
                     ch->span_words, sum[0], sum[1], sum[2]);
    if (w > 0 && (size_t) w < len && ch->n && ch->v[busiest].started) {
        char when[32];
        time_label(ch->v[busiest].at, ch->step_s, when, sizeof when);
        snprintf(out + w, len - (size_t) w, " The busiest %s began %s UTC, with %" PRIu64
                 " started.", ch->step_s < 3600 ? "minute" : "hour", when,
                 ch->v[busiest].started);
    }
}

void
ch_chart_svg(fc_ctx *c, const ch_chart *ch)
{
    uint64_t sum[3] = {0, 0, 0}, top = 0;
    for (size_t i = 0; i < ch->n; i++)
        for (size_t k = 0; k < 3; k++) {
            uint64_t v = value(&ch->v[i], k);
            sum[k] += v;
            top = v > top ? v : top;
        }
    ch_scale sc;
    ch_scale_of(top, &sc);
    char desc[512];
    describe(ch, sum, desc, sizeof desc);

    vw_start(c, "figure", "chart");
    vw_start(c, "svg", NULL);
    vw_attr(c, "xmlns", SVG_NS);
    vw_attr(c, "id", ch->id);
    vw_attr(c, "role", "img");
    vw_attr(c, "aria-label", ch->title);
    vw_attrf(c, "aria-describedby", "%s-desc", ch->id);
    vw_attrf(c, "viewBox", "0 0 %d %d", W, H);
    vw_attr(c, "width", "100%");
    vw_attr(c, "preserveAspectRatio", "xMidYMid meet");
    vw_start(c, "title", NULL);
    vw_text(c, ch->title);
    vw_end(c);
    vw_start(c, "desc", NULL);
    vw_attrf(c, "id", "%s-desc", ch->id);
    vw_text(c, desc);
    vw_end(c);
    y_axis(c, ch, &sc);
    x_axis(c, ch);
    for (size_t k = 0; k < 3; k++)
        series_line(c, ch, &sc, k);
    legend(c, sum);
    vw_end(c); /* svg */
    vw_start(c, "figcaption", NULL);
    vw_text(c, ch->title);
    vw_end(c);
    vw_end(c); /* figure */
}
