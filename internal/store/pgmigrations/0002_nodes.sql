-- Several roomsd on one database (store.Cluster): the nodes that are up,
-- where each live call runs, and the secret nodes sign their calls to
-- each other with. Times here are PostgreSQL's own clock (timestamptz,
-- now()), so nodes whose clocks disagree still agree on what is stale.
CREATE TABLE cluster_nodes (
	id           TEXT        NOT NULL PRIMARY KEY,
	url          TEXT        NOT NULL,
	media        TEXT        NOT NULL,
	participants BIGINT      NOT NULL DEFAULT 0,
	calls        BIGINT      NOT NULL DEFAULT 0,
	draining     BOOLEAN     NOT NULL DEFAULT FALSE,
	started_at   TIMESTAMPTZ NOT NULL,
	seen_at      TIMESTAMPTZ NOT NULL
);

-- A call's lease: the node it runs on, until expires_at unless renewed.
-- No foreign key to rooms: a lease outlives nothing (it expires), and a
-- pruned room must not wait for one.
CREATE TABLE call_leases (
	room_id      TEXT        NOT NULL PRIMARY KEY,
	node_id      TEXT        NOT NULL,
	participants BIGINT      NOT NULL DEFAULT 0,
	placed_at    TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX call_leases_node ON call_leases (node_id);

-- One row: the key nodes sign node-to-node requests with, made by the
-- first node that needs it (as secret as the database itself).
CREATE TABLE cluster_secret (
	id     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	secret BYTEA   NOT NULL
);
