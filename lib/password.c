/* password.c: yescrypt hashing through libcrypt. The clear password is
 * only ever held by the caller; here it goes into crypt_r and nowhere
 * else. */
#include "config.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void
wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

int
at_password_hash(const char *password, char *out, size_t outlen, at_error *err)
{
    if (!password || !*password)
        return at_error_set(err, AT_EINVAL, "password is empty");
    if (strlen(password) > AT_PASSWORD_MAX)
        return at_error_set(err, AT_EINVAL, "password is longer than %d bytes", AT_PASSWORD_MAX);
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL random bytes: libcrypt draws them from the OS CSPRNG. */
    if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt))
        return at_error_set(err, AT_EINVAL, "yescrypt is not available in libcrypt");
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    const char *h = crypt_r(password, salt, cd);
    int rc = AT_OK;
    if (!h || h[0] == '*')
        rc = at_error_set(err, AT_EINVAL, "password hashing failed");
    else if (strlen(h) >= outlen)
        rc = at_error_set(err, AT_EINVAL, "password hash does not fit");
    else
        strcpy(out, h);
    wipe(cd, sizeof *cd);
    free(cd);
    return rc;
}

int
at_password_verify(const char *password, const char *hash)
{
    if (!password || !hash || strncmp(hash, "$y$", 3) != 0)
        return 0;
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd)
        return 0;
    const char *h = crypt_r(password, hash, cd);
    int ok = 0;
    if (h && h[0] != '*') {
        size_t n = strlen(hash);
        if (strlen(h) == n) {
            /* compare in constant time */
            unsigned char diff = 0;
            for (size_t i = 0; i < n; i++)
                diff |= (unsigned char) (h[i] ^ hash[i]);
            ok = diff == 0;
        }
    }
    wipe(cd, sizeof *cd);
    free(cd);
    return ok;
}
