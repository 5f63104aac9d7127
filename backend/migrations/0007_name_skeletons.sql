-- Names that look alike (`alice`, `aIice` with a capital i) cannot both be accounts: each
-- account keeps its name's confusable skeleton (Unicode TS #39, `UserName::skeleton`), unique.
-- SQL cannot compute a skeleton: the server fills in rows where it is NULL when it starts
-- (`store/skeletons.rs`). Several NULLs do not collide. Portable SQL (SQLite and PostgreSQL).
ALTER TABLE accounts ADD COLUMN name_skeleton TEXT;
CREATE UNIQUE INDEX accounts_by_skeleton ON accounts (name_skeleton);
