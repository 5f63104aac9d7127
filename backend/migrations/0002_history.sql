-- Durable rooms, messages and read markers. Portable SQL (SQLite and PostgreSQL).

-- Room memberships last until the member leaves. `lobby` is everyone's and is not listed.
CREATE TABLE memberships (
    name_key  TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    room      TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (name_key, room)
);
CREATE INDEX memberships_by_room ON memberships (room);

-- Message ids come from this counter, bumped in the transaction that stores a batch, so they
-- grow in commit order whichever engine or node writes.
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('messages', 0);

CREATE TABLE messages (
    id            BIGINT PRIMARY KEY,
    conversation  TEXT NOT NULL,   -- 'room:<room>' or 'dm:<key>:<key>' (the two name keys, sorted)
    room          TEXT,            -- the room, or NULL for a private message
    sender_key    TEXT NOT NULL,
    sender        TEXT NOT NULL,   -- the sender's name as displayed
    recipient_key TEXT,            -- private messages only
    recipient     TEXT,
    body          TEXT NOT NULL,
    at            BIGINT NOT NULL, -- ms since the Unix epoch
    req           TEXT             -- the client's idempotency key, unique per sender
);
CREATE UNIQUE INDEX messages_idempotency ON messages (sender_key, req);
CREATE INDEX messages_by_conversation ON messages (conversation, id);
CREATE INDEX messages_by_sender ON messages (sender_key, id);
CREATE INDEX messages_by_recipient ON messages (recipient_key, id);

CREATE TABLE read_markers (
    name_key     TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    up_to        BIGINT NOT NULL,
    PRIMARY KEY (name_key, conversation)
);
