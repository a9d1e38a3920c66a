/* model_list.c: listing a business's tasks: every sort, both directions,
 * searches, and keyset pages walked forwards and backwards, checked against
 * an ordering computed here. Ties on the sort key are everywhere (many
 * tasks per user and type, two users with the same name). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

typedef struct ref {
    uint64_t id, user_id, type_id;
    char user_name[AT_NAME_BUF];
    char type_name[AT_TYPE_NAME_BUF];
    at_time created_at;
    int finished;
} ref;

static ref *refs;
static size_t nrefs;
static int walk_cuts; /* pages cut at a window, over every walk */
static int cmp_sort, cmp_desc;

/* The names here are ASCII with one capital per word, chosen so that a
 * case-blind byte comparison orders them as the database's collation does. */
static int
cmp(const void *pa, const void *pb)
{
    const ref *a = pa, *b = pb;
    int c = 0;
    if (cmp_sort == AT_SORT_CREATED)
        c = a->created_at < b->created_at ? -1 : a->created_at > b->created_at;
    else if (cmp_sort == AT_SORT_USER)
        c = strcasecmp(a->user_name, b->user_name);
    else
        c = strcasecmp(a->type_name, b->type_name);
    if (c == 0)
        c = a->id < b->id ? -1 : a->id > b->id;
    return cmp_desc ? -c : c;
}

