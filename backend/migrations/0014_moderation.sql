-- Moderation: who is banned from which room, and every moderation action, for the room's
-- moderators to read. Portable SQL (SQLite and PostgreSQL).

-- A banned user cannot join the room or be invited to it until unbanned. Bans go with the
-- room (when its last member leaves).
CREATE TABLE bans (
    room     TEXT NOT NULL,
    name_key TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    by_name  TEXT NOT NULL,   -- who banned them, as displayed
    at       BIGINT NOT NULL,
    PRIMARY KEY (room, name_key)
);

-- What the owner and moderators did: 'kick', 'ban', 'unban', 'delete' (someone else's
-- message). Numbered from the `audit` row of `sequences`, so that pages have an exact cursor
-- whichever node records.
CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY,
    room       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,   -- as displayed
    action     TEXT NOT NULL,
    target     TEXT,            -- whom, as displayed
    message_id BIGINT           -- a deletion's message
);
CREATE INDEX audit_log_by_room ON audit_log (room, id);
INSERT INTO sequences (name, value) VALUES ('audit', 0);
