-- Mentions: one row per member a room message mentions (`@name`, the rule in
-- shared/src/mentions.rs), written by `append` in the transaction that stores the message. A
-- member's unread mentions in a room are the rows above their read marker there, counted by the
-- primary key's range. Messages stored before this migration mention nobody. Portable SQL
-- (SQLite and PostgreSQL).
CREATE TABLE mentions (
    name_key     TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    conversation TEXT NOT NULL,   -- 'room:<room>'
    id           BIGINT NOT NULL, -- the message
    PRIMARY KEY (name_key, conversation, id)
);
