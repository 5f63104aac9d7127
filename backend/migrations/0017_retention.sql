-- Retention per room, set by the room's owner: its messages older than `days` are deleted
-- (with their changes, reactions, mentions and search entries) by the retention task; with
-- `--retention-days` too, the shorter age applies. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE room_retention (
    room   TEXT PRIMARY KEY,
    days   BIGINT NOT NULL,
    set_by TEXT NOT NULL,   -- the owner's name key
    set_at BIGINT NOT NULL  -- ms since the Unix epoch
);
