-- Read receipts: the read markers of a conversation's people, furthest along first
-- (`receipts`), found without reading every marker. Portable SQL (SQLite and PostgreSQL).
CREATE INDEX read_markers_by_conversation ON read_markers (conversation, up_to);
