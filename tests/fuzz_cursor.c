/* fuzz_cursor.c: a fuzz target for the page cursors of the keyset-paged
 * lists (lib/cursor.c), which come back from users in "after" and
 * "before". The first byte chooses the parser (name or number cursor) and
 * its tag (none or a letter), the rest is the cursor. A cursor that is
 * read is printed again by the list's own writer: a name cursor to the
 * very same text (there is one spelling of each), a number cursor to one
 * that reads back to the same key and id. */
#include <inttypes.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "fuzz.h"
#include "internal.h"

static void
name_cursor(char tag, const char *s)
{
    char name[AT_NAME_BUF];
    uint64_t id = 0;
    if (at_cursor_name_parse(tag, s, name, sizeof name, &id) != 0)
        return;
    fuzz_check(id >= 1);
    fuzz_check(strlen(name) < sizeof name && at_utf8_valid(name, strlen(name)));
    fuzz_check(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s));
    char out[AT_CURSOR_BUF];
    at_cursor_name(tag, name, id, out, sizeof out);
    fuzz_check(strcmp(out, s) == 0);
}

static void
number_cursor(char tag, const char *s)
{
    int64_t key = -1;
    uint64_t id = 0;
    if (at_cursor_number_parse(tag, s, &key, &id) != 0)
        return;
    fuzz_check(key >= 0 && id >= 1);
    fuzz_check(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s));
    char out[AT_CURSOR_BUF];
    at_cursor_number(tag, key, id, out, sizeof out);
    int64_t key2 = -1;
    uint64_t id2 = 0;
    fuzz_check(at_cursor_number_parse(tag, out, &key2, &id2) == 0);
    fuzz_check(key2 == key && id2 == id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* bit 0: which parser; the rest: no tag, or one of a few letters */
    static const char tags[] = {0, 'c', 'u', 't'};
    char tag = tags[(data[0] >> 1) % sizeof tags];
    char *s = fuzz_string(data + 1, size - 1);
    if (data[0] & 1)
        number_cursor(tag, s);
    else
        name_cursor(tag, s);
    free(s);
    return 0;
}
