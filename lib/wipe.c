/* wipe.c: secrets (passwords, tokens, their hashes) are wiped from memory
 * as soon as they are no longer needed, with explicit_bzero: a memset or a
 * loop over a buffer that is not read again may be removed by the
 * compiler as a dead store. */
#include "config.h"

#include <string.h>

#include "internal.h"

void
at_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void
at_wipe_str(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
}
