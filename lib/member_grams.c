/* member_grams.c: the pieces of one, two and three characters of each
 * member's name (schema/007), so that the task list's user search finds
 * the members whose name holds a term by looking its pieces up, not by
 * reading every member's name: at 10,000 members that read cost 3 ms
 * (the collation's LIKE on each name), the lookup tens of microseconds.
 *
 * The pieces compare in the names' collation, so "ine" finds "Inès" as
 * LIKE does. A term of up to three characters is one piece; its lookup is
 * the answer. A longer one is looked up by up to four of its three-
 * character pieces, first and last among them, and the members that have
 * them all are checked with LIKE, since pieces may lie apart in a name.
 * (A term never ends in a space, which the collation would ignore at the
 * end of a piece: the list refuses such a search.) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The pieces of one member's name: (business_id, gram, user_id) rows of
 * the membership named by two arguments, the business and the user. */
#define GRAMS_OF_MEMBER                                                                            \
    "WITH RECURSIVE pos (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM pos WHERE i < 190) "          \
    "SELECT m.business_id, SUBSTRING(m.user_name, pos.i, len.n) AS gram, m.user_id "               \
    "FROM memberships m "                                                                          \
    "JOIN pos ON pos.i <= CHAR_LENGTH(m.user_name) "                                               \
    "JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) len "                              \
    "ON pos.i + len.n - 1 <= CHAR_LENGTH(m.user_name) "                                            \
    "WHERE m.business_id = ? AND m.user_id = ?"

/* The count of each piece the member does not have yet goes up by one,
 * before the pieces are added (schema/013). DISTINCT compares in the
 * pieces' collation, as their key does, so a piece the name holds twice,
 * or in two cases, counts once. */
#define COUNT_NEW_GRAMS                                                                            \
    "INSERT INTO member_gram_counts (business_id, gram, members) "                                 \
    "SELECT DISTINCT p.business_id, p.gram, 1 FROM (" GRAMS_OF_MEMBER ") p "                       \
    "WHERE NOT EXISTS (SELECT 1 FROM member_grams g WHERE g.business_id = p.business_id "          \
    "AND g.gram = p.gram AND g.user_id = p.user_id) "                                              \
    "ON DUPLICATE KEY UPDATE members = members + 1"

int
member_grams_add(at_db *db, uint64_t business_id, uint64_t user_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(user_id)};
    int rc = db_exec(db, 0, COUNT_NEW_GRAMS, a, AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "INSERT IGNORE INTO member_grams (business_id, gram, user_id) "
                     GRAMS_OF_MEMBER,
                     a, AT_COUNT(a), NULL, NULL, err);
    return rc;
}

/* The member's pieces as they are stored: (business_id, gram, user_id)
 * rows of member_grams, found by the pieces of the name, each a lookup
 * of the primary key, not a read of every piece of the business's
 * members. */
#define STORED_GRAMS_OF_MEMBER                                                                     \
    "SELECT DISTINCT g.business_id, g.gram, g.user_id FROM member_grams g JOIN ("                 \
    GRAMS_OF_MEMBER ") p ON g.business_id = p.business_id AND g.gram = p.gram "                    \
    "AND g.user_id = p.user_id"

int
member_grams_remove(at_db *db, uint64_t business_id, uint64_t user_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(user_id)};
    int rc = db_exec(db, 0,
                     "UPDATE member_gram_counts c JOIN (" STORED_GRAMS_OF_MEMBER ") d "
                     "ON c.business_id = d.business_id AND c.gram = d.gram "
                     "SET c.members = GREATEST(c.members, 1) - 1",
                     a, AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "DELETE g FROM member_grams g JOIN (" GRAMS_OF_MEMBER ") p "
                     "ON g.business_id = p.business_id AND g.gram = p.gram "
                     "AND g.user_id = p.user_id",
                     a, AT_COUNT(a), NULL, NULL, err);
    return rc;
}

/* Each piece's count against its pieces: the pieces whose count differs,
 * then the counts above zero of pieces nobody has. */
#define GRAM_COUNTS_OFF                                                                            \
    "SELECT (SELECT COUNT(*) FROM (SELECT gram, COUNT(*) AS n FROM member_grams "                 \
    "WHERE business_id = ? GROUP BY gram) a LEFT JOIN member_gram_counts c "                      \
    "ON c.business_id = ? AND c.gram = a.gram WHERE c.members IS NULL OR c.members <> a.n) + "     \
    "(SELECT COUNT(*) FROM member_gram_counts c WHERE c.business_id = ? AND c.members > 0 "       \
    "AND NOT EXISTS (SELECT 1 FROM member_grams g WHERE g.business_id = c.business_id "           \
    "AND g.gram = c.gram))"

