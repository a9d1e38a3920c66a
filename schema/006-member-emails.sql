-- 006-member-emails: the Pause User dialog searches a business's members
-- by name or email. memberships.user_email copies the user's email
-- (emails, like names, never change) into the index the dialog reads, so
-- that the search filters that index alone and reads a user's row only
-- for the members it shows.

ALTER TABLE memberships ADD COLUMN IF NOT EXISTS user_email VARCHAR(190) NOT NULL DEFAULT '';
UPDATE memberships m JOIN users u ON u.id = m.user_id SET m.user_email = u.email WHERE m.user_email = '';
ALTER TABLE memberships DROP INDEX IF EXISTS memberships_name,
  ADD INDEX memberships_name (business_id, user_name, user_id, user_email);
