-- How long before a booked room opens its invitees are reminded; 0: never.
ALTER TABLE rooms ADD COLUMN remind_ns INTEGER NOT NULL DEFAULT 0;

-- A handle is a name on this server bound to a client's key, first come.
CREATE TABLE handles (
	handle     TEXT    NOT NULL PRIMARY KEY,
	public_key TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) STRICT;

-- Who is invited to a room: a handle on this server or an email address.
CREATE TABLE invites (
	room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	kind    TEXT NOT NULL, -- handle | email
	address TEXT NOT NULL,
	PRIMARY KEY (room_id, kind, address)
) STRICT;

-- The outbox: every notification to deliver, once per event, recipient and
-- channel. Deliverers claim rows with a lease, so two roomsd never deliver
-- the same row and a crashed one's claims run out.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id        TEXT    NOT NULL,
	room_id         TEXT    NOT NULL,
	channel         TEXT    NOT NULL, -- inbox | webhook | email
	recipient       TEXT    NOT NULL, -- a handle, a URL, an address
	type            TEXT    NOT NULL, -- room_open, reminder, ...
	payload         TEXT    NOT NULL, -- JSON
	state           TEXT    NOT NULL, -- pending | delivered | dead
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	lease_owner     TEXT,
	lease_until     INTEGER,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER,
	UNIQUE (event_id, channel, recipient)
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_room ON outbox (room_id);

-- A handle's inbox: delivered notifications, in order, for rooms inbox.
CREATE TABLE inbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	handle     TEXT    NOT NULL,
	outbox_id  INTEGER NOT NULL UNIQUE,
	payload    TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX inbox_handle ON inbox (handle, id);

-- Webhooks a room's host set at create.
CREATE TABLE room_webhooks (
	room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	url     TEXT NOT NULL,
	secret  BLOB NOT NULL,
	PRIMARY KEY (room_id, url)
) STRICT;
