/* text.c: UTF-8 checks, the text validator, and the time formats. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

#define S 1000000LL

int
main(void)
{
    at_error err = {0};
    /* UTF-8 */
    ok(at_utf8_valid("", 0), "empty is valid");
    ok(at_utf8_valid("héllo 🚀", strlen("héllo 🚀")), "2- and 4-byte sequences");
    ok(!at_utf8_valid("\xc3", 1), "truncated sequence");
    ok(!at_utf8_valid("\xc0\xaf", 2), "overlong slash");
    ok(!at_utf8_valid("\xe0\x80\xaf", 3), "overlong 3-byte");
    ok(!at_utf8_valid("\xed\xa0\x80", 3), "surrogate");
    ok(!at_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
    ok(!at_utf8_valid("\xff", 1), "invalid byte");
    ok(!at_utf8_valid("a\x80", 2), "stray continuation");
    is_int(at_utf8_len("Zoë 🚀", strlen("Zoë 🚀")), 5, "characters counted, not bytes");

    /* Error messages are UTF-8 whatever they quote, and wherever they are
     * cut (found by tests/fuzz_bulk_xml.c and tests/fuzz_config.c). */
    at_error_set(&err, AT_EINVAL, "time '%.4s' is bad", "abc\xc3\xa9");
    is_str(err.msg, "time 'abc?' is bad", "a character cut by a precision becomes '?'");
    at_error_set(&err, AT_EINVAL, "'%s' is not a valid URI", "urn:asy\xc2nc");
    is_str(err.msg, "'urn:asy?nc' is not a valid URI", "an invalid byte quoted becomes '?'");
    at_error_set(&err, AT_EINVAL, "x\xed\xa0\x80y");
    is_str(err.msg, "x???y", "a surrogate's bytes become '?'");
    char long_e[2 * AT_ERROR_MSG_MAX + 1];
    for (size_t i = 0; i + 1 < sizeof long_e; i += 2)
        memcpy(long_e + i, "\xc3\xa9", 2);
    long_e[sizeof long_e - 1] = 0;
    at_error_set(&err, AT_EINVAL, "%s", long_e);
    ok(at_utf8_valid(err.msg, strlen(err.msg)) && strlen(err.msg) == AT_ERROR_MSG_MAX - 2,
       "a message cut to fit loses the character cut in half");
    at_error_set(&err, AT_EINVAL, "%s", long_e);
    at_error_wrap(&err, "y");
    ok(at_utf8_valid(err.msg, strlen(err.msg)) && strncmp(err.msg, "y: \xc3\xa9", 5) == 0,
       "a wrapped message too");

    /* the validator */
    ok(at_text_check("name", "Bob", 10, 0, 0, &err) == AT_OK, "plain name");
    ok(at_text_check("name", "", 10, 0, 0, &err) == AT_EINVAL, "empty refused");
    has_str(err.msg, "name is empty", "empty message names the field");
    ok(at_text_check("reason", "", 10, 1, 0, &err) == AT_OK, "empty allowed where asked");
    ok(at_text_check("name", "0123456789", 10, 0, 0, &err) == AT_OK, "exactly the limit");
    ok(at_text_check("name", "01234567890", 10, 0, 0, &err) == AT_EINVAL, "one over the limit");
    has_str(err.msg, "11 characters, at most 10", "length message");
    ok(at_text_check("name", "🚀🚀🚀", 3, 0, 0, &err) == AT_OK, "limit counts characters");
    ok(at_text_check("name", "a\tb", 10, 0, 0, &err) == AT_EINVAL, "tab refused in a single line");
    ok(at_text_check("note", "a\tb\nc", 10, 0, 1, &err) == AT_OK, "tab and newline in multiline");
    ok(at_text_check("name", "a\x7f", 10, 0, 0, &err) == AT_EINVAL, "DEL refused");
    ok(at_text_check("name", "a\xc2\x85", 10, 0, 0, &err) == AT_EINVAL, "C1 control refused");
    has_str(err.msg, "U+0085", "control character named");
    ok(at_text_check("name", "caf\xc3", 10, 0, 0, &err) == AT_EINVAL, "invalid UTF-8 refused");
    has_str(err.msg, "not valid UTF-8", "UTF-8 message");
    ok(at_text_check("name", " Bob", 10, 0, 0, &err) == AT_EINVAL, "leading space refused");
    ok(at_text_check("name", "Bob ", 10, 0, 0, &err) == AT_EINVAL, "trailing space refused");

    /* times */
    at_time now = 1767225600LL * S; /* 2026-01-01 00:00:00 UTC */
    at_time t;
    ok(at_time_parse("now", now, &t, &err) == AT_OK && t == now, "now");
    ok(at_time_parse("+15m", now, &t, &err) == AT_OK && t == now + 900 * S, "+15m");
    ok(at_time_parse("+1h", now, &t, &err) == AT_OK && t == now + 3600 * S, "+1h");
    ok(at_time_parse("+1d", now, &t, &err) == AT_OK && t == now + 86400 * S, "+1d");
    ok(at_time_parse("+30s", now, &t, &err) == AT_OK && t == now + 30 * S, "+30s");
    ok(at_time_parse("2026-03-04", now, &t, &err) == AT_OK && t == 1772582400LL * S, "a date");
    ok(at_time_parse("2026-03-04 05:06", now, &t, &err) == AT_OK &&
           t == 1772582400LL * S + (5 * 3600 + 6 * 60) * S,
       "date and minutes");
    ok(at_time_parse("2026-03-04T05:06:07Z", now, &t, &err) == AT_OK &&
           t == 1772582400LL * S + (5 * 3600 + 6 * 60 + 7) * S,
       "ISO form");
    ok(at_time_parse("2026-03-04 05:06:07.25", now, &t, &err) == AT_OK &&
           t == 1772582400LL * S + (5 * 3600 + 6 * 60 + 7) * S + 250000,
       "fractions of a second");
    ok(at_time_parse("2028-02-29", now, &t, &err) == AT_OK, "leap day");
    const char *bad[] = {"",           "tomorrow",      "+",          "+5",         "+5y",
                         "+-5m",       "2026-02-29",    "2026-13-01", "2026-00-10", "2026-01-32",
                         "2026-1-1",   "2026-01-01 24:00", "2026-01-01 10:60", "1969-12-31",
                         "2026-01-01 10:00:00.1234567", "2026-01-01x", "+99999d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok(at_time_parse(bad[i], now, &t, &err) == AT_EINVAL, "refused: '%s'", bad[i]);
        ok(err.msg[0] != 0, "with a message: %s", err.msg);
    }
    char buf[32];
    is_str(at_time_format(1772582400LL * S + 3723 * S + 999999, buf, sizeof buf),
           "2026-03-04 01:02:03", "format truncates to seconds");
    is_str(at_time_format(0, buf, sizeof buf), "", "0 formats as empty");
    is_str(at_time_format(-1, buf, sizeof buf), "1969-12-31 23:59:59",
           "a microsecond before 1970 is the second before");
    is_str(at_time_format(1772582400LL * S, buf, 19), "", "a buffer too small: empty");
    is_str(at_time_iso(1764410400123456LL, buf, sizeof buf), "2025-11-29T10:00:00.123456Z",
           "ISO 8601 in UTC to the microsecond");
    is_str(at_time_iso(0, buf, sizeof buf), "", "ISO: no time is empty");
    is_str(at_time_iso(253402300799999999LL, buf, sizeof buf), "9999-12-31T23:59:59.999999Z",
           "ISO: the last microsecond of 9999");
    is_str(at_time_iso(253402300800000000LL, buf, sizeof buf), "", "ISO: year 10000 is empty");
    /* against the C library, a second every 9,999,991 s from 1970 to
     * 9999, and the parse back */
    int same = 1, back = 1;
    for (int64_t secs = -86400 * 400LL; secs < 253402300800LL; secs += 9999991) {
        time_t tt = (time_t) secs;
        struct tm tm;
        char want[32];
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%Y-%m-%d %H:%M:%S", &tm);
        at_time_format(secs * S + 5, buf, sizeof buf);
        if (strcmp(buf, want) != 0) {
            diag("%lld: %s, want %s", (long long) secs, buf, want);
            same = 0;
            break;
        }
        if (secs >= 0 && (at_time_parse(buf, now, &t, &err) != AT_OK || t != secs * S)) {
            diag("%s parses as %lld", buf, (long long) t);
            back = 0;
            break;
        }
    }
    ok(same, "format agrees with gmtime_r and strftime from 1969 to 9999");
    ok(back, "and each formatted time parses back to itself");
    /* secrets wiped: every byte, and no further than asked */
    char secret[16];
    memcpy(secret, "hunter2-hunter2", 16);
    at_wipe(secret, 8);
    static const char eight_zeros[8] = {0};
    ok(memcmp(secret, eight_zeros, 8) == 0 && strcmp(secret + 8, "hunter2") == 0,
       "at_wipe clears the bytes it is given and no more");
    at_wipe_str(secret + 8);
    static const char sixteen_zeros[16] = {0};
    ok(memcmp(secret, sixteen_zeros, 16) == 0, "at_wipe_str clears a string's characters");
    at_wipe(NULL, 8);
    at_wipe_str(NULL);
    ok(secret[0] == 0, "NULL is ignored, without a crash");
    return done_testing();
}
