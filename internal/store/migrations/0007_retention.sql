-- Pruning (roomsd --retain) finds what is older than the retention by
-- these: rooms that ended, rooms whose duration ran out, delivered and
-- dead outbox rows, inbox rows.
CREATE INDEX rooms_ended_at ON rooms (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX rooms_ends_at ON rooms (starts_at + duration_ns) WHERE duration_ns > 0;
CREATE INDEX outbox_state_created ON outbox (state, created_at);
CREATE INDEX inbox_created ON inbox (created_at);
