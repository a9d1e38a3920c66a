-- 014-metrics: what /metrics and "asynctasks stats" report beyond the
-- admin's totals, kept in the same rows of task_counts and written by the
-- same statement that ends attempts there (lib/counts.c), so ending an
-- attempt costs no statement more (docs/ARCHITECTURE.md, "Health and
-- metrics").
--
-- done_*: tasks that reached a final state, by outcome; retried: attempts
-- that ended in a retry. Counters: they only grow, and "counters rebuild"
-- leaves them alone, so they outlive restarts and the deletion of tasks.
--
-- wait_*: how long attempts waited to start, from the moment they could
-- (the task's run_at: its enqueue, or the time it was given); run_*: how
-- long attempts ran. Each is a histogram of 13 buckets, not cumulative
-- (b0: up to 10 ms, b1: 50 ms, b2: 100 ms, b3: 500 ms, b4: 1 s, b5: 5 s,
-- b6: 10 s, b7: 30 s, b8: 1 min, b9: 5 min, b10: 30 min, b11: 1 h,
-- b12: longer), with the sum in microseconds.

ALTER TABLE task_counts
  ADD COLUMN IF NOT EXISTS done_succeeded BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS done_failed BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS done_cancelled BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS retried BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b0 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b1 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b2 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b3 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b4 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b5 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b6 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b7 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b8 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b9 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b10 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b11 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_b12 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS wait_sum_us BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b0 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b1 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b2 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b3 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b4 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b5 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b6 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b7 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b8 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b9 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b10 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b11 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_b12 BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS run_sum_us BIGINT NOT NULL DEFAULT 0;
