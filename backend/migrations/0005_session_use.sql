-- Sessions expire a while after their last use (--session-ttl-secs, sliding), and their owner
-- can list them: when each was last used, and the browser and address it was opened from.
-- Portable SQL (SQLite and PostgreSQL).
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
UPDATE sessions SET last_used_at = created_at;
