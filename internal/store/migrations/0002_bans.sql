-- A client removed by a room's host, by the public key it joins with.
CREATE TABLE bans (
	room_id    TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	public_key TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (room_id, public_key)
) STRICT;
