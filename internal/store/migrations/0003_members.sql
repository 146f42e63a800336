-- Keys that have been in a room's call: a lock keeps out newcomers, not
-- people who were already in (and come back after a drop or a restart).
CREATE TABLE members (
	room_id         TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	public_key      TEXT    NOT NULL,
	first_joined_at INTEGER NOT NULL,
	PRIMARY KEY (room_id, public_key)
) STRICT;
