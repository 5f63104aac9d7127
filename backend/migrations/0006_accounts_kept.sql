-- A name is an account: signing out no longer deletes a passwordless account. It is released
-- only after a long inactivity (--release-names-after-days), counted from the later of its
-- sessions' last use and this column: when the account was created or a session of it ended.
-- Portable SQL (SQLite and PostgreSQL).
ALTER TABLE accounts ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET last_used_at = created_at;
