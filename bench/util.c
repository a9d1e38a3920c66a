/* util.c: see util.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

#define WORKERS_MAX 64

const char *bench_name = "bench";

void
bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", bench_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

double
bench_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

unsigned long
bench_count(const char *what, const char *s, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < 1 || v > max)
        bench_die("%s must be a whole number from 1 to %lu, not '%s'", what, max, s);
    return v;
}

unsigned long
bench_workers(void *(*fn)(void *), unsigned long n, double *secs)
{
    pthread_t t[WORKERS_MAX];
    unsigned long done[WORKERS_MAX] = {0}, total = 0;
    if (n > WORKERS_MAX)
        bench_die("at most %d workers", WORKERS_MAX);
    double t0 = bench_seconds();
    for (unsigned long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, &done[i]))
            bench_die("cannot start a thread");
    for (unsigned long i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += done[i];
    }
    *secs = bench_seconds() - t0;
    return total;
}
