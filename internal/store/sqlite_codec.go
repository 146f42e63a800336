package store

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
)

// roomColumns is the column order shared by roomArgs and scanRoom.
const roomColumns = `id, name, theme, visibility, locked, capacity, state, starts_at,
	time_zone, duration_ns, host_key_hash, created_at, updated_at, ended_at, remind_ns,
	max_screen_shares`

// Unix nanoseconds in an int64 span 1677-09-21 to 2262-04-11; a time
// outside is refused rather than silently wrapped.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// normalize puts r in the form a read returns, so that what CreateRoom and
// UpdateRoom hand back compares equal to a later GetRoom.
func normalize(r room.Room) room.Room {
	r.StartsAt = normalTime(r.StartsAt)
	r.CreatedAt = normalTime(r.CreatedAt)
	r.UpdatedAt = normalTime(r.UpdatedAt)
	r.EndedAt = normalTime(r.EndedAt)
	if len(r.HostKeyHash) == 0 {
		r.HostKeyHash = nil
	}
	return r
}

func normalTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// roomArgs returns r's fields in roomColumns order.
func roomArgs(r room.Room) ([]any, error) {
	var times [4]any
	for i, t := range []struct {
		name string
		t    time.Time
	}{{"StartsAt", r.StartsAt}, {"CreatedAt", r.CreatedAt}, {"UpdatedAt", r.UpdatedAt}, {"EndedAt", r.EndedAt}} {
		v, err := encodeTime(t.t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		times[i] = v
	}
	var hash any // NULL for nil and empty alike
	if len(r.HostKeyHash) > 0 {
		hash = r.HostKeyHash
	}
	return []any{
		r.ID, r.Name, r.Theme, string(r.Visibility), r.Locked, int64(r.Capacity), string(r.State), times[0],
		r.TimeZone, int64(r.Duration), hash, times[1], times[2], times[3], int64(r.Remind),
		int64(r.MaxScreenShares),
	}, nil
}

// encodeTime stores the zero time as NULL so it reads back as zero, not as
// 1970 or an overflowed UnixNano.
func encodeTime(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("time %s out of range %d-%d", t.UTC().Format(time.RFC3339), minTime.Year()+1, maxTime.Year()-1)
	}
	return t.UnixNano(), nil
}

func decodeTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

type scanner interface {
	Scan(dest ...any) error
}

// scanRoom reads one row selected with roomColumns.
func scanRoom(s scanner) (room.Room, error) {
	var (
		r                                   room.Room
		visibility, state                   string
		capacity, duration, remind          int64
		maxScreenShares                     int64
		startsAt, createdAt, updated, ended sql.NullInt64
	)
	err := s.Scan(&r.ID, &r.Name, &r.Theme, &visibility, &r.Locked, &capacity, &state, &startsAt,
		&r.TimeZone, &duration, &r.HostKeyHash, &createdAt, &updated, &ended, &remind,
		&maxScreenShares)
	if err != nil {
		return room.Room{}, err
	}
	r.Visibility = room.Visibility(visibility)
	r.State = room.State(state)
	r.Capacity = int(capacity)
	r.MaxScreenShares = int(maxScreenShares)
	r.Duration = time.Duration(duration)
	r.Remind = time.Duration(remind)
	r.StartsAt = decodeTime(startsAt)
	r.CreatedAt = decodeTime(createdAt)
	r.UpdatedAt = decodeTime(updated)
	r.EndedAt = decodeTime(ended)
	if len(r.HostKeyHash) == 0 {
		r.HostKeyHash = nil
	}
	return r, nil
}
