-- 011-migration-checksum: the SHA-256 of each applied migration's text,
-- as the build that applied it carried it, in hex. "asynctasks migrate
-- --status" compares it with the text of the running build and flags a
-- migration edited after it was applied. The migrations applied before
-- this column existed get theirs from the migrate run that adds it,
-- from that build's text: what they really were is not known any more.

ALTER TABLE schema_version ADD COLUMN IF NOT EXISTS checksum CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;
