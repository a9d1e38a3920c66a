-- 007-member-grams: the task list's user search finds the members whose
-- name holds what was typed without reading every member's name. Each
-- piece of one, two and three characters of a member's name is a row
-- here; a search looks up the pieces of its words and reads only the
-- members that have them all. The pieces compare in the names'
-- collation, so case and accents match as in LIKE. Rows are added with
-- the membership (memberships.user_name never changes).

CREATE TABLE IF NOT EXISTS member_grams (
  business_id BIGINT UNSIGNED NOT NULL,
  gram VARCHAR(3) NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (business_id, gram, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

INSERT IGNORE INTO member_grams (business_id, gram, user_id)
WITH RECURSIVE pos (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM pos WHERE i < 190)
SELECT m.business_id, SUBSTRING(m.user_name, pos.i, len.n), m.user_id
FROM memberships m
JOIN pos ON pos.i <= CHAR_LENGTH(m.user_name)
JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) len
  ON pos.i + len.n - 1 <= CHAR_LENGTH(m.user_name);
