-- Accounts own names; sessions are the tokens that prove it. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE accounts (
    name_key      TEXT PRIMARY KEY,          -- the name, lowercased: names are unique without case
    name          TEXT NOT NULL,             -- the name as its owner first wrote it
    password_hash TEXT,                      -- argon2id PHC string, or NULL: the token is the only key
    created_at    BIGINT NOT NULL            -- ms since the Unix epoch
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,             -- hex SHA-256 of the token; the token itself is never stored
    name_key   TEXT NOT NULL REFERENCES accounts (name_key) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (name_key);
