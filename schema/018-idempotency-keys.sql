-- 018-idempotency-keys: the keys programs send with a single enqueue (the
-- HTTP API's Idempotency-Key header, the C API's and the command line's
-- key), each naming the task it was first used for, per business. The
-- enqueue writes its key in its own transaction, right after its task:
-- the primary key makes a second enqueue with the same key wait for the
-- first's commit and then fail as a duplicate, so it rolls back and
-- answers with the first task (docs/ARCHITECTURE.md, "Tasks").
-- request_hash (SHA-256 of the user, type, priority, run-at and payload)
-- tells a retry from another request under the same key. Keys count for
-- 24 hours from created_at, checked on use; the retention prune removes
-- older ones through idempotency_keys_created. task_id has no foreign
-- key: a key outlives its task's removal, so that the key is not reused
-- for a second task within its 24 hours.

CREATE TABLE IF NOT EXISTS idempotency_keys (
  business_id BIGINT UNSIGNED NOT NULL,
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash BINARY(32) NOT NULL,
  task_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (business_id, idem_key),
  KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
