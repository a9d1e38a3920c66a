-- 002-sessions: what logging in needs beyond the first schema: a one-shot
-- message per session (shown after a redirect), and login throttling.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS flash VARCHAR(500) NULL;

-- Failed logins per email (known or not, so that throttling tells nothing
-- about which accounts exist).
CREATE TABLE IF NOT EXISTS login_failures (
  email VARCHAR(190) NOT NULL,
  failures INT UNSIGNED NOT NULL,
  first_at DATETIME(6) NOT NULL,
  locked_until DATETIME(6) NULL,
  PRIMARY KEY (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
