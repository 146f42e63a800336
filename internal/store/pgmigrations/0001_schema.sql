-- The PostgreSQL schema, the same tables as SQLite's migrations 0001-0007.
-- Times are BIGINT unix nanoseconds in UTC, as in SQLite, so both stores
-- share one encoding (codec); NULL is the zero time. Durations are BIGINT
-- nanoseconds.
CREATE TABLE rooms (
	id                TEXT    NOT NULL PRIMARY KEY,
	name              TEXT    NOT NULL,
	theme             TEXT    NOT NULL,
	visibility        TEXT    NOT NULL,
	locked            BOOLEAN NOT NULL,
	capacity          BIGINT  NOT NULL,
	state             TEXT    NOT NULL,
	starts_at         BIGINT,
	time_zone         TEXT    NOT NULL,
	duration_ns       BIGINT  NOT NULL,
	host_key_hash     BYTEA,
	created_at        BIGINT,
	updated_at        BIGINT,
	ended_at          BIGINT,
	remind_ns         BIGINT  NOT NULL DEFAULT 0,
	max_screen_shares BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX rooms_visibility_state_starts_at ON rooms (visibility, state, starts_at);
CREATE INDEX rooms_ended_at ON rooms (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX rooms_ends_at ON rooms ((starts_at + duration_ns)) WHERE duration_ns > 0;

CREATE TABLE bans (
	room_id    TEXT   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	public_key TEXT   NOT NULL,
	name       TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (room_id, public_key)
);

CREATE TABLE members (
	room_id         TEXT   NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	public_key      TEXT   NOT NULL,
	first_joined_at BIGINT NOT NULL,
	PRIMARY KEY (room_id, public_key)
);

CREATE TABLE handles (
	handle     TEXT   NOT NULL PRIMARY KEY,
	public_key TEXT   NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

CREATE TABLE invites (
	room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	kind    TEXT NOT NULL,
	address TEXT NOT NULL,
	PRIMARY KEY (room_id, kind, address)
);

CREATE TABLE outbox (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id        TEXT   NOT NULL,
	room_id         TEXT   NOT NULL,
	channel         TEXT   NOT NULL,
	recipient       TEXT   NOT NULL,
	type            TEXT   NOT NULL,
	payload         TEXT   NOT NULL,
	state           TEXT   NOT NULL,
	attempts        BIGINT NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	lease_owner     TEXT,
	lease_until     BIGINT,
	last_error      TEXT   NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	delivered_at    BIGINT,
	UNIQUE (event_id, channel, recipient)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_room ON outbox (room_id);
CREATE INDEX outbox_state_created ON outbox (state, created_at);

CREATE TABLE inbox (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	handle     TEXT   NOT NULL,
	outbox_id  BIGINT NOT NULL UNIQUE,
	payload    TEXT   NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX inbox_handle ON inbox (handle, id);
CREATE INDEX inbox_created ON inbox (created_at);

CREATE TABLE room_webhooks (
	room_id TEXT  NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
	url     TEXT  NOT NULL,
	secret  BYTEA NOT NULL,
	PRIMARY KEY (room_id, url)
);

CREATE TABLE nonces (
	public_key TEXT   NOT NULL,
	nonce      TEXT   NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (public_key, nonce)
);
CREATE INDEX nonces_expires ON nonces (expires_at);
