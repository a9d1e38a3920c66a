/* chart.h: the dashboard's charts: the arithmetic of their axes
 * (chart_scale.c, pure, tested alone by tests/chart_scale.c) and their
 * drawing as SVG through the page's writer (chart.c). */
#ifndef FC_CHART_H
#define FC_CHART_H

#include <stddef.h>
#include <stdint.h>

/* A value axis from 0 to max in ticks steps of step: max is the least
 * "round" number (1, 2 or 5 times a power of ten, times the steps) that
 * is at least top; top 0 gives 0 to 4 in steps of 1. */
typedef struct ch_scale {
    uint64_t max, step;
    unsigned ticks;
} ch_scale;
void ch_scale_of(uint64_t top, ch_scale *s);

/* Where v falls on an axis of len pixels that shows 0 to max, from its
 * start (0 for v 0, len for v max; v past max is len). */
double ch_pos(uint64_t v, uint64_t max, double len);

/* The x of point i of n spread evenly over len pixels (the first at 0,
 * the last at len; a single one in the middle). */
double ch_x(size_t i, size_t n, double len);

#ifdef FC_APP_H
/* One chart: n buckets of step_s seconds, three series (started,
 * succeeded, failed), its title (the accessible name, also
 * aria-label), the unit of its y axis ("per minute") and how often an x
 * label is written (every label_every buckets, at buckets whose start is
 * a multiple of label_every * step_s). */
typedef struct ch_chart {
    const char *id, *title, *unit;
    const at_dash_point *v;
    size_t n;
    unsigned step_s, label_every;
    const char *span_words; /* "the last hour" */
} ch_chart;
/* <figure> with the <svg role="img"> (title, desc, axes, the three lines,
 * each in a dash pattern of its own, a legend) and a caption. */
void ch_chart_svg(fc_ctx *c, const ch_chart *ch);
#endif

#endif
