/* chart_scale.c: the arithmetic of the dashboard's chart axes: no page,
 * no database (tests/chart_scale.c). */
#include "config.h"

#include "chart.h"

#define TICKS_MAX 5

void
ch_scale_of(uint64_t top, ch_scale *s)
{
    static const uint64_t mult[] = {1, 2, 5};
    if (top == 0)
        top = 1; /* an empty chart still has an axis */
    for (uint64_t p = 1;; p *= 10) {
        for (unsigned m = 0; m < 3; m++) {
            uint64_t step = mult[m] * p;
            /* the fewest steps of this size that reach top */
            uint64_t ticks = top / step + (top % step != 0);
            if (ticks <= TICKS_MAX && step <= UINT64_MAX / TICKS_MAX) {
                if (ticks < 4 && step == 1)
                    ticks = 4; /* small counts: 0 to 4 at least */
                s->step = step;
                s->ticks = (unsigned) ticks;
                s->max = step * ticks;
                return;
            }
        }
        if (p > UINT64_MAX / 100) { /* no rounder number fits: top itself */
            s->step = s->max = top;
            s->ticks = 1;
            return;
        }
    }
}

double
ch_pos(uint64_t v, uint64_t max, double len)
{
    if (max == 0)
        return 0;
    if (v >= max)
        return len;
    return (double) v * len / (double) max;
}

double
ch_x(size_t i, size_t n, double len)
{
    if (n < 2)
        return len / 2;
    return (double) i * len / (double) (n - 1);
}
