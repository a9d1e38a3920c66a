-- 019-bulk-jobs: bulk actions on a list's filter (docs/ARCHITECTURE.md,
-- "Bulk actions"). A job is Retry, Cancel or Delete over every task of a
-- business that a list view's filter (status, user search, type search)
-- selects, run in batches of a few hundred tasks, each batch one
-- transaction that moves the cursor (the list's own keyset cursor, in
-- created order) and the counts with the tasks it changed. Whoever runs
-- the batches (a supervisor, or the command line) holds a lease: runner
-- and lease_until, renewed by every batch; a job whose lease ran out is
-- taken over where its cursor stands. The job's one audit entry is
-- written by the transaction that ends it (done or cancelled). Tasks
-- created after started_at are left alone: the job acts on what matched
-- when it was started.

CREATE TABLE IF NOT EXISTS bulk_jobs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  business_id BIGINT UNSIGNED NOT NULL,
  action ENUM('retry','cancel','delete') NOT NULL,
  status_filter ENUM('pending','finished','all') NOT NULL,
  user_search VARCHAR(100) NULL,
  type_search VARCHAR(100) NULL,
  created_by BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_by_name VARCHAR(300) NOT NULL,
  state ENUM('queued','running','done','cancelled') NOT NULL DEFAULT 'queued',
  estimate BIGINT UNSIGNED NOT NULL DEFAULT 0,
  estimate_more TINYINT NOT NULL DEFAULT 0,
  done_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
  skipped_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
  batches INT UNSIGNED NOT NULL DEFAULT 0,
  cursor_after VARCHAR(600) NULL,
  runner VARCHAR(300) NULL,
  lease_until DATETIME(6) NULL,
  started_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  ended_by_name VARCHAR(300) NULL,
  PRIMARY KEY (id),
  KEY bulk_jobs_open (state, lease_until),
  KEY bulk_jobs_business (business_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
