-- When each account was last seen: the time its last connection closed (ms since the Unix
-- epoch), shown to others as "last seen". NULL until it first happens. Portable SQL (SQLite and
-- PostgreSQL).
ALTER TABLE accounts ADD COLUMN last_seen_at BIGINT;
