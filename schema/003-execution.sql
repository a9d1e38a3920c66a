-- 003-execution: what running tasks needs: plugin-declared parameters,
-- supervisors and their executors, every attempt of every task, and the
-- per-business API tokens of the HTTP enqueue endpoint.

-- The parameters a plugin declares for the type, serialised by
-- lib/params.c; '' when it declares none.
ALTER TABLE task_types ADD COLUMN IF NOT EXISTS params TEXT NOT NULL DEFAULT '';

-- Progress a handler reports, and how long the last attempt took.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS progress_done BIGINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS progress_total BIGINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS duration_us BIGINT UNSIGNED NULL;

-- An executor serves every business, so its claim reads queued tasks
-- across businesses in priority, then run_at order: this index gives that
-- order without a sort (tests/explain.sh checks the plan). 001's per-business
-- claim index has no query left and goes.
ALTER TABLE tasks ADD INDEX IF NOT EXISTS tasks_ready (state, priority DESC, run_at, id);
ALTER TABLE tasks DROP INDEX IF EXISTS tasks_claim;

-- One row per running asynctasksd; wake_addr is the UDP address
-- ("ip:port") that enqueue pokes so that an idle executor starts at once.
CREATE TABLE IF NOT EXISTS supervisors (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  host VARCHAR(255) NOT NULL,
  pid INT UNSIGNED NOT NULL,
  wake_addr VARCHAR(64) NOT NULL DEFAULT '',
  started_at DATETIME(6) NOT NULL,
  heartbeat_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY supervisors_heartbeat (heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

ALTER TABLE executors ADD COLUMN IF NOT EXISTS supervisor_id BIGINT UNSIGNED NULL;
ALTER TABLE executors ADD COLUMN IF NOT EXISTS task_started_at DATETIME(6) NULL;
ALTER TABLE executors ADD COLUMN IF NOT EXISTS tasks_run BIGINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE executors ADD INDEX IF NOT EXISTS executors_supervisor (supervisor_id);

-- Every run of every task: when it started (after the pause re-check),
-- where, and how it ended. History: no foreign keys.
CREATE TABLE IF NOT EXISTS task_attempts (
  task_id BIGINT UNSIGNED NOT NULL,
  attempt INT UNSIGNED NOT NULL,
  business_id BIGINT UNSIGNED NOT NULL,
  executor_id BIGINT UNSIGNED NOT NULL,
  host VARCHAR(255) NOT NULL,
  pid INT UNSIGNED NOT NULL,
  started_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  outcome ENUM('running','succeeded','failed','retry','cancelled','requeued') NOT NULL DEFAULT 'running',
  error TEXT NULL,
  PRIMARY KEY (task_id, attempt),
  KEY task_attempts_business (business_id, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- The token travels as "Authorization: Bearer <token>"; only its SHA-256
-- is stored.
CREATE TABLE IF NOT EXISTS api_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(190) NOT NULL,
  token_hash BINARY(32) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_tokens_hash (token_hash),
  UNIQUE KEY api_tokens_name (business_id, name),
  CONSTRAINT api_tokens_business_fk FOREIGN KEY (business_id) REFERENCES businesses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
