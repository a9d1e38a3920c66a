-- 001-initial: the data model.
-- Every table InnoDB, utf8mb4. Times are UTC, DATETIME(6).
-- Indexes that a page or a claim uses lead with business_id.
-- Statements end with ';' at the end of a line; "-- " lines are comments.

CREATE TABLE IF NOT EXISTS businesses (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  slug VARCHAR(64) NOT NULL,
  name VARCHAR(190) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY businesses_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email VARCHAR(190) NOT NULL,
  name VARCHAR(190) NOT NULL,
  -- yescrypt hash from crypt(3); NULL: cannot log in
  password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY users_email (email),
  KEY users_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS memberships (
  business_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  role ENUM('member','business_admin') NOT NULL DEFAULT 'member',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (business_id, user_id),
  KEY memberships_user (user_id, role),
  CONSTRAINT memberships_business_fk FOREIGN KEY (business_id) REFERENCES businesses (id),
  CONSTRAINT memberships_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS platform_admins (
  user_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  CONSTRAINT platform_admins_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS task_types (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  description VARCHAR(500) NOT NULL DEFAULT '',
  timeout_s INT UNSIGNED NOT NULL DEFAULT 300,
  max_attempts INT UNSIGNED NOT NULL DEFAULT 3,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY task_types_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- user_name and type_name copy users.name and task_types.name so that the
-- admin page can sort and search on an index of this table alone.
-- user_id and task_type_id have no foreign keys: InnoDB would add an index
-- leading with each to the busiest table, enqueue proves both references in
-- its own statement, and users and task types are never deleted.
-- "finished" splits pending from finished work inside every list index, so
-- the default view (pending) never walks over the finished history.
CREATE TABLE IF NOT EXISTS tasks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  task_type_id BIGINT UNSIGNED NOT NULL,
  user_name VARCHAR(190) NOT NULL,
  type_name VARCHAR(100) NOT NULL,
  state ENUM('queued','running','succeeded','failed','cancelled') NOT NULL DEFAULT 'queued',
  finished TINYINT(1) AS (state IN ('succeeded','failed','cancelled')) PERSISTENT,
  priority SMALLINT NOT NULL DEFAULT 0,
  run_at DATETIME(6) NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  max_attempts INT UNSIGNED NOT NULL DEFAULT 3,
  version INT UNSIGNED NOT NULL DEFAULT 1,
  cancel_requested TINYINT(1) NOT NULL DEFAULT 0,
  lease_owner BIGINT UNSIGNED NULL,
  lease_until DATETIME(6) NULL,
  payload MEDIUMBLOB NULL,
  payload_encoding TINYINT UNSIGNED NOT NULL DEFAULT 0,
  payload_size INT UNSIGNED NOT NULL DEFAULT 0,
  last_error TEXT NULL,
  result TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY tasks_list_created (business_id, finished, created_at, id),
  KEY tasks_list_user (business_id, finished, user_name, id),
  KEY tasks_list_type (business_id, finished, type_name, id),
  KEY tasks_by_user (business_id, user_id, finished, created_at, id),
  KEY tasks_by_type (business_id, task_type_id, finished, created_at, id),
  KEY tasks_claim (business_id, state, priority DESC, run_at, id),
  KEY tasks_lease (state, lease_until),
  CONSTRAINT tasks_business_fk FOREIGN KEY (business_id) REFERENCES businesses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- A live rule (paused_until NULL or ahead) holds every task of its
-- business that it names, queued now or enqueued later.
CREATE TABLE IF NOT EXISTS pause_rules (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  scope ENUM('user','task_type') NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  paused_by BIGINT UNSIGNED NULL,
  paused_by_name VARCHAR(190) NOT NULL,
  paused_at DATETIME(6) NOT NULL,
  paused_until DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY pause_rules_target (business_id, scope, target_id),
  CONSTRAINT pause_rules_business_fk FOREIGN KEY (business_id) REFERENCES businesses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- History outlives what it is about: no foreign keys here.
CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL,
  actor_id BIGINT UNSIGNED NULL,
  actor VARCHAR(190) NOT NULL,
  action VARCHAR(32) NOT NULL,
  target_kind VARCHAR(16) NOT NULL,
  target_id BIGINT UNSIGNED NULL,
  target_name VARCHAR(190) NOT NULL DEFAULT '',
  reason VARCHAR(500) NOT NULL DEFAULT '',
  detail VARCHAR(1000) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY audit_log_business (business_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE IF NOT EXISTS sessions (
  token_hash BINARY(32) NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  csrf_token CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_seen_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (token_hash),
  KEY sessions_user (user_id),
  KEY sessions_expires (expires_at),
  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS executors (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  host VARCHAR(255) NOT NULL,
  pid INT UNSIGNED NOT NULL,
  supervisor_pid INT UNSIGNED NOT NULL,
  started_at DATETIME(6) NOT NULL,
  heartbeat_at DATETIME(6) NOT NULL,
  current_task_id BIGINT UNSIGNED NULL,
  PRIMARY KEY (id),
  KEY executors_heartbeat (heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
