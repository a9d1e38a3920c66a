/* demo.c: demonstration data: three businesses, the demo logins, a crowd
 * of generated users and as many tasks as asked, written in bulk with
 * multi-row prepared inserts (with histories: finished states and times
 * that enqueue cannot make), then the businesses' lanes and totals
 * rebuilt from them. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ROWS_PER_INSERT 500
#define INSERTS_PER_TX  20
#define COLS_PER_ROW    15

static const struct {
    const char *slug, *name;
} businesses[] = {
    {"acme", "Acme Corporation"},
    {"globex", "Globex Inc."},
    {"initech", "Initech"},
};

static const struct {
    const char *name, *desc;
    unsigned timeout, attempts;
} types[] = {
    {"export", "Exports records as a compressed CSV file", 600, 3},
    {"import", "Imports records from an uploaded file", 900, 3},
    {"report", "Builds a periodic business report", 300, 2},
    {"mailing", "Sends a mailing to a list of recipients", 1800, 5},
    {"thumbnail", "Renders image thumbnails", 120, 3},
    {"invoice", "Generates and sends invoices", 300, 4},
    {"sync", "Synchronises with an external calendar", 120, 5},
    {"cleanup", "Removes expired temporary files", 600, 1},
};

static const char *const first[] = {"Carol",  "Dave",  "Erin",   "Frank", "Grace", "Heidi",
                                    "Ivan",   "Judy",  "Mallory", "Niaj", "Olivia", "Peggy",
                                    "Rupert", "Sybil", "Trent",  "Victor", "Walter", "Zoë",
                                    "Ángel",  "Björn", "Chloé",  "Dmitri", "Émilie", "Fatima"};
static const char *const last[] = {"Adams", "Brown",  "Chen",   "Dubois", "Evans", "Fischer",
                                   "García", "Hughes", "Ivanova", "Jones", "Kowalski", "Lee",
                                   "Müller", "Nakamura", "O'Brien", "Patel", "Quinn", "Rossi"};

static uint64_t
rnd(uint64_t *s)
{
    /* xorshift64*: fast, and the same seed gives the same data */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

typedef struct member {
    uint64_t id;
    char name[AT_NAME_BUF];
} member;

typedef struct crowd {
    member *v;
    size_t n, cap;
} crowd;

static int
crowd_add(crowd *c, uint64_t id, const char *name, at_error *err)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        member *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].id = id;
    at_strlcpy(c->v[c->n].name, name, sizeof c->v[c->n].name);
    c->n++;
    return AT_OK;
}

static int
ensure_business(at_db *db, const char *slug, const char *name, uint64_t *id, at_error *err)
{
    at_business b;
    int rc = at_business_get(db, slug, &b, err);
    if (rc == AT_ENOTFOUND)
        return at_business_add(db, slug, name, id, err);
    *id = b.id;
    return rc;
}

static int
ensure_user(at_db *db, const char *email, const char *name, const char *password, uint64_t *id,
            at_error *err)
{
    at_user u;
    int rc = at_user_get(db, email, &u, err);
    if (rc == AT_ENOTFOUND)
        return at_user_add(db, email, name, password, id, err);
    if (rc)
        return rc;
    *id = u.id;
    /* a rerun restores the demo password someone may have changed */
    return password ? at_user_set_password(db, u.id, password, NULL, err) : AT_OK;
}

static void
slugify(const char *in, char *out, size_t outlen)
{
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *) in; *p && j + 1 < outlen; p++) {
        if (*p >= 'A' && *p <= 'Z')
            out[j++] = (char) (*p - 'A' + 'a');
        else if (*p >= 'a' && *p <= 'z')
            out[j++] = (char) *p;
        /* letters beyond ASCII are left out of the address */
    }
    out[j] = 0;
}

/* Writes rows [0, n) of one bulk insert. */
static int
insert_rows(at_db *db, size_t n, arglist *a, at_error *err)
{
    strbuf sql = {0};
    sb_add(&sql, "INSERT INTO tasks (business_id, user_id, task_type_id, user_name, type_name, "
                 "state, priority, run_at, max_attempts, attempts, payload, payload_size, "
                 "created_at, updated_at, finished_at) VALUES ");
    for (size_t i = 0; i < n; i++) {
        sb_add(&sql, i ? ", (" : "(");
        sb_placeholders(&sql, COLS_PER_ROW);
        sb_add(&sql, ")");
    }
    int rc = sql.oom || a->oom ? at_error_set(err, AT_ENOMEM, "out of memory")
                               : db_exec(db, 0, sql.p, a->v, (unsigned) a->n, NULL, NULL, err);
    sb_free(&sql);
    return rc;
}

