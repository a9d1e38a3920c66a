-- 005-member-names: the Pause User dialog lists a business's members by
-- name, a page at a time, at any number of members. As tasks.user_name
-- does for the task list, memberships.user_name copies the user's name
-- (users are never renamed) so that a page is an ordered read of one index
-- of memberships, never a sort of every member.

ALTER TABLE memberships ADD COLUMN IF NOT EXISTS user_name VARCHAR(190) NOT NULL DEFAULT '';
UPDATE memberships m JOIN users u ON u.id = m.user_id SET m.user_name = u.name WHERE m.user_name = '';
ALTER TABLE memberships ADD INDEX IF NOT EXISTS memberships_name (business_id, user_name, user_id);
