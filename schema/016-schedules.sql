-- 016-schedules: recurring tasks (docs/ARCHITECTURE.md, "Recurring
-- tasks"). A schedule is a business's cron expression in a time zone,
-- with the task it enqueues at each occurrence; next_run_at is its next
-- occurrence in UTC, which the supervisors' one read when idle finds
-- through schedules_due. Each occurrence enqueued is a row of
-- schedule_fires, written in the transaction of its task: the primary
-- key (schedule, occurrence) is the unique key that makes an occurrence
-- one task, however many supervisors try it; occurrences is how many
-- occurrences its task stands for (more than 1 when missed ones were run
-- once).

CREATE TABLE IF NOT EXISTS schedules (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  cron VARCHAR(200) NOT NULL,
  time_zone VARCHAR(64) NOT NULL,
  task_type_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  payload MEDIUMBLOB NULL,
  priority SMALLINT NOT NULL DEFAULT 0,
  missed ENUM('skip','once') NOT NULL DEFAULT 'skip',
  paused TINYINT(1) NOT NULL DEFAULT 0,
  next_run_at DATETIME(6) NOT NULL,
  last_fired_at DATETIME(6) NULL,
  last_task_id BIGINT UNSIGNED NULL,
  last_error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL,
  created_by VARCHAR(190) NOT NULL,
  PRIMARY KEY (id),
  KEY schedules_due (paused, next_run_at),
  KEY schedules_business (business_id, id),
  CONSTRAINT schedules_business_fk FOREIGN KEY (business_id) REFERENCES businesses (id),
  CONSTRAINT schedules_type_fk FOREIGN KEY (task_type_id) REFERENCES task_types (id),
  CONSTRAINT schedules_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS schedule_fires (
  schedule_id BIGINT UNSIGNED NOT NULL,
  occurrence_at DATETIME(6) NOT NULL,
  occurrences INT UNSIGNED NOT NULL DEFAULT 1,
  fired_at DATETIME(6) NOT NULL,
  task_id BIGINT UNSIGNED NULL,
  error VARCHAR(1000) NULL,
  PRIMARY KEY (schedule_id, occurrence_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