struct batch_ctx {
    const at_demo_opts *o;
    uint64_t *seed;
    crowd *crowds; /* acme, globex */
    uint64_t *biz;
    uint64_t *type_ids;
    at_time now;
    uint64_t rows; /* to write in this transaction */
};

static int
batch_tx(at_db *db, void *vctx, at_error *err)
{
    struct batch_ctx *c = vctx;
    /* One payload shape per task type: text before and after a number. */
    static const char *const payloads[][2] = {
        {"{\"format\":\"csv\",\"rows\":", "}"}, {"{\"source\":\"upload-", ".xlsx\"}"},
        {"{\"period_days\":", "}"},           {"{\"list\":\"newsletter\",\"recipients\":", "}"},
        {"{\"images\":", "}"},                {"{\"invoice\":\"INV-", "\"}"},
        {"{\"calendar\":\"team-", "\"}"},     {"{\"older_than_days\":", "}"}};
    /* Payload text must outlive the statement: one buffer per row. */
    static char text[ROWS_PER_INSERT][64];
    uint64_t left = c->rows;
    int rc = AT_OK;
    while (left > 0 && rc == AT_OK) {
        size_t n = left > ROWS_PER_INSERT ? ROWS_PER_INSERT : (size_t) left;
        arglist a = {0};
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd(c->seed);
            int b = (r % 10) < 6 ? 0 : 1; /* acme gets 60 % */
            const member *m = &c->crowds[b].v[(r >> 8) % c->crowds[b].n];
            size_t t = (size_t) ((r >> 24) % AT_COUNT(types));
            /* Mostly history, a quarter still pending; spread over 30 days. */
            unsigned roll = (unsigned) ((r >> 32) % 100);
            const char *state = roll < 25 ? "queued"
                                : roll < 90 ? "succeeded"
                                : roll < 97 ? "failed"
                                            : "cancelled";
            bool done = roll >= 25;
            at_time created = c->now - (at_time) ((r >> 40) % (30ULL * 86400)) * 1000000 -
                              (at_time) (rnd(c->seed) % 1000000);
            at_time run_at = done ? created : c->now + (at_time) ((r >> 20) % 600) * 1000000;
            snprintf(text[i], sizeof text[i], "%s%u%s", payloads[t][0], (unsigned) ((r >> 16) % 9000) + 1,
                     payloads[t][1]);
            args_add(&a, da_u64(c->biz[b]));
            args_add(&a, da_u64(m->id));
            args_add(&a, da_u64(c->type_ids[t]));
            args_add(&a, da_str(m->name));
            args_add(&a, da_str(types[t].name));
            args_add(&a, da_str(state));
            args_add(&a, da_i64((int) ((r >> 12) % 3) * 5 - 5));
            args_add(&a, da_time(run_at));
            args_add(&a, da_u64(types[t].attempts));
            args_add(&a, da_u64(done ? 1 : 0));
            args_add(&a, da_str(text[i]));
            args_add(&a, da_u64(strlen(text[i])));
            args_add(&a, da_time(created));
            args_add(&a, da_time(done ? created + 5000000 : created));
            args_add(&a, done ? da_time(created + 5000000) : da_null());
        }
        rc = insert_rows(db, n, &a, err);
        args_free(&a);
        left -= n;
    }
    return rc;
}

static const at_actor demo_actor = {0, "cli:demo-data"};

