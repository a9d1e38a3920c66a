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

    /* login throttling: the address as counted */
    char ad[AT_LOGIN_ADDR_BUF];
    ok(at_login_address("192.0.2.7", ad, &err) == AT_OK && strcmp(ad, "192.0.2.7") == 0,
       "IPv4 is counted as it is");
    ok(at_login_address("::ffff:192.0.2.7", ad, &err) == AT_OK && strcmp(ad, "192.0.2.7") == 0,
       "an IPv4-mapped IPv6 address as its IPv4 (%s)", ad);
    ok(at_login_address("2001:db8:1:2:3:4:5:6", ad, &err) == AT_OK &&
           strcmp(ad, "2001:db8:1:2::/64") == 0,
       "IPv6 as its /64 (%s)", ad);
    ok(at_login_address("2001:DB8:1:2:ffff::9", ad, &err) == AT_OK &&
           strcmp(ad, "2001:db8:1:2::/64") == 0,
       "another address of the /64, written another way, is the same (%s)", ad);
    ok(at_login_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ad, &err) == AT_OK &&
           strcmp(ad, "ffff:ffff:ffff:ffff::/64") == 0,
       "the longest /64 fits (%s)", ad);
    const char *not_addr[] = {
        "", "unix:", "192.0.2.256", "192.0.2.1/24", "2001:db8::1%eth0", "localhost", " 192.0.2.7"};
    int refused = 0;
    for (size_t i = 0; i < sizeof not_addr / sizeof *not_addr; i++)
        refused += at_login_address(not_addr[i], ad, &err) == AT_EINVAL;
    ok(refused == (int) (sizeof not_addr / sizeof *not_addr), "anything else is no address (%d)",
       refused);
    ok(at_login_address(NULL, ad, &err) == AT_EINVAL, "nor is none");

    /* login throttling: per email and address, per address */
    unsigned pid = (unsigned) getpid();
    char email[128], a1[64], a2[64], a3[64], a4[64], v6a[64], v6b[64], v6c[64];
    snprintf(email, sizeof email, "throttle.%s@test.example.com", testdb_tag());
    char *addrs[] = {a1, a2, a3, a4};
    for (int i = 0; i < 4; i++)
        snprintf(addrs[i], 64, "10.%u.%u.%d", (pid >> 8) & 255, pid & 255, i + 1);
    snprintf(v6a, sizeof v6a, "2001:db8:%x:1::1", pid & 0xffff);
    snprintf(v6b, sizeof v6b, "2001:db8:%x:1:ffff::2", pid & 0xffff);
    snprintf(v6c, sizeof v6c, "2001:db8:%x:2::1", pid & 0xffff);
    at_login_try t;
    int free_ = 0;
    for (int i = 0; i < AT_LOGIN_PAIR_MAX; i++)
        free_ += at_login_attempt(db, email, a1, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE;
    ok(free_ == AT_LOGIN_PAIR_MAX, "the first %d attempts of an email from an address are free",
       AT_LOGIN_PAIR_MAX);
    ok(at_login_attempt(db, email, a1, &t, &err) == AT_OK && t.blocked == AT_LOGIN_EMAIL &&
           t.wait_s > AT_LOGIN_WINDOW_S - 60 && t.wait_s <= AT_LOGIN_WINDOW_S,
       "the next is blocked until the window ends (%u s)", t.wait_s);
    ok(strcmp(t.addr, a1) == 0 && strcmp(t.email, email) == 0, "the try says what it counted");
    ok(at_login_attempt(db, email, a2, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE,
       "the same email from another address is free");
    ok(at_login_succeeded(db, &t, &err) == AT_OK, "a success there");
    ok(at_login_attempt(db, email, a1, &t, &err) == AT_OK && t.blocked == AT_LOGIN_EMAIL,
       "does not unblock the first address");
    free_ = 0;
    for (int i = 0; i < AT_LOGIN_PAIR_MAX; i++)
        free_ += at_login_attempt(db, email, v6a, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE;
    ok(free_ == AT_LOGIN_PAIR_MAX && strcmp(t.addr, v6a) != 0, "IPv6: %d free attempts from %s",
       free_, t.addr);
    ok(at_login_attempt(db, email, v6b, &t, &err) == AT_OK && t.blocked == AT_LOGIN_EMAIL,
       "then another address of the same /64 is blocked");
    ok(at_login_attempt(db, email, v6c, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE,
       "and one of another /64 is not");

    char other_email[128];
    free_ = 0;
    for (int i = 0; i < AT_LOGIN_ADDR_MAX; i++) {
        snprintf(other_email, sizeof other_email, "spray%d.%s@test.example.com", i, testdb_tag());
        free_ +=
            at_login_attempt(db, other_email, a3, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE;
    }
    ok(free_ == AT_LOGIN_ADDR_MAX, "%d attempts from one address at %d emails are free", free_,
       AT_LOGIN_ADDR_MAX);
    ok(at_login_attempt(db, email, a3, &t, &err) == AT_OK && t.blocked == AT_LOGIN_ADDRESS &&
           t.wait_s > AT_LOGIN_WINDOW_S - 60,
       "the next, at any email, is blocked for the address (%u s)", t.wait_s);
    free_ = 0;
    for (int i = 0; i < AT_LOGIN_ADDR_MAX + 10; i++) {
        snprintf(other_email, sizeof other_email, "ok%d.%s@test.example.com", i % 3, testdb_tag());
        if (at_login_attempt(db, other_email, a4, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE)
            free_ += at_login_succeeded(db, &t, &err) == AT_OK;
    }
    ok(free_ == AT_LOGIN_ADDR_MAX + 10, "successes do not count against the address (%d)", free_);

    free_ = 0;
    for (int i = 0; i < AT_LOGIN_PAIR_MAX; i++)
        free_ += at_login_attempt(db, i % 2 ? "bad\xff" : "", a2, &t, &err) == AT_OK &&
                 t.blocked == AT_LOGIN_FREE;
    ok(free_ == AT_LOGIN_PAIR_MAX && strcmp(t.email, "(invalid)") == 0,
       "emails that are not text are counted as one (%d)", free_);
    ok(at_login_attempt(db, NULL, a2, &t, &err) == AT_OK && t.blocked == AT_LOGIN_EMAIL,
       "and blocked as one");
    snprintf(other_email, sizeof other_email, "unknown-addr.%s@test.example.com", testdb_tag());
    ok(at_login_attempt(db, other_email, "unix:", &t, &err) == AT_OK &&
           strcmp(t.addr, "unknown") == 0 && t.blocked == AT_LOGIN_FREE,
       "a client that has no address is counted as 'unknown'");

    /* login throttling: the operator's unlock */
    at_actor op = {0, "cli:model-session"};
    uint64_t cleared = 99;
    ok(at_login_unlock(db, &op, NULL, NULL, &cleared, &err) == AT_EINVAL && cleared == 0,
       "unlock needs an email or an address");
    ok(at_login_unlock(db, &op, NULL, "nowhere", &cleared, &err) == AT_EINVAL &&
           strstr(err.msg, "not an IPv4 or IPv6 address"),
       "or an address that is one: %s", err.msg);
    ok(at_login_unlock(db, &op, "bad\xff", NULL, &cleared, &err) == AT_EINVAL,
       "or an email that is text");
    ok(at_login_unlock(db, &op, email, a1, &cleared, &err) == AT_OK && cleared == 2,
       "unlock an email at an address: its count and the address's (%llu)",
       (unsigned long long) cleared);
    ok(at_login_attempt(db, email, a1, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE,
       "then it is free there");
    ok(at_login_unlock(db, &op, email, NULL, &cleared, &err) == AT_OK && cleared == 3,
       "unlock an email: its counts from every address (%llu)", (unsigned long long) cleared);
    ok(at_login_attempt(db, email, v6b, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE,
       "then the /64 is free for it too");
    ok(at_login_unlock(db, &op, NULL, a3, &cleared, &err) == AT_OK &&
           cleared == AT_LOGIN_ADDR_MAX + 1,
       "unlock an address: its own count and every email's from it (%llu)",
       (unsigned long long) cleared);
    ok(at_login_attempt(db, email, a3, &t, &err) == AT_OK && t.blocked == AT_LOGIN_FREE,
       "then it is free");
    at_audit_entry *ae = NULL;
    size_t nae = 0, mine = 0;
    ok(at_audit_list(db, AT_AUDIT_PLATFORM, 0, 1000, &ae, &nae, &err) == AT_OK,
       "the platform's audit log");
    for (size_t i = 0; i < nae; i++)
        mine += strcmp(ae[i].actor, op.name) == 0 && strcmp(ae[i].action, "login_unlock") == 0;
    ok(mine == 3, "holds each unlock that was done, and none that was refused (%zu)", mine);
    free(ae);

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
    at_task_query q = {biz, AT_SORT_CREATED, 1, AT_FILTER_PENDING, NULL, NULL, NULL, NULL, 5, NULL, NULL};
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
