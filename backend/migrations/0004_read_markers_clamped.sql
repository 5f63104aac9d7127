-- Read markers never pass their conversation's newest message (`read` is clamped since
-- protocol version 5). Portable SQL (SQLite and PostgreSQL).
--
-- A marker stored before above every id ever given out hides every later message of its
-- conversation from the unread count, for good: it is brought back to the conversation's
-- newest id (0 when it has none). A marker above its conversation's newest id but below the
-- newest id overall hides nothing (the conversation's next message gets a higher id), so the
-- repair reads only the markers it must fix, not every conversation's newest message.
UPDATE read_markers
SET up_to = COALESCE(
    (SELECT MAX(m.id) FROM messages m WHERE m.conversation = read_markers.conversation), 0)
WHERE up_to > (SELECT value FROM sequences WHERE name = 'messages');