int
at_demo_load(at_db *db, const at_demo_opts *o, at_error *err)
{
    const char *pw = o->password ? o->password : "demo";
    uint64_t biz[AT_COUNT(businesses)], type_ids[AT_COUNT(types)];
    uint64_t admin, alice, bob;
    crowd crowds[2] = {{0}, {0}};
    uint64_t seed = o->seed ? o->seed : 0x9e3779b97f4a7c15ULL;
    int rc = AT_OK;

    for (size_t i = 0; rc == AT_OK && i < AT_COUNT(businesses); i++)
        rc = ensure_business(db, businesses[i].slug, businesses[i].name, &biz[i], err);
    for (size_t i = 0; rc == AT_OK && i < AT_COUNT(types); i++)
        rc = at_task_type_register(db, types[i].name, types[i].desc, types[i].timeout,
                                   types[i].attempts, &type_ids[i], err);
    if (rc == AT_OK)
        rc = ensure_user(db, "admin@example.com", "Ada Admin", pw, &admin, err);
    if (rc == AT_OK)
        rc = at_platform_admin_add(db, o->actor ? o->actor : &demo_actor, admin, err);
    if (rc == AT_OK)
        rc = ensure_user(db, "alice@example.com", "Alice Anderson", pw, &alice, err);
    if (rc == AT_OK)
        rc = ensure_user(db, "bob@example.com", "Bob Baker", pw, &bob, err);
    for (int b = 0; rc == AT_OK && b < 2; b++)
        rc = at_member_add(db, biz[b], alice, AT_ROLE_BUSINESS_ADMIN, err);
    if (rc == AT_OK)
        rc = at_member_add(db, biz[0], bob, AT_ROLE_MEMBER, err);
    if (rc == AT_OK)
        rc = crowd_add(&crowds[0], alice, "Alice Anderson", err);
    if (rc == AT_OK)
        rc = crowd_add(&crowds[0], bob, "Bob Baker", err);
    if (rc == AT_OK)
        rc = crowd_add(&crowds[1], alice, "Alice Anderson", err);

    /* Generated members: the same names in every run, so reruns reuse them. */
    unsigned per = o->users ? o->users : 40;
    for (size_t b = 0; rc == AT_OK && b < AT_COUNT(businesses); b++) {
        for (unsigned i = 0; rc == AT_OK && i < per; i++) {
            const char *f = first[(i + b * 7) % AT_COUNT(first)];
            const char *l = last[(i / AT_COUNT(first) + i * 5 + b) % AT_COUNT(last)];
            char name[AT_NAME_BUF], email[AT_NAME_BUF], fs[64], ls[64];
            snprintf(name, sizeof name, "%s %s", f, l);
            slugify(f, fs, sizeof fs);
            slugify(l, ls, sizeof ls);
            snprintf(email, sizeof email, "%s.%s.%u@%s.example.com", fs, ls, i,
                     businesses[b].slug);
            uint64_t uid;
            rc = ensure_user(db, email, name, NULL, &uid, err);
            if (rc == AT_OK)
                rc = at_member_add(db, biz[b], uid, AT_ROLE_MEMBER, err);
            if (rc == AT_OK && b < 2)
                rc = crowd_add(&crowds[b], uid, name, err);
        }
    }
    at_time now = 0;
    if (rc == AT_OK)
        rc = at_db_now(db, &now, err);
    /* The rows below reference only what was just made or checked above:
     * the per-row foreign key lookups would prove nothing, and they cost
     * more than the inserts. */
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY, "SET SESSION foreign_key_checks = 0", NULL, 0, NULL, NULL, err);
    struct batch_ctx c = {o, &seed, crowds, biz, type_ids, now, 0};
    uint64_t done = 0;
    while (rc == AT_OK && done < o->tasks) {
        uint64_t chunk = (uint64_t) ROWS_PER_INSERT * INSERTS_PER_TX;
        c.rows = o->tasks - done < chunk ? o->tasks - done : chunk;
        rc = db_tx(db, false, batch_tx, &c, err);
        if (rc == AT_OK) {
            done += c.rows;
            if (o->progress)
                o->progress(done, o->tasks, o->ctx);
        }
    }
    at_error ignore;
    db_exec(db, DB_RETRY, "SET SESSION foreign_key_checks = 1", NULL, 0, NULL, NULL, &ignore);
    /* The rows went in around enqueue (histories, finished states): their
     * lanes and totals are counted once, at the end. */
    for (size_t b = 0; rc == AT_OK && b < AT_COUNT(businesses); b++)
        rc = at_counts_rebuild(db, biz[b], NULL, NULL, err);
    free(crowds[0].v);
    free(crowds[1].v);
    return rc ? at_error_wrap(err, "demo data") : AT_OK;
}
