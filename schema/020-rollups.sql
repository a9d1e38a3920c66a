-- 020-rollups: what the dashboard draws (fcgi/h_dashboard.c), kept so that
-- it reads O(buckets) rows, never the tasks: per business and task type,
-- how many attempts started, succeeded and failed in each minute (kept
-- about two hours) and each hour (kept eight days), by the database's
-- clock (a start counts in the minute it started, an end in the minute it
-- ended). The executors count in memory and add their counts every two
-- seconds or so, and when they exit, in one multi-row upsert
-- (lib/rollup.c): no statement is added to a task's claim or end, and a
-- kill -9 loses at most the counts of the seconds not yet added
-- (docs/ARCHITECTURE.md, "The dashboard"). The retention prune removes
-- older buckets.
--
-- task_type_errors: the latest error of each task type in each business,
-- added with the same flush; the prune removes those older than eight
-- days.

CREATE TABLE IF NOT EXISTS task_rollups (
  business_id BIGINT UNSIGNED NOT NULL,
  span ENUM('minute','hour') NOT NULL,
  bucket DATETIME NOT NULL,
  task_type_id BIGINT UNSIGNED NOT NULL,
  started INT UNSIGNED NOT NULL DEFAULT 0,
  succeeded INT UNSIGNED NOT NULL DEFAULT 0,
  failed INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, span, bucket, task_type_id),
  KEY task_rollups_age (span, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS task_type_errors (
  business_id BIGINT UNSIGNED NOT NULL,
  task_type_id BIGINT UNSIGNED NOT NULL,
  error_at DATETIME(6) NOT NULL,
  task_id BIGINT UNSIGNED NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (business_id, task_type_id),
  KEY task_type_errors_age (error_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
