-- Times are INTEGER unix nanoseconds in UTC; NULL is the zero time.
-- Durations are INTEGER nanoseconds.
CREATE TABLE rooms (
	id            TEXT    NOT NULL PRIMARY KEY,
	name          TEXT    NOT NULL,
	theme         TEXT    NOT NULL,
	visibility    TEXT    NOT NULL,
	locked        INTEGER NOT NULL,
	capacity      INTEGER NOT NULL,
	state         TEXT    NOT NULL,
	starts_at     INTEGER,
	time_zone     TEXT    NOT NULL,
	duration_ns   INTEGER NOT NULL,
	host_key_hash BLOB,
	created_at    INTEGER,
	updated_at    INTEGER,
	ended_at      INTEGER
) STRICT;

-- The public directory lists open and scheduled public rooms by start time.
CREATE INDEX rooms_visibility_state_starts_at ON rooms (visibility, state, starts_at);
