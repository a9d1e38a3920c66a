/* chart_scale.c: the dashboard charts' axes (fcgi/chart_scale.c): round
 * maxima in four or five steps, empty and tiny charts, huge counts, and
 * where values and buckets fall. */
#include <stdint.h>

#include "chart.h"
#include "tap.h"

/* scale: the axis of top, as "max/step/ticks" checked in one point */
static void
scale_is(uint64_t top, uint64_t max, uint64_t step, unsigned ticks)
{
    ch_scale s;
    ch_scale_of(top, &s);
    ok(s.max == max && s.step == step && s.ticks == ticks,
       "top %llu: 0 to %llu in %u steps of %llu (got 0 to %llu in %u steps of %llu)",
       (unsigned long long) top, (unsigned long long) max, ticks, (unsigned long long) step,
       (unsigned long long) s.max, s.ticks, (unsigned long long) s.step);
}

int
main(void)
{
    scale_is(0, 4, 1, 4);    /* an empty chart still has an axis */
    scale_is(1, 4, 1, 4);
    scale_is(3, 4, 1, 4);
    scale_is(5, 5, 1, 5);
    scale_is(6, 6, 2, 3);
    scale_is(7, 8, 2, 4);
    scale_is(10, 10, 2, 5);
    scale_is(11, 15, 5, 3);
    scale_is(23, 25, 5, 5);
    scale_is(26, 30, 10, 3);
    scale_is(99, 100, 20, 5);
    scale_is(101, 150, 50, 3);
    scale_is(1234, 1500, 500, 3);
    scale_is(4001, 5000, 1000, 5);
    /* every top: max reaches it, in at most five steps of 1, 2 or 5 x 10^k */
    int bad = 0;
    for (uint64_t top = 0; top < 100000; top += top < 1000 ? 1 : 97) {
        ch_scale s;
        ch_scale_of(top, &s);
        uint64_t m = s.step;
        while (m % 10 == 0)
            m /= 10;
        if (s.max < top || s.ticks < 1 || s.ticks > 5 || s.max != s.step * s.ticks ||
            (m != 1 && m != 2 && m != 5) || (s.max > 4 && s.max - top >= s.step))
            bad++;
    }
    is_int(bad, 0, "every top from 0 to 100000: a round max in 1 to 5 steps, less than a step above");
    ch_scale big;
    ch_scale_of(UINT64_MAX, &big);
    ok(big.max >= UINT64_MAX - 1 && big.ticks >= 1, "the largest count gets an axis that reaches it");

    /* positions */
    ok(ch_pos(0, 10, 200) == 0, "0 is at the axis' start");
    ok(ch_pos(10, 10, 200) == 200, "max is at its end");
    ok(ch_pos(5, 10, 200) == 100, "half way is half way");
    ok(ch_pos(50, 10, 200) == 200, "past max stays at the end");
    ok(ch_pos(3, 0, 200) == 0, "an axis of max 0 puts everything at the start");
    ok(ch_x(0, 60, 590) == 0, "the first bucket at the left");
    ok(ch_x(59, 60, 590) == 590, "the last bucket at the right");
    ok(ch_x(30, 61, 600) == 300, "the middle bucket in the middle");
    ok(ch_x(0, 1, 600) == 300, "a single bucket in the middle");
    done_testing();
}