static int
contains(const char *hay, const char *needle)
{
    if (!needle || !*needle)
        return 1;
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

/* The expected ids, in order. */
static size_t
expect(const at_task_query *q, uint64_t *out)
{
    cmp_sort = q->sort;
    cmp_desc = q->desc;
    qsort(refs, nrefs, sizeof *refs, cmp);
    size_t n = 0;
    for (size_t i = 0; i < nrefs; i++)
        if (contains(refs[i].user_name, q->user_search) &&
            contains(refs[i].type_name, q->type_search) &&
            (q->filter == AT_FILTER_ALL ||
             refs[i].finished == (q->filter == AT_FILTER_FINISHED)))
            out[n++] = refs[i].id;
    return n;
}

static int
same(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (na != nb) {
        diag("  %zu rows, want %zu", na, nb);
        return 0;
    }
    for (size_t i = 0; i < na; i++) {
        if (a[i] != b[i]) {
            diag("  row %zu is task %llu, want %llu", i, (unsigned long long) a[i],
                 (unsigned long long) b[i]);
            return 0;
        }
    }
    return 1;
}

/* The first page, met walking backwards with k rows before the cursor:
 * its rows are the reference's first ones, and a page cut at a window
 * short of position k goes on forwards to it. Whether a statement stops
 * at its window depends on the plan, which can change between two reads
 * of the same page when the table's statistics are recomputed in the
 * background: so the first page may be cut short of the cursor, or hold
 * the whole list where the forward walk took several windows. Fills got[0..k); returns
 * the inconsistencies found (the page is freed). */
static int
start_page(at_db *db, at_task_query q, at_task_page *page, const uint64_t *want, size_t nwant,
           uint64_t *got, size_t k)
{
    int bad = 0;
    size_t pos = 0;
    at_error err = {0};
    static char next[AT_CURSOR_BUF];
    for (;;) {
        for (size_t i = 0; i < page->n; i++, pos++) {
            if (pos >= nwant || page->rows[i].id != want[pos])
                bad++;
            if (pos < k)
                got[pos] = page->rows[i].id;
        }
        if (!page->has_next && pos < nwant) /* (a page of the whole list has no next) */
            bad++;
        int cut = page->window_cut;
        strcpy(next, page->next);
        at_task_page_free(page);
        if (pos >= k)
            return bad;
        if (!cut) { /* short of the cursor, and not for a window */
            diag("  the first page ends at position %zu, before the cursor's %zu", pos, k);
            return bad + 1;
        }
        q.before = NULL;
        q.after = next;
        if (at_task_list(db, &q, page, &err) != AT_OK) {
            diag("  going on from the first page: %s", err.msg);
            return bad + 1;
        }
        if (!page->has_prev)
            bad++;
    }
}

static void
walk(at_db *db, at_task_query q, const char *what)
{
    uint64_t *want = calloc(nrefs + 1, sizeof *want);
    uint64_t *got = calloc(nrefs + 1, sizeof *got);
    size_t nwant = expect(&q, want), ngot = 0;
    at_error err = {0};
    at_task_page page;
    char last_prev[AT_CURSOR_BUF] = "";
    int pages = 0, bad_flags = 0, rc = AT_OK, first = 1, cuts = 0;
    size_t last_n = 0;
    q.after = q.before = NULL;
    /* forwards */
    for (;;) {
        if ((rc = at_task_list(db, &q, &page, &err)) != AT_OK)
            break;
        pages++;
        if (first && page.has_prev)
            bad_flags++;
        if (page.n > q.limit || (page.has_next && page.n != q.limit && !page.window_cut) ||
            (page.window_cut && !page.has_next))
            bad_flags++;
        cuts += page.window_cut;
        for (size_t i = 0; i < page.n && ngot < nrefs; i++)
            got[ngot++] = page.rows[i].id;
        if (page.n > 0) { /* the last page with rows: the backward walk's start */
            strcpy(last_prev, page.prev);
            last_n = page.n;
        }
        static char next[AT_CURSOR_BUF];
        int more = page.has_next;
        strcpy(next, page.next);
        at_task_page_free(&page);
        first = 0;
        if (!more)
            break;
        q.after = next;
    }
    ok(rc == AT_OK, "%s: forward walk ran (%s)", what, err.msg);
    ok(same(got, ngot, want, nwant), "%s: forward pages give the reference order (%zu rows)", what,
       nwant);
    ok(bad_flags == 0, "%s: page flags and sizes consistent over %d pages%s", what, pages,
       cuts ? " (some cut at a window)" : "");
    walk_cuts += cuts;
    /* backwards, from the last page */
    if (nwant > last_n && last_n > 0) {
        memset(got, 0, (nrefs + 1) * sizeof *got);
        /* the last page with rows holds the tail; walk before its first
         * row */
        size_t tail = last_n;
        size_t k = nwant - tail;
        memcpy(got + k, want + k, tail * sizeof *got);
        q.after = NULL;
        q.before = last_prev;
        static char prev[AT_CURSOR_BUF];
        int steps = 0;
        while (rc == AT_OK) {
            if ((rc = at_task_list(db, &q, &page, &err)) != AT_OK)
                break;
            steps++;
            if (!page.has_next)
                bad_flags++;
            if (!page.has_prev) {
                /* fewer rows before the cursor than a page: the list's
                 * start, shown as its first page, which a window may cut
                 * short of the cursor (whether the statement stops at its
                 * window depends on the plan MariaDB picks) */
                bad_flags += start_page(db, q, &page, want, nwant, got, k);
                k = 0;
                break;
            }
            if (page.n > k) {
                diag("  backward page of %zu rows before position %zu", page.n, k);
                at_task_page_free(&page);
                bad_flags++;
                break;
            }
            if (page.window_cut && !page.has_prev)
                bad_flags++;
            k -= page.n;
            for (size_t i = 0; i < page.n; i++)
                got[k + i] = page.rows[i].id;
            int more = page.has_prev;
            strcpy(prev, page.prev);
            at_task_page_free(&page);
            if (!more || k == 0)
                break;
            q.before = prev;
        }
        ok(rc == AT_OK && k == 0, "%s: backward walk reaches the start (%s)", what, err.msg);
        ok(same(got, nwant, want, nwant), "%s: backward pages give the same order", what);
        ok(bad_flags == 0, "%s: backward flags consistent over %d pages", what, steps);
    }
    free(want);
    free(got);
}

/* The user search matches case and accents as the names' collation does,
 * through the pieces of names as well as through the whole: "ines" finds
 * Inès, "onte" Brontë. */
static void
test_accents(at_db *db)
{
    uint64_t biz = testdb_business(db, "list-accents");
    uint64_t type = testdb_type(db, "accents");
    static const char *const names[] = {"In\xc3\xa8s Quillon", "Zo\xc3\xab Bront\xc3\xab",
                                        "Ines Plain", "Quentin Other"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        testdb_task(db, biz, testdb_user(db, biz, names[i]), type);
    struct {
        const char *search;
        size_t want;
    } cases[] = {{"ines", 2}, {"IN\xc3\x88S", 2}, {"zoe b", 1}, {"onte", 1}, {"qu", 2},
                 {"in\xc3\xa9s", 2}, {"\xc3\xa8", 4}, {"quillon ines", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_task_query q = {biz,  AT_SORT_CREATED, 1, AT_FILTER_ALL, cases[i].search, NULL, NULL,
                           NULL, 10, NULL, NULL};
        at_task_page page;
        at_error err = {0};
        int rc = at_task_list(db, &q, &page, &err);
        ok(rc == AT_OK && page.n == cases[i].want, "search '%s': %zu task(s), want %zu",
           cases[i].search, rc == AT_OK ? page.n : 0, cases[i].want);
        if (rc == AT_OK)
            at_task_page_free(&page);
    }
}

/* The searches resolved with a request's context (at_access_load_more, in
 * its one statement) give the very pages the list gives when it resolves
 * them itself: few matches, dense ones (past SEARCH_IDS_MAX, names
 * filtered), none, and a user with a type search at once. */
/* Sparse matches are searched a window at a time: a page that the
 * window ends before it is full says so and goes on from there, in a
 * bounded number of statements; the walks above went through such pages
 * and gave the reference order all the same. */
static void
test_windows(at_db *db, uint64_t biz)
{
    ok(walk_cuts > 0, "sparse searches were cut at windows: %d pages", walk_cuts);
    at_task_query q = {biz, AT_SORT_CREATED, 0, AT_FILTER_ALL, "crowd", NULL, NULL, NULL, 50, NULL, NULL};
    at_task_page page;
    at_error err = {0};
    int cut = 0, pages = 0, rc = AT_OK;
    uint64_t most = 0;
    char next[AT_CURSOR_BUF];
    size_t rows = 0;
    do {
        uint64_t before = at_db_statements(db);
        if ((rc = at_task_list_counted(db, &q, 50, &page, &err)) != AT_OK)
            break;
        uint64_t st = at_db_statements(db) - before;
        most = st > most ? st : most;
        pages++;
        cut += page.window_cut;
        rows += page.n;
        snprintf(next, sizeof next, "%s", page.next);
        q.after = next;
        int more = page.has_next;
        if (page.window_cut && !(page.count_more && page.count >= page.n))
            rc = -1;
        at_task_page_free(&page);
        if (!more)
            break;
    } while (pages < 100);
    ok(rc == AT_OK && cut > 0 && rows == 40 && most <= 4,
       "the crowd's 40 tasks, the last of 2,540, oldest first: %zu rows over %d pages, %d cut at a window, "
       "at most %llu statements a page, counts at least what a cut page shows",
       rows, pages, cut, (unsigned long long) most);
}

static void
test_context_ids(at_db *db, uint64_t biz)
{
    at_error err = {0};
    at_business b;
    uint64_t boss = testdb_user(db, 0, "List Platform Admin");
    char token[AT_TOKEN_LEN + 1];
    at_session sess;
    if (at_business_get_by_id(db, biz, &b, &err) || at_platform_admin_add(db, &(at_actor){0, "cli:test"}, boss, &err) ||
        at_session_create(db, boss, 3600, token, &sess, &err))
        bail("%s", err.msg);
    struct {
        const char *user, *type;
        int overflow;
        size_t n; /* users matched; (size_t) -1: not counted here */
    } cases[] = {{"bob", NULL, 0, (size_t) -1}, {"e", NULL, 1, 0},   {"crowd", NULL, 1, 0},
                 {"alice", NULL, 0, (size_t) -1}, {"zzz", NULL, 0, 0}, {"AL", "ch", 0, (size_t) -1},
                 {"alice adamson", NULL, 0, (size_t) -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_access_req req = {token, 600, b.slug, {NULL}};
        at_access a;
        at_access_more m = {.totals = 1, .user_search = cases[i].user,
                            .type_search = cases[i].type};
        uint64_t before = at_db_statements(db);
        int rc = at_access_load_more(db, &req, &a, &m, &err);
        ok(rc == AT_OK && a.business_ok && at_db_statements(db) - before <= 2 &&
               m.user_ids.resolved && m.user_ids.overflow == cases[i].overflow &&
               (cases[i].n == (size_t) -1 ? m.user_ids.n > 0 : m.user_ids.n == cases[i].n) &&
               (!cases[i].type || m.type_ids.resolved),
           "user '%s'%s%s: resolved with the context (%zu ids%s)", cases[i].user,
           cases[i].type ? ", type " : "", cases[i].type ? cases[i].type : "", m.user_ids.n,
           m.user_ids.overflow ? ", more than the list reads by id" : "");
        for (int sort = 0; sort < 3; sort += 2) {
            at_task_query q = {biz, sort, 1, AT_FILTER_ALL, cases[i].user, cases[i].type, NULL,
                               NULL, 17, NULL, NULL};
            q.user_ids = &m.user_ids;
            q.type_ids = &m.type_ids;
            char what[160];
            snprintf(what, sizeof what, "from the context: all, sort %s, user '%s', type '%s'",
                     at_sort_str(sort), cases[i].user, cases[i].type ? cases[i].type : "");
            /* each search the context resolved is a statement fewer */
            at_task_query self = q;
            self.user_ids = self.type_ids = NULL;
            uint64_t st[2];
            for (int k = 0; k < 2; k++) {
                uint64_t from = at_db_statements(db);
                at_task_page page;
                if (at_task_list(db, k ? &self : &q, &page, &err) == AT_OK)
                    at_task_page_free(&page);
                st[k] = at_db_statements(db) - from;
            }
            uint64_t given = 1 + (cases[i].type != NULL);
            ok(st[1] == st[0] + given, "%s: %llu statements, %llu more when the list resolves", what,
               (unsigned long long) st[0], (unsigned long long) (st[1] - st[0]));
            walk(db, q, what);
        }
        at_search_ids_free(&m.user_ids);
        at_search_ids_free(&m.type_ids);
    }
    /* not resolved where the list must refuse or where the business is
     * not theirs */
    at_access_req req = {token, 600, b.slug, {NULL}};
    at_access a;
    at_access_more m = {.user_search = "caf\xc3", .type_search = ""};
    ok(at_access_load_more(db, &req, &a, &m, &err) == AT_OK && !m.user_ids.resolved &&
           !m.type_ids.resolved,
       "a search the list refuses, or an empty one, is not resolved");
    at_access_req none = {NULL, 600, b.slug, {NULL}};
    m = (at_access_more){.user_search = "bob"};
    ok(at_access_load_more(db, &none, &a, &m, &err) == AT_OK && !a.business_ok &&
           !m.user_ids.resolved && m.user_ids.ids == NULL,
       "without a session: no ids");
}

/* The counts of members a name piece has (schema/013): exact through
 * adds and removes, pieces a name holds twice or in two cases counted
 * once, mended by the counters' rebuild; and a piece that more members
 * have than the list reads by id is known from its count, without
 * reading their ids. */
static uint64_t
grams_off(at_db *db, uint64_t biz)
{
    at_error err = {0};
    uint64_t off = 0;
    if (at_member_gram_counts_verify(db, biz, &off, &err))
        bail("%s", err.msg);
    return off;
}

static uint64_t
rows_read(at_db *db)
{
    at_error err = {0};
    uint64_t n = 0;
    if (at_db_rows_read(db, &n, &err))
        bail("%s", err.msg);
    return n;
}

static void
test_gram_counts(at_db *db, uint64_t biz, uint64_t other)
{
    at_error err = {0};
    ok(grams_off(db, biz) == 0 && grams_off(db, other) == 0,
       "the pieces' counts equal the pieces after every member was added");
    static const char *const tricky[] = {"\xc3\x89\xc3\xa9 eE", "\xc3\x89\xc3\x89\xc3\x89",
                                         "a  a  a", "Zoe Zo\xc3\xab", "x"};
    uint64_t ids[sizeof tricky / sizeof tricky[0]];
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++)
        ids[i] = testdb_user(db, other, tricky[i]);
    ok(grams_off(db, other) == 0, "names with a piece twice, in two cases, with accents: exact");
    if (at_member_add(db, other, ids[0], AT_ROLE_BUSINESS_ADMIN, &err))
        bail("%s", err.msg);
    ok(grams_off(db, other) == 0, "a member added again (a new role) counts once");
    at_actor actor = {0, "cli:model-list"};
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i += 2)
        if (at_member_remove(db, &actor, other, ids[i], true, &err))
            bail("%s", err.msg);
    ok(grams_off(db, other) == 0, "members removed: exact");

    MYSQL *raw = rawdb_open();
    rawdb_sql(raw, "UPDATE member_gram_counts SET members = members + 5 WHERE business_id = %llu "
                   "AND gram = 'x'",
              (unsigned long long) other);
    rawdb_sql(raw, "DELETE FROM member_gram_counts WHERE business_id = %llu AND gram = 'zo'",
              (unsigned long long) other);
    mysql_close(raw);
    ok(grams_off(db, other) == 2, "a count changed and one lost around the library: 2 off");
    if (at_counts_rebuild(db, other, NULL, NULL, &err))
        bail("%s", err.msg);
    ok(grams_off(db, other) == 0, "the counters' rebuild makes them again");

    /* "e": more than SEARCH_IDS_MAX members (the crowd) have it */
    uint64_t boss = testdb_user(db, 0, "Gram Count Admin");
    char token[AT_TOKEN_LEN + 1];
    at_session sess;
    at_business b;
    if (at_business_get_by_id(db, biz, &b, &err) || at_platform_admin_add(db, &(at_actor){0, "cli:test"}, boss, &err) ||
        at_session_create(db, boss, 3600, token, &sess, &err))
        bail("%s", err.msg);
    uint64_t read[3];
    const char *terms[] = {"zzz", "e"};
    at_access_more m[2];
    read[0] = rows_read(db);
    for (int i = 0; i < 2; i++) {
        at_access_req req = {token, 600, b.slug, {NULL}};
        at_access a;
        m[i] = (at_access_more){.totals = 1, .user_search = terms[i]};
        if (at_access_load_more(db, &req, &a, &m[i], &err))
            bail("%s", err.msg);
        read[i + 1] = rows_read(db);
    }
    uint64_t none = read[1] - read[0], dense = read[2] - read[1];
    ok(m[1].user_ids.resolved && m[1].user_ids.overflow && dense < none + 20,
       "'e' overflows from its count: the context read %llu rows, %llu for a term nobody has",
       (unsigned long long) dense, (unsigned long long) none);
    for (int i = 0; i < 2; i++)
        at_search_ids_free(&m[i].user_ids);
}

int
main(void)
{
    at_db *db = testdb_open();
    at_error err = {0};
    uint64_t biz = testdb_business(db, "list");
    uint64_t other = testdb_business(db, "list-other");

    static const char *const names[] = {
        "Alice Adams",  "Bob Baker",    "Carol Chen",   "Dave Davis",  "Erin Evans",
        "Frank Fox",    "Grace Green",  "Heidi Hill",   "Ivan Ivers",  "Judy Jones",
        "Bob Baker",    "Alice Adamson", "Al 100% Sure", "Kim Under_Score", "Leo Lane",
        "Mia Moss",     "Ned Nash",     "Olga Oak",     "Pat Park",    "Quinn Quay",
        "Ali Licence"}; /* has "ali", "lic" and "ice", apart: no "alice" */
    enum { NUSERS = sizeof names / sizeof names[0], NTYPES = 5, NTASKS = 2500, NCROWD = 1001 };
    uint64_t users[NUSERS], types[NTYPES];
    for (int i = 0; i < NUSERS; i++) {
        users[i] = testdb_user(db, biz, names[i]);
        if (at_member_add(db, other, users[i], AT_ROLE_MEMBER, &err))
            bail("%s", err.msg);
    }
    static const char *const type_words[NTYPES] = {"alpha", "bravo", "charlie", "delta", "echo"};
    for (int i = 0; i < NTYPES; i++)
        types[i] = testdb_type(db, type_words[i]);

    /* More members named alike than a search resolves to ids: the search
     * then filters the copied names instead. */
    uint64_t *crowd = calloc(NCROWD, sizeof *crowd);
    for (int i = 0; i < NCROWD; i++) {
        char name[64];
        snprintf(name, sizeof name, "Crowd Member %04d", i);
        crowd[i] = testdb_user(db, biz, name);
    }

    refs = calloc(NTASKS + 40, sizeof *refs);
    unsigned x = 2463534242u;
    for (int i = 0; i < NTASKS + 40; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        uint64_t uid = i < NTASKS ? users[x % NUSERS] : crowd[(x >> 8) % NCROWD];
        uint64_t tid = types[(x >> 16) % NTYPES];
        uint64_t id = testdb_task(db, biz, uid, tid);
        at_task t;
        if (at_task_get(db, biz, id, &t, &err))
            bail("%s", err.msg);
        ref *r = &refs[nrefs++];
        r->id = id;
        r->user_id = uid;
        r->type_id = tid;
        strcpy(r->user_name, t.user_name);
        strcpy(r->type_name, t.type_name);
        r->created_at = t.created_at;
        at_task_clear(&t);
        if (i < NTASKS && i % 10 == 0)
            testdb_task(db, other, uid, tid); /* noise in another business */
    }
    diag("%zu tasks in the business", nrefs);
    /* Finish every third task of the first 2,400, in each way, so that
     * "all" merges two halves that interleave in every sort; the
     * "Crowd" members' tasks stay queued. */
    MYSQL *raw = rawdb_open();
    rawdb_sql(raw,
              "UPDATE tasks SET state = ELT(1 + id %% 3, 'succeeded', 'failed', 'cancelled'), "
              "finished_at = UTC_TIMESTAMP(6) WHERE business_id = %llu AND id %% 3 = 0 "
              "AND id <= %llu",
              (unsigned long long) biz, (unsigned long long) refs[2399].id);
    mysql_close(raw);
    for (size_t i = 0; i < nrefs; i++)
        refs[i].finished = i < 2400 && refs[i].id % 3 == 0;
    /* the tasks finished around the library: bring its books up to date */
    at_task_counts before, after;
    if (at_counts_rebuild(db, biz, &before, &after, &err))
        bail("%s", err.msg);

    struct {
        const char *user, *type;
        unsigned limit;
    } searches[] = {
        {NULL, NULL, 37}, {"bob", NULL, 7},  {"a", NULL, 37},    {NULL, "bravo", 11},
        {"AL", "ch", 5},  {"100%", NULL, 3}, {"_", NULL, 3},     {"crowd", NULL, 4},
        {"zzz", NULL, 7}, {NULL, "zzz", 7},  {"", "", 50},
        /* pieces of names (member_grams.c): one, two, three characters
         * looked up alone; longer terms by pieces, checked whole */
        {"e", NULL, 40},  {"n i", NULL, 9},   {"ICE", NULL, 5},   {"alice", NULL, 5},
        {"ams", NULL, 6}, {"adamso", NULL, 4}, {"alice adamson", NULL, 3}, {"e a", NULL, 5},
    };
    for (int sort = 0; sort < 3; sort++) {
        for (int desc = 0; desc < 2; desc++) {
            for (size_t s = 0; s < sizeof searches / sizeof searches[0]; s++) {
                at_task_query q = {biz,
                                   sort,
                                   desc,
                                   AT_FILTER_PENDING,
                                   searches[s].user,
                                   searches[s].type,
                                   NULL,
                                   NULL,
                                   searches[s].limit, NULL, NULL};
                char what[160];
                snprintf(what, sizeof what, "sort %s %s, user '%s', type '%s'", at_sort_str(sort),
                         desc ? "desc" : "asc", searches[s].user ? searches[s].user : "",
                         searches[s].type ? searches[s].type : "");
                walk(db, q, what);
            }
        }
    }

    /* Status filters: finished alone, and all, the two halves merged
     * (ties on names across the halves included). */
    static const int filters[] = {AT_FILTER_FINISHED, AT_FILTER_ALL};
    for (int f = 0; f < 2; f++) {
        for (int sort = 0; sort < 3; sort++) {
            for (int desc = 0; desc < 2; desc++) {
                for (size_t s = 0; s < 4; s++) {
                    static const char *const users_s[] = {NULL, "bob", "e", "crowd"};
                    at_task_query q = {biz,  sort, desc, filters[f], users_s[s], s == 2 ? "a" : NULL,
                                       NULL, NULL, s == 0 ? 97 : 23, NULL, NULL};
                    char what[160];
                    snprintf(what, sizeof what, "status %s, sort %s %s, user '%s'",
                             f ? "all" : "finished", at_sort_str(sort), desc ? "desc" : "asc",
                             users_s[s] ? users_s[s] : "");
                    walk(db, q, what);
                }
            }
        }
    }
    test_context_ids(db, biz);
    test_windows(db, biz);
    test_gram_counts(db, biz, other);

    at_task_query q = {biz, AT_SORT_USER, 0, AT_FILTER_FINISHED, "crowd", NULL, NULL, NULL, 13, NULL, NULL};
    at_task_page page;
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == 0 && !page.has_next &&
           !page.has_prev,
       "no finished tasks of the crowd: an empty page");
    at_task_page_free(&page);

    /* A search that matches nothing is an empty page, not an error. */
    q = (at_task_query){biz, AT_SORT_CREATED, 1, AT_FILTER_PENDING, "no such user", NULL, NULL,
                        NULL, 10, NULL, NULL};
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == 0, "unmatched search: empty page");
    at_task_page_free(&page);

    /* Bad queries are refused with a reason. */
    q = (at_task_query){biz, AT_SORT_CREATED, 1, AT_FILTER_PENDING, NULL, NULL, NULL, NULL, 10, NULL, NULL};
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == 10, "first page");
    char cursor[AT_CURSOR_BUF];
    strcpy(cursor, page.next);
    at_task_page_free(&page);
    q.sort = AT_SORT_USER;
    q.after = cursor;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "a cursor of another sort is refused");
    has_str(err.msg, "cursor", "cursor message");
    const char *garbage[] = {"", "c", "c12", "c-5", "cabc-5", "c12-0", "c12-5x", "u4g-5",
                             "u4-5", "u00-5", "uc3-5", "c1-99999999999999999999999"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        q.sort = garbage[i][0] == 'u' ? AT_SORT_USER : AT_SORT_CREATED;
        q.after = garbage[i];
        int rc = at_task_list(db, &q, &page, &err);
        ok(rc == AT_EINVAL || (garbage[i][0] == 0 && rc == AT_OK),
           "garbage cursor '%s' refused", garbage[i]);
        at_task_page_free(&page);
    }
    q = (at_task_query){biz, AT_SORT_CREATED, 1, AT_FILTER_PENDING, NULL, NULL, NULL, NULL, 0, NULL, NULL};
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "page size 0 refused");
    q.limit = AT_LIST_MAX + 1;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "page size above the maximum refused");
    has_str(err.msg, "page size", "page size message");
    q.limit = 5;
    q.after = cursor;
    q.before = cursor;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "after and before together refused");
    q.after = q.before = NULL;
    q.sort = 7;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "unknown sort refused");
    q.sort = AT_SORT_CREATED;
    q.filter = 9;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "unknown filter refused");
    q.filter = AT_FILTER_PENDING;
    char longsearch[AT_SEARCH_MAX + 2];
    memset(longsearch, 'a', sizeof longsearch - 1);
    longsearch[sizeof longsearch - 1] = 0;
    q.user_search = longsearch;
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "overlong search refused");
    q.user_search = "caf\xc3";
    ok(at_task_list(db, &q, &page, &err) == AT_EINVAL, "invalid UTF-8 search refused");
    q.user_search = "' OR 1=1 --";
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == 0,
       "SQL in a search is just text that matches nothing");
    at_task_page_free(&page);

    /* The other business's tasks never show here, and the reverse. */
    q = (at_task_query){other, AT_SORT_CREATED, 0, AT_FILTER_ALL, NULL, NULL, NULL, NULL, 500, NULL, NULL};
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == NTASKS / 10,
       "the other business lists only its own %zu tasks", page.n);
    int foreign = 0;
    for (size_t i = 0; i < page.n; i++)
        foreign += page.rows[i].business_id != other;
    ok(foreign == 0, "no task of another business");
    at_task_page_free(&page);

    test_accents(db);
    free(crowd);
    free(refs);
    testdb_close(db);
    return done_testing();
}
