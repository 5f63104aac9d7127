-- Safety: administrators, disabled accounts and blocks. Portable SQL (SQLite and PostgreSQL).

-- Granted by `chat-server admin grant` (ms since the Unix epoch), NULL for everyone else.
-- `--admin NAME` names administrators besides these, without storing them.
ALTER TABLE accounts ADD COLUMN admin_since BIGINT;
-- Disabled by an administrator (ms since the Unix epoch): its sessions are refused, it cannot
-- sign in, and its name is never released. NULL while the account may be used.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;

-- Who blocks whom: `blocked`'s private messages to `blocker_key` are stored for their sender
-- only (`messages.hidden_for`), and the blocker's client collapses their room messages.
CREATE TABLE blocks (
    blocker_key TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    blocked_key TEXT NOT NULL,
    blocked     TEXT NOT NULL,   -- as displayed
    at          BIGINT NOT NULL,
    PRIMARY KEY (blocker_key, blocked_key)
);

-- The name key of the participant who never sees this private message (nor the changes to
-- it): its recipient, who blocked its sender when it was sent. NULL: both participants see it.
ALTER TABLE messages ADD COLUMN hidden_for TEXT;