int
at_member_gram_counts_verify(at_db *db, uint64_t business_id, uint64_t *off, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(business_id), da_u64(business_id)};
    return db_query_u64(db, DB_RETRY, GRAM_COUNTS_OFF, a, AT_COUNT(a), off, err);
}

int
member_gram_counts_rebuild(at_db *db, uint64_t business_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    int rc = db_exec(db, 0, "DELETE FROM member_gram_counts WHERE business_id = ?", a,
                     AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "INSERT INTO member_gram_counts (business_id, gram, members) "
                     "SELECT business_id, gram, COUNT(*) FROM member_grams "
                     "WHERE business_id = ? GROUP BY business_id, gram",
                     a, AT_COUNT(a), NULL, NULL, err);
    return rc;
}

/* The byte offsets of term's characters (a byte that does not continue
 * a UTF-8 sequence starts one), and at[n] = its length; returns n. */
static size_t
char_starts(const char *term, size_t *at, size_t max)
{
    size_t n = 0, i = 0;
    for (; term[i] && n < max; i++)
        if (((unsigned char) term[i] & 0xC0) != 0x80)
            at[n++] = i;
    while (term[i])
        i++;
    at[n] = i;
    return n;
}

/* Characters [from, from + count) of term into out. */
static void
piece(const char *term, const size_t *at, size_t from, size_t count, char *out, size_t outlen)
{
    size_t len = at[from + count] - at[from];
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, term + at[from], len);
    out[len] = 0;
}

void
member_grams_select(strbuf *sql, arglist *a, member_grams_q *q, const char *business_sql,
                    db_arg business, const char *term, const char *like, unsigned limit)
{
    size_t at[AT_NAME_BUF + 1];
    size_t n = char_starts(term, at, AT_NAME_BUF);
    size_t k = n <= MEMBER_GRAM_CHARS ? 1 : n - MEMBER_GRAM_CHARS + 1;
    if (k > MEMBER_GRAMS_LOOKED)
        k = MEMBER_GRAMS_LOOKED;
    for (size_t j = 0; j < k; j++) {
        /* spread over the term: the first piece, the last, and between */
        size_t from = k == 1 ? 0 : j * (n - MEMBER_GRAM_CHARS) / (k - 1);
        piece(term, at, from, n < MEMBER_GRAM_CHARS ? n : MEMBER_GRAM_CHARS, q->gram[j],
              sizeof q->gram[j]);
    }
    sb_add(sql, "SELECT g0.user_id AS id FROM member_grams g0");
    for (size_t j = 1; j < k; j++) {
        char join[160];
        snprintf(join, sizeof join,
                 " JOIN member_grams g%zu ON g%zu.business_id = g0.business_id "
                 "AND g%zu.gram = ? AND g%zu.user_id = g0.user_id",
                 j, j, j, j);
        sb_add(sql, join);
        args_add(a, da_str(q->gram[j]));
    }
    if (n > MEMBER_GRAM_CHARS) { /* pieces may lie apart: check the name */
        sb_add(sql, " JOIN memberships m ON m.business_id = g0.business_id "
                    "AND m.user_id = g0.user_id AND m.user_name LIKE ?");
        args_add(a, da_str(like));
    }
    sb_add(sql, " WHERE g0.business_id = ");
    sb_add(sql, business_sql);
    sb_add(sql, " AND g0.gram = ? LIMIT ?");
    args_add(a, business);
    args_add(a, da_str(q->gram[0]));
    args_add(a, da_u64(limit));
}

bool
member_grams_dense(strbuf *sql, arglist *a, member_grams_q *q, const char *business_sql,
                   db_arg business, const char *term, unsigned limit)
{
    size_t at[AT_NAME_BUF + 1];
    size_t n = char_starts(term, at, AT_NAME_BUF);
    if (n == 0 || n > MEMBER_GRAM_CHARS)
        return false;
    piece(term, at, 0, n, q->gram[0], sizeof q->gram[0]);
    char cmp[32];
    snprintf(cmp, sizeof cmp, " AND gram = ?), 0) > %u", limit);
    sb_add(sql, "COALESCE((SELECT members FROM member_gram_counts WHERE business_id = ");
    sb_add(sql, business_sql);
    sb_add(sql, cmp);
    args_add(a, business);
    args_add(a, da_str(q->gram[0]));
    return true;
}
