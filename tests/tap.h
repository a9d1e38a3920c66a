/* tap.h: Test Anything Protocol output for the C tests. */
#ifndef AT_TAP_H
#define AT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void __attribute__((noreturn, format(printf, 1, 2), unused))
bail(const char *fmt, ...)
{
    va_list ap;
    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long g_ = (long long) (got), w_ = (long long) (want);                                 \
        if (!ok(g_ == w_, __VA_ARGS__))                                                            \
            diag("  got %lld, want %lld", g_, w_);                                                 \
    } while (0)

#define is_str(got, want, ...)                                                                     \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                                     \
            diag("  got '%s', want '%s'", g_ ? g_ : "(null)", w_ ? w_ : "(null)");                 \
    } while (0)

/* ok() for a message that must contain a piece of text. */
#define has_str(hay, needle, ...)                                                                  \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!ok(h_ && strstr(h_, n_) != NULL, __VA_ARGS__))                                        \
            diag("  '%s' does not contain '%s'", h_ ? h_ : "(null)", n_);                          \
    } while (0)

static int __attribute__((unused))
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
