/* util.h: text, time and payload helpers the programs share with lib. */
#ifndef ASYNCTASKS_UTIL_H
#define ASYNCTASKS_UTIL_H

#include <asynctasks/error.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int at_utf8_valid(const char *s, size_t len);
/* Number of characters of valid UTF-8 s[0..len). */
size_t at_utf8_len(const char *s, size_t len);

/* Checks a piece of user text: valid UTF-8, no control characters
 * (tab/newline allowed when multiline), 1..max characters (0..max when
 * may_be_empty). what names it in the error: "user name". */
int at_text_check(const char *what, const char *s, size_t max, int may_be_empty,
                  int multiline, at_error *err);

/* The forms names take; AT_EINVAL with a message saying what is wrong. */
int at_check_slug(const char *s, at_error *err);      /* business slugs */
int at_check_type_name(const char *s, at_error *err); /* task type names */
int at_check_email(const char *s, at_error *err);

/* Times: "now", "+15m", "+2h", "+1d", "+30s", "YYYY-MM-DD",
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS][Z]", all UTC.
 * Relative ones count from now. */
int at_time_parse(const char *s, at_time now, at_time *out, at_error *err);
/* "YYYY-MM-DD HH:MM:SS" UTC into buf (at least 20 bytes); "" for 0. */
char *at_time_format(at_time t, char *buf, size_t len);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" UTC into buf (at least 28 bytes); "" for 0. */
char *at_time_iso(at_time t, char *buf, size_t len);
at_time at_time_now(void); /* this host's clock */

/* Wipes a secret from memory (explicit_bzero: never removed by the
 * compiler): n bytes at p, or the characters of s. NULL is ignored. */
void at_wipe(void *p, size_t n);
void at_wipe_str(char *s);

/* Ends a forked child (a FastCGI worker, an executor, the pruner) with
 * _exit(status), so that nothing of its parent's (atexit handlers, stdio
 * buffers) runs twice. In a build with AddressSanitizer it first checks
 * the child for leaks, which LeakSanitizer does only at exit(). */
void at_child_exit(int status) __attribute__((noreturn));

/* Takes the pidfile at path for this process: creates it (not through a
 * symbolic link), locks it for as long as *fd stays open and writes the
 * pid. AT_ECONFLICT "another PROGRAM holds PATH (pid N)" while another
 * process holds it; AT_EIO when it cannot be opened or written. A file
 * left by a process that died holds no lock and is taken over. */
int at_pidfile_take(const char *path, const char *program, int *fd, at_error *err);

/* What a payload must be: UTF-8 text without NUL, at most AT_PAYLOAD_MAX
 * bytes. */
int at_payload_check(const char *in, size_t len, at_error *err);
/* Payload storage: text above AT_PAYLOAD_COMPRESS bytes is deflated.
 * encoding is 0 for plain, 1 for zlib. *out is malloc'd. */
int at_payload_encode(const char *in, size_t len, unsigned char **out, size_t *outlen,
                      int *encoding, at_error *err);
/* Inverse; orig_len is the stored uncompressed size. *out is malloc'd and
 * NUL-terminated. */
int at_payload_decode(const unsigned char *in, size_t len, int encoding, size_t orig_len,
                      char **out, at_error *err);

/* SHA-256 of data. */
void at_sha256(const void *data, size_t len, unsigned char out[32]);

/* Random tokens: 32 bytes from the OS CSPRNG as 64 lowercase hex digits. */
#define AT_TOKEN_LEN 64
int at_random_token(char out[AT_TOKEN_LEN + 1], at_error *err);
/* 1 when a and b are equal, in time that does not depend on where they
 * differ. NULL or an empty string never equals anything. */
int at_token_equal(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
