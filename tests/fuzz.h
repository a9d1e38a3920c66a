/* fuzz.h: what every fuzz target shares. A target is one function,
 * LLVMFuzzerTestOneInput, that feeds one input to a parser and holds the
 * result to the parser's promises; fuzz_check aborts when one is broken,
 * so that libFuzzer (dev/fuzz) and the corpus replay of make check
 * (fuzz_replay.c) both report it like a crash. */
#ifndef AT_FUZZ_H
#define AT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn, unused))
fuzz_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, cond);
    abort();
}

#define fuzz_check(cond) ((cond) ? (void) 0 : fuzz_fail(#cond, __FILE__, __LINE__))

/* The input as a C string (cut at a NUL it holds), malloc'd. */
__attribute__((unused)) static char *
fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    fuzz_check(s != NULL);
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* A malloc'd copy of exactly size bytes, so that a parser that reads past
 * the end of its input is caught. */
__attribute__((unused)) static char *
fuzz_bytes(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    fuzz_check(s != NULL);
    memcpy(s, data, size);
    return s;
}

/* Reads the input as a sequence of fields: fuzz_take gives the next n
 * bytes (fewer at the end), fuzz_byte one byte (0 at the end). */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t left;
} fuzz_in;

static size_t __attribute__((unused))
fuzz_take(fuzz_in *in, size_t n, const uint8_t **out)
{
    if (n > in->left)
        n = in->left;
    *out = in->p;
    in->p += n;
    in->left -= n;
    return n;
}

static unsigned __attribute__((unused))
fuzz_byte(fuzz_in *in)
{
    const uint8_t *b;
    return fuzz_take(in, 1, &b) ? b[0] : 0;
}

#endif
