-- 008-tasks-all: the list's status "All" in created order, its default
-- sort, is one range of an index, cut at the page: of every task of the
-- business, or, searched, of the tasks of the users or task types found.
-- Without these, "all" reads a page of the pending and a page of the
-- finished tasks and merges them: twice the rows, and a union that copies
-- each of them (docs/ARCHITECTURE.md, "All in one range"). None of their
-- columns changes after the insert, so claiming and finishing a task do
-- not touch them.

ALTER TABLE tasks
  ADD INDEX IF NOT EXISTS tasks_all_created (business_id, created_at, id),
  ADD INDEX IF NOT EXISTS tasks_all_by_user (business_id, user_id, created_at, id),
  ADD INDEX IF NOT EXISTS tasks_all_by_type (business_id, task_type_id, created_at, id);
