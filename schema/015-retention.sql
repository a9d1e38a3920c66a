-- 015-retention: what the retention settings (retain_finished_days,
-- retain_audit_days) need to find what is old without reading the rest.
-- Each prune batch is an ordered range of one of these indexes, cut at the
-- batch size (docs/ARCHITECTURE.md, "Retention"): the oldest finished
-- tasks, and the oldest audit entries. A task's entry moves once, when it
-- finishes; an audit entry's never. Unlike the indexes that pages and the
-- claim read, tasks_finished_at does not lead with business_id: the
-- cut-off is the same for every business, and one range across them
-- costs a prune one probe, not one per business.

ALTER TABLE tasks ADD INDEX IF NOT EXISTS tasks_finished_at (finished, finished_at);
ALTER TABLE audit_log ADD INDEX IF NOT EXISTS audit_log_created (created_at);
