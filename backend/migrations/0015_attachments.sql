-- Uploaded files (the bytes live in the attachment storage, not here): who uploaded what,
-- and, once a message carries it, which message; once that message is deleted, when.
-- Portable SQL (SQLite and PostgreSQL).
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,   -- 32 hex digits, random: the storage's key
    uploader_key TEXT NOT NULL,      -- the uploader's name key
    uploader     TEXT NOT NULL,      -- as displayed
    name         TEXT NOT NULL,      -- the file's name, cleaned
    content_type TEXT NOT NULL,      -- found from the bytes
    size         BIGINT NOT NULL,
    thumbnail    BIGINT NOT NULL,    -- 1 when a thumbnail is stored beside it
    created_at   BIGINT NOT NULL,
    message_id   BIGINT,             -- the message carrying it; NULL until sent
    conversation TEXT,               -- that message's conversation key
    position     BIGINT,             -- its place among the message's attachments
    deleted_at   BIGINT              -- its message was deleted: the sweeper removes the bytes
);
CREATE INDEX attachments_by_uploader ON attachments (uploader_key);
CREATE INDEX attachments_by_message ON attachments (message_id, created_at);
CREATE INDEX attachments_deleted ON attachments (deleted_at) WHERE deleted_at IS NOT NULL;
