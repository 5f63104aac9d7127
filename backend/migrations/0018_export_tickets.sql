-- One-use tickets for downloading a user's export (`POST /api/export` makes one, `GET
-- /api/export/{ticket}` takes it): a plain link the browser can follow, so the archive streams
-- to disk without the session token in the address. Only the SHA-256 of a ticket is stored.
-- Portable SQL (SQLite and PostgreSQL).
CREATE TABLE export_tickets (
    ticket_hash TEXT PRIMARY KEY,
    name_key    TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL  -- ms since the Unix epoch
);
