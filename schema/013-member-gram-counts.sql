-- 013-member-gram-counts: how many members of a business have each piece
-- of a name (member_grams, schema/007). A user search of up to three
-- characters is one piece; when more than 1,000 members have it, the
-- list filters the tasks' copied names instead of reading the members'
-- ids, and this count tells so in one row, where counting the piece's
-- members read 1,001 rows on every searched page. Kept with the pieces,
-- in the membership's transaction; `asynctasks counters rebuild` makes
-- it again from the pieces.

CREATE TABLE IF NOT EXISTS member_gram_counts (
  business_id BIGINT UNSIGNED NOT NULL,
  gram VARCHAR(3) NOT NULL,
  members INT UNSIGNED NOT NULL,
  PRIMARY KEY (business_id, gram)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

INSERT INTO member_gram_counts (business_id, gram, members)
SELECT business_id, gram, COUNT(*) FROM member_grams GROUP BY business_id, gram
ON DUPLICATE KEY UPDATE members = VALUES(members);
