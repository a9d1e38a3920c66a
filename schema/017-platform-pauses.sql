-- 017-platform-pauses: pause rules of the whole platform, set by a
-- platform admin or the operator, holding a user or a task type in every
-- business, present and future (docs/ARCHITECTURE.md, "Pause semantics").
--
-- A platform rule holds what a business's rule of the same target would
-- hold, in every business; the two kinds live side by side and a resume
-- of one never lifts the other. Every change to the platform's rules
-- bumps the platform row's epoch under its exclusive lock, as a business's
-- changes bump its row's: the executors' re-check takes this row in share
-- mode beside the business's.

CREATE TABLE IF NOT EXISTS platform (
  -- one row, id 1
  id TINYINT UNSIGNED NOT NULL,
  pause_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
INSERT IGNORE INTO platform (id) VALUES (1);

-- One rule per target, as for a business's rules. No foreign keys: the
-- target's name is read beside the rule, and history is in the audit log.
CREATE TABLE IF NOT EXISTS platform_pause_rules (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  scope ENUM('user','task_type') NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  paused_by BIGINT UNSIGNED NULL,
  paused_by_name VARCHAR(190) NOT NULL,
  paused_at DATETIME(6) NOT NULL,
  paused_until DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY platform_pause_rules_target (scope, target_id),
  KEY platform_pause_rules_until (paused_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- Lane work of a platform rule (business_id 0) walks the target's lanes
-- of every business in (business_id, id) order: where it stopped.
ALTER TABLE lane_work ADD COLUMN IF NOT EXISTS after_business_id BIGINT UNSIGNED NOT NULL DEFAULT 0;
