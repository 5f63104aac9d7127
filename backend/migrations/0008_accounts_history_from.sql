-- A released name's new holder is a new person: the account created by the claim that released
-- the name keeps here the newest message id at that moment, and everything private it reads
-- (history, replay, its conversation list) starts above it. The messages, kept for the other
-- participants, are keyed by name, which the new account shares with the old. 0 for every
-- account not created by a release. Portable SQL (SQLite and PostgreSQL).
ALTER TABLE accounts ADD COLUMN history_from BIGINT NOT NULL DEFAULT 0;
