-- 010-supervisor-host: which supervisors may judge each other's process by
-- its pid. A hostname says nothing of that: two hosts, or two pid
-- namespaces of one host, may share it, and each has its own pid 14. The
-- neighbourhood is the boot id with the pid namespace ("<boot id>
-- pid:[<inode>]"); NULL when the supervisor could not tell, which makes
-- it nobody's neighbour. pid_start is the process's start time (clock
-- ticks since boot; 0 unknown), so that a pid taken again by another
-- process does not pass for the supervisor (docs/ARCHITECTURE.md,
-- "Recovery"). host stays, for people to read.

ALTER TABLE supervisors
  ADD COLUMN IF NOT EXISTS neighbourhood VARCHAR(100) NULL AFTER host,
  ADD COLUMN IF NOT EXISTS pid_start BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER pid,
  ADD INDEX IF NOT EXISTS supervisors_neighbourhood (neighbourhood);
