-- 009-login-throttle: failed logins counted per (email, client address)
-- and per client address, each in a window of its own, so that nobody can
-- lock an account out from an address that is not theirs
-- (docs/SECURITY.md, "Logging in"). A row whose email is '' counts the
-- address alone; any other row one email from that address, known or not.
-- The address is as the app throttles it: IPv4 as is, IPv6 cut to its
-- /64. window_start is when the window's first failure came; a row whose
-- window has ended is expired, and each login deletes a few of the
-- oldest through login_throttle_window.

CREATE TABLE IF NOT EXISTS login_throttle (
  addr VARCHAR(45) NOT NULL,
  email VARCHAR(190) NOT NULL,
  failures INT UNSIGNED NOT NULL,
  window_start DATETIME(6) NOT NULL,
  PRIMARY KEY (addr, email),
  KEY login_throttle_email (email),
  KEY login_throttle_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- The count per email alone that it replaces: a stranger's five failures
-- locked the owner out everywhere, and unknown emails' rows were never
-- deleted.
DROP TABLE IF EXISTS login_failures;
