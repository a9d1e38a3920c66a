/* password.c: yescrypt hashing and verification. */
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

int
main(void)
{
    char h1[AT_PASSWORD_HASH_MAX], h2[AT_PASSWORD_HASH_MAX];
    at_error err = {0};
    ok(at_password_hash("correct horse", h1, sizeof h1, &err) == AT_OK, "hash");
    ok(strncmp(h1, "$y$", 3) == 0, "it is a yescrypt hash: %.10s...", h1);
    ok(strstr(h1, "correct") == NULL, "the hash does not hold the password");
    ok(at_password_hash("correct horse", h2, sizeof h2, &err) == AT_OK, "hash again");
    ok(strcmp(h1, h2) != 0, "a new salt every time");
    ok(at_password_verify("correct horse", h1) == 1, "right password verifies");
    ok(at_password_verify("correct horse", h2) == 1, "right password verifies against either");
    ok(at_password_verify("correct horsf", h1) == 0, "wrong password fails");
    ok(at_password_verify("", h1) == 0, "empty password fails");
    ok(at_password_verify("correct horse", "") == 0, "empty hash fails");
    ok(at_password_verify("correct horse", "$1$abc$xyz") == 0, "a non-yescrypt hash fails");
    ok(at_password_verify("correct horse", "$y$garbage") == 0, "a malformed hash fails");
    ok(at_password_verify(NULL, h1) == 0, "NULL password fails");
    const char *utf = "pässwörd 🔑";
    ok(at_password_hash(utf, h2, sizeof h2, &err) == AT_OK && at_password_verify(utf, h2) == 1,
       "UTF-8 password round trip");
    ok(at_password_hash("", h2, sizeof h2, &err) == AT_EINVAL, "empty password refused");
    has_str(err.msg, "empty", "empty message");
    char *longpw = malloc(AT_PASSWORD_MAX + 2);
    memset(longpw, 'p', AT_PASSWORD_MAX + 1);
    longpw[AT_PASSWORD_MAX + 1] = 0;
    ok(at_password_hash(longpw, h2, sizeof h2, &err) == AT_EINVAL, "overlong password refused");
    longpw[AT_PASSWORD_MAX] = 0;
    ok(at_password_hash(longpw, h2, sizeof h2, &err) == AT_OK && at_password_verify(longpw, h2),
       "longest password accepted");
    free(longpw);
    char tiny[8];
    ok(at_password_hash("x", tiny, sizeof tiny, &err) == AT_EINVAL, "too small a buffer refused");
    return done_testing();
}
