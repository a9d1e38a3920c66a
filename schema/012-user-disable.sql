-- 012-user-disable: people leave. A disabled user keeps their row, their
-- memberships and their tasks (business data, and history names them),
-- but cannot log in, and their sessions stop at the next request: the
-- request's context joins the user and skips a disabled one. Who disabled
-- them, and when, is in the audit log.

ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled_at DATETIME(6) NULL;
