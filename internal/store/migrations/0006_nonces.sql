-- Nonces of signed requests (Rooms-Auth) seen recently: a signature is good
-- once. A row is kept until its signature could no longer pass the time
-- check anyway, then deleted.
CREATE TABLE nonces (
	public_key TEXT    NOT NULL,
	nonce      TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (public_key, nonce)
) STRICT;
CREATE INDEX nonces_expires ON nonces (expires_at);
