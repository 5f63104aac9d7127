-- Rooms as things of their own: a title and topic, private (invitation only) or public,
-- archived (read-only); moderators; invitations. Portable SQL (SQLite and PostgreSQL).

-- One row per room with members (the lobby aside); it goes with its last member.
CREATE TABLE rooms (
    room       TEXT PRIMARY KEY,
    title      TEXT,                       -- the name shown, set by the owner; NULL: none
    topic      TEXT,
    private    BIGINT NOT NULL DEFAULT 0,  -- 1: never listed, joined by invitation only
    archived   BIGINT NOT NULL DEFAULT 0,  -- 1: read-only, not listed
    created_at BIGINT NOT NULL
);
-- Every room that has members today is public, with neither title nor topic.
INSERT INTO rooms (room, created_at)
    SELECT room, MIN(joined_at) FROM memberships GROUP BY room;
-- A public room's list: by kind, then found by its members.
CREATE INDEX rooms_listed ON rooms (private, archived);

-- `memberships.role` is now 'owner', 'moderator' or NULL.

-- Who may join which room though not a member: invited by its owner or a moderator.
CREATE TABLE invitations (
    room       TEXT NOT NULL,
    name_key   TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    inviter    TEXT NOT NULL,              -- as displayed
    at         BIGINT NOT NULL,
    PRIMARY KEY (room, name_key)
);
CREATE INDEX invitations_by_user ON invitations (name_key);
