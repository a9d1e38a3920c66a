-- 004-lanes: what the claim needs at scale, and the totals the admin screen
-- reads in O(1).
--
-- A lane is the queued work of one (business, user, task type, priority).
-- A pause flips the held flag of the lanes it names instead of touching
-- their tasks, and the claim reads only lanes that are ready (held by no
-- rule, with a due head), so held tasks cost a claim nothing. The lanes and
-- the counters are kept in the transactions that change tasks; migrate
-- rebuilds them from the tasks after this migration, and
-- "asynctasks counters rebuild" does so on demand.

CREATE TABLE IF NOT EXISTS lanes (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  task_type_id BIGINT UNSIGNED NOT NULL,
  priority SMALLINT NOT NULL,
  -- a live pause rule names the lane's user or task type
  held TINYINT(1) NOT NULL DEFAULT 0,
  -- queued tasks in the lane, due or not
  queued INT UNSIGNED NOT NULL DEFAULT 0,
  -- the lane's first queued task by (run_at, id); NULL when empty. A hint
  -- for the claim's order: the tasks themselves are the truth.
  head_run_at DATETIME(6) NULL,
  head_id BIGINT UNSIGNED NULL,
  -- the head's run_at has come (kept by the claim, enqueue and the
  -- supervisors' dispatcher)
  due TINYINT(1) NOT NULL DEFAULT 0,
  ready TINYINT(1) AS (held = 0 AND due = 1) PERSISTENT,
  PRIMARY KEY (id),
  UNIQUE KEY lanes_key (business_id, user_id, task_type_id, priority),
  KEY lanes_ready (ready, business_id, priority DESC, head_run_at, head_id, task_type_id),
  KEY lanes_waiting (due, head_run_at),
  KEY lanes_type (task_type_id, business_id),
  KEY lanes_user (user_id, business_id),
  KEY lanes_held (held, business_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- A lane's tasks in claim order. "finished" rather than state: a claim
-- (queued to running) moves no entry of this index.
ALTER TABLE tasks ADD INDEX IF NOT EXISTS tasks_lane (business_id, user_id, task_type_id, priority, finished, run_at, id);
-- The claim no longer reads tasks across businesses.
ALTER TABLE tasks DROP INDEX IF EXISTS tasks_ready;
-- No foreign key from tasks to businesses: enqueue proves the business
-- in its own statement (as it proves the user and the type, which have
-- none either), businesses are never deleted, and the key's check takes
-- the business's row in share mode whenever a task's index entries move
-- (every end of an attempt), which would tie every executor's
-- transaction to the pauses that take that row exclusively.
ALTER TABLE tasks DROP FOREIGN KEY IF EXISTS tasks_business_fk;
-- Leases by holder: renewal, recovery and cancels. Renewals change
-- lease_until, which is therefore not in the key.
ALTER TABLE tasks ADD INDEX IF NOT EXISTS tasks_lease_owner (lease_owner);
ALTER TABLE tasks DROP INDEX IF EXISTS tasks_lease;

-- Every change to a business's rules bumps its epoch, under the row lock
-- that orders pauses with the executors' re-check: an executor whose
-- cached rules carry the current epoch need not read them again.
ALTER TABLE businesses ADD COLUMN IF NOT EXISTS pause_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0;

-- Expiry: the dispatcher finds rules whose time has come.
ALTER TABLE pause_rules ADD INDEX IF NOT EXISTS pause_rules_until (paused_until);

-- A business's cap on running tasks; no row (or NULL): the configured
-- default. The claim locks this row while it counts, so two supervisors
-- never exceed the cap together.
CREATE TABLE IF NOT EXISTS business_limits (
  business_id BIGINT UNSIGNED NOT NULL,
  max_running INT UNSIGNED NULL,
  -- no foreign key, for the reason tasks have none: the claim locks
  -- this row, and must not take the business's row with it
  PRIMARY KEY (business_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- A business's totals, spread over a few slots so that enqueues and
-- finishes seldom wait on one row: the total is the sum of the slots.
-- "finished today" is kept per slot with the day it counts.
CREATE TABLE IF NOT EXISTS task_counts (
  business_id BIGINT UNSIGNED NOT NULL,
  slot TINYINT UNSIGNED NOT NULL,
  queued BIGINT NOT NULL DEFAULT 0,
  paused BIGINT NOT NULL DEFAULT 0,
  running BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  finished_day DATE NOT NULL DEFAULT '1970-01-01',
  finished BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- Lane bookkeeping left over by a pause or resume of many lanes: the
-- change itself committed (the rule holds, the re-check enforces it); the
-- held flags of the lanes after after_lane_id are still to be brought in
-- line, in bounded chunks, by whoever gets there first.
CREATE TABLE IF NOT EXISTS lane_work (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  -- a user's or a task type's lanes, or (Resume All) every held lane
  scope ENUM('user','task_type','business') NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  after_lane_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
