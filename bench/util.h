/* util.h: what every reference program of bench/ shares, database or not:
 * fatal errors, a clock, argument counts, and worker threads. */
#ifndef AT_BENCH_UTIL_H
#define AT_BENCH_UTIL_H

/* The program's name in messages. */
extern const char *bench_name;

/* Prints "NAME: message" on stderr and exits 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Seconds on the monotonic clock. */
double bench_seconds(void);
/* Parses a whole number within 1..max, or dies naming what. */
unsigned long bench_count(const char *what, const char *s, unsigned long max);
/* Runs fn in n threads (at most 64), each given a pointer to its own
 * counter starting at 0; returns the sum of the counters once all have
 * ended, and the time they took in *secs. */
unsigned long bench_workers(void *(*fn)(void *), unsigned long n, double *secs);

#endif
