-- What happens to a message after it is sent: replies, edits, deletions (tombstones) and
-- reactions, and rooms' owners, who may delete anyone's message. Portable SQL (SQLite and
-- PostgreSQL).

ALTER TABLE messages ADD COLUMN reply_to BIGINT;    -- the message it answers
ALTER TABLE messages ADD COLUMN edited_at BIGINT;   -- last edited, ms since the Unix epoch
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;  -- a tombstone since then: body ''

-- Who reacted to which message with what; a user once per emoji and message.
CREATE TABLE reactions (
    message_id BIGINT NOT NULL,
    emoji      TEXT NOT NULL,
    user_key   TEXT NOT NULL,
    user_name  TEXT NOT NULL,  -- as displayed
    at         BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_key)
);
CREATE INDEX reactions_by_user ON reactions (user_key);

-- Every change, numbered from the `messages` sequence like a message, so that a reconnecting
-- client's `after` covers changes too.
CREATE TABLE changes (
    id           BIGINT PRIMARY KEY,
    message_id   BIGINT NOT NULL,
    conversation TEXT NOT NULL,   -- the changed message's
    kind         TEXT NOT NULL,   -- 'edit', 'delete', 'react', 'unreact'
    actor_key    TEXT NOT NULL,
    actor        TEXT NOT NULL,   -- who made it, as displayed
    body         TEXT,            -- an edit's new body; NULL once the message is deleted
    emoji        TEXT,            -- a reaction's
    at           BIGINT NOT NULL,
    req          TEXT             -- the client's idempotency key, unique per actor
);
CREATE INDEX changes_by_conversation ON changes (conversation, id);
CREATE INDEX changes_by_message ON changes (message_id);
CREATE UNIQUE INDEX changes_idempotency ON changes (actor_key, req) WHERE req IS NOT NULL;

-- 'owner' for a room's creator, else NULL. A room's earliest member owns it already.
ALTER TABLE memberships ADD COLUMN role TEXT;
UPDATE memberships SET role = 'owner' WHERE NOT EXISTS (
    SELECT 1 FROM memberships earlier
    WHERE earlier.room = memberships.room
      AND (earlier.joined_at < memberships.joined_at
           OR (earlier.joined_at = memberships.joined_at
               AND earlier.name_key < memberships.name_key)));
