-- Cheaper stores: fewer index entries per message. Portable SQL (SQLite and PostgreSQL).
--
-- Every stored message updated five indexes of `messages`, each on a random page. Two of them,
-- by sender and by recipient, served only to find a user's private conversations; this table
-- answers that instead, and gains a row only when two people first write to each other.

-- Each private conversation once per participant (once in all for a conversation with
-- oneself).
CREATE TABLE private_conversations (
    name_key     TEXT NOT NULL,  -- a participant's name key
    conversation TEXT NOT NULL,  -- 'dm:<key>:<key>', as in messages
    other_key    TEXT NOT NULL,  -- the other participant's name key
    PRIMARY KEY (name_key, conversation)
);

INSERT INTO private_conversations (name_key, conversation, other_key)
SELECT sender_key, conversation, recipient_key FROM messages
WHERE room IS NULL AND recipient_key IS NOT NULL
UNION
SELECT recipient_key, conversation, sender_key FROM messages
WHERE room IS NULL AND recipient_key IS NOT NULL;

DROP INDEX messages_by_sender;
DROP INDEX messages_by_recipient;

-- A message without a `req` (many are sent without one) needs no entry in it.
DROP INDEX messages_idempotency;
CREATE UNIQUE INDEX messages_idempotency ON messages (sender_key, req) WHERE req IS NOT NULL;
