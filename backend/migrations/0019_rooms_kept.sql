-- Rooms are kept when their last member leaves; until now a room went with its last member,
-- with its row (and so whether it was private), invitations, bans and audit log, while its
-- messages stayed, and whoever came next made it anew, owned it and read them. Each room so
-- gone whose messages are still stored gets its row back, private, since nothing tells any
-- more whether it was: nobody is in it to invite anyone, so its history reaches nobody new and
-- its name is not taken over. Portable SQL (SQLite and PostgreSQL).
INSERT INTO rooms (room, private, created_at)
    SELECT room, 1, MIN(at) FROM messages
    WHERE room IS NOT NULL AND room <> 'lobby'
      AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.room = messages.room)
    GROUP BY room;
