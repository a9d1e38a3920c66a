/* model_session.c: sessions (tokens, expiry, logout, one-shot messages),
 * login throttling, the paginated member search of the Pause User dialog,
 * and the capped task count. Who may administer what: model_access.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testdb.h"

int
main(void)
{
    at_db *db = testdb_open();
    at_error err = {0};

    /* tokens */
    char t1[AT_TOKEN_LEN + 1], t2[AT_TOKEN_LEN + 1];
    ok(at_random_token(t1, &err) == AT_OK && at_random_token(t2, &err) == AT_OK, "tokens");
    ok(strlen(t1) == 64 && strspn(t1, "0123456789abcdef") == 64, "64 hex digits");
    ok(strcmp(t1, t2) != 0, "never the same twice");
    ok(at_token_equal(t1, t1) && !at_token_equal(t1, t2) && !at_token_equal(t1, NULL) &&
           !at_token_equal("ab", "abc"),
       "token comparison");
    ok(!at_token_equal("", "") && !at_token_equal(t1, "") && !at_token_equal("", t1),
       "an empty token matches nothing, not even another empty one");
    unsigned char h[32];
    at_sha256("abc", 3, h);
    ok(h[0] == 0xba && h[1] == 0x78 && h[31] == 0xad, "SHA-256 of 'abc'");
    at_sha256("", 0, h);
    ok(h[0] == 0xe3 && h[1] == 0xb0 && h[31] == 0x55, "SHA-256 of ''");
    char longmsg[1000];
    memset(longmsg, 'a', sizeof longmsg);
    at_sha256(longmsg, sizeof longmsg, h);
    ok(h[0] == 0x41 && h[1] == 0xed && h[31] == 0xa3, "SHA-256 over several blocks");

    /* sessions */
    uint64_t biz = testdb_business(db, "sess");
    uint64_t other = testdb_business(db, "sess-other");
    uint64_t user = testdb_user(db, biz, "Sam Session");
    char tok[AT_TOKEN_LEN + 1];
    at_session s, g;
    ok(at_session_create(db, user, 3600, tok, &s, &err) == AT_OK, "create a session");
    ok(s.user_id == user && strlen(s.csrf) == 64 && strcmp(s.csrf, tok) != 0,
       "with its own CSRF token");
    ok(s.expires_at - s.created_at == 3600LL * 1000000, "ending at the lifetime");
    ok(at_session_get(db, tok, 60, &g, &err) == AT_OK && g.user_id == user &&
           strcmp(g.csrf, s.csrf) == 0,
       "found by its token");
    char first = tok[0];
    tok[0] = first == 'a' ? 'b' : 'a';
    ok(at_session_get(db, tok, 60, &g, &err) == AT_ENOTFOUND, "another token finds nothing");
    tok[0] = first;
    ok(at_session_get(db, "not-a-token", 60, &g, &err) == AT_ENOTFOUND, "a malformed token either");
    ok(at_session_flash_set(db, tok, "Saved.", &err) == AT_OK, "keep a message");
    char msg[AT_FLASH_BUF];
    ok(at_session_flash_take(db, tok, msg, sizeof msg, &err) == AT_OK && strcmp(msg, "Saved.") == 0,
       "the next page reads it");
    ok(at_session_flash_take(db, tok, msg, sizeof msg, &err) == AT_OK && msg[0] == 0,
       "once");
    ok(at_session_flash_set(db, tok, "bad\xff", &err) == AT_EINVAL, "a message must be text");
    sleep(2);
    ok(at_session_get(db, tok, 1, &g, &err) == AT_ENOTFOUND, "idle longer than allowed: gone");
    ok(at_session_get(db, tok, 60, &g, &err) == AT_OK, "within the idle time: there");
    ok(at_session_end(db, tok, &err) == AT_OK, "logout");
    ok(at_session_get(db, tok, 60, &g, &err) == AT_ENOTFOUND, "ended on the server");
    ok(at_session_end(db, tok, &err) == AT_OK, "ending again is harmless");
    ok(at_session_create(db, user, 1, tok, &s, &err) == AT_OK, "a session of one second");
    sleep(2);
    ok(at_session_get(db, tok, 600, &g, &err) == AT_ENOTFOUND, "past its lifetime: gone");

    /* login throttling */
    char email[128];
    snprintf(email, sizeof email, "throttle.%s@test.example.com", testdb_tag());
    unsigned wait = 99;
    ok(at_login_check(db, email, &wait, &err) == AT_OK && wait == 0, "no failures: no wait");
    for (int i = 0; i < 4; i++)
        at_login_failed(db, email, &err);
    ok(at_login_check(db, email, &wait, &err) == AT_OK && wait == 0, "four failures: no wait");
    at_login_failed(db, email, &err);
    ok(at_login_check(db, email, &wait, &err) == AT_OK && wait >= 29 && wait <= 30,
       "the fifth: 30 seconds (%u)", wait);
    at_login_failed(db, email, &err);
    ok(at_login_check(db, email, &wait, &err) == AT_OK && wait >= 59 && wait <= 60,
       "the sixth: doubled (%u)", wait);
    for (int i = 0; i < 10; i++)
        at_login_failed(db, email, &err);
    ok(at_login_check(db, email, &wait, &err) == AT_OK && wait <= 900 && wait > 890,
       "at most 15 minutes (%u)", wait);
    ok(at_login_succeeded(db, email, &err) == AT_OK &&
           at_login_check(db, email, &wait, &err) == AT_OK && wait == 0,
       "a success clears it");
    ok(at_login_failed(db, "bad\xff", &err) == AT_OK, "an email that is not text is throttled too");

    /* the member search: pages by name, searched on the server */
    for (int i = 0; i < 23; i++) {
        char name[64];
        snprintf(name, sizeof name, "Zed Member %02d", i);
        testdb_user(db, biz, name);
    }
    at_user_page page;
    ok(at_member_search(db, biz, "zed member", NULL, 10, &page, &err) == AT_OK && page.n == 10 &&
           page.has_next,
       "first page of 10");
    ok(strcmp(page.rows[0].name, "Zed Member 00") == 0 &&
           strcmp(page.rows[9].name, "Zed Member 09") == 0,
       "in name order");
    char next[AT_USER_CURSOR_BUF];
    strcpy(next, page.next);
    at_user_page_free(&page);
    ok(at_member_search(db, biz, "zed member", next, 10, &page, &err) == AT_OK && page.n == 10 &&
           strcmp(page.rows[0].name, "Zed Member 10") == 0,
       "second page goes on");
    strcpy(next, page.next);
    at_user_page_free(&page);
    ok(at_member_search(db, biz, "zed member", next, 10, &page, &err) == AT_OK && page.n == 3 &&
           !page.has_next,
       "last page");
    at_user_page_free(&page);
    ok(at_member_search(db, biz, NULL, "zz", 10, &page, &err) == AT_EINVAL, "bad cursor refused");
    ok(at_member_search(db, biz, NULL, NULL, 0, &page, &err) == AT_EINVAL, "page size 0 refused");
    ok(at_member_search(db, other, "zed", NULL, 10, &page, &err) == AT_OK && page.n == 0,
       "members of another business are not found");
    at_user_page_free(&page);

    /* the capped count */
    uint64_t type = testdb_type(db, "count");
    for (int i = 0; i < 12; i++)
        testdb_task(db, biz, user, type);
    at_task_query q = {biz, AT_SORT_CREATED, 1, AT_FILTER_PENDING, NULL, NULL, NULL, NULL, 5};
    uint64_t n = 0;
    int more = -1;
    ok(at_task_count(db, &q, 100, &n, &more, &err) == AT_OK && n == 12 && more == 0,
       "count below the cap: exact");
    ok(at_task_count(db, &q, 10, &n, &more, &err) == AT_OK && n == 10 && more == 1,
       "count above the cap: the cap, and more");
    q.filter = AT_FILTER_ALL;
    ok(at_task_count(db, &q, 100, &n, &more, &err) == AT_OK && n == 12, "all: the same here");
    q.filter = AT_FILTER_FINISHED;
    ok(at_task_count(db, &q, 100, &n, &more, &err) == AT_OK && n == 0, "none finished");
    q.filter = AT_FILTER_PENDING;
    q.user_search = "nobody by that name";
    ok(at_task_count(db, &q, 100, &n, &more, &err) == AT_OK && n == 0, "a search that matches no one");

    /* the list counted with its page, as a searched view shows it */
    at_task_page pg;
    q.user_search = "sam session";
    ok(at_task_list_counted(db, &q, 10, &pg, &err) == AT_OK && pg.n == 5 && pg.count == 10 &&
           pg.count_more == 1,
       "a counted page: the count stops at the cap");
    char after[AT_CURSOR_BUF];
    strcpy(after, pg.next);
    at_task_page_free(&pg);
    q.after = after;
    ok(at_task_list_counted(db, &q, 50, &pg, &err) == AT_OK && pg.n == 5 && pg.count == 12 &&
           pg.count_more == 0,
       "a later page counts them all, cursor aside");
    at_task_page_free(&pg);
    q.after = NULL;
    q.limit = 20;
    ok(at_task_list_counted(db, &q, 50, &pg, &err) == AT_OK && pg.n == 12 && pg.count == 12 &&
           pg.count_more == 0,
       "a first page that holds them all is the count");
    at_task_page_free(&pg);
    ok(at_task_list_counted(db, &q, 0, &pg, &err) == AT_EINVAL, "a cap of 0 is refused");

    testdb_close(db);
    return done_testing();
}
