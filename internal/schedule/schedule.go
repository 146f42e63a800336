// Package schedule opens booked rooms at their time and turns room events
// (invited, reminder, open, rescheduled, cancelled) into notifications in
// the store's outbox, once per event and recipient, whatever restarts
// happen in between. Package notify delivers them.
package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Notification types.
const (
	Invited     = "invited"
	Reminder    = "reminder"
	RoomOpen    = "room_open"
	Rescheduled = "rescheduled"
	Cancelled   = "cancelled"
)

// Config is what the scheduler needs.
type Config struct {
	Store store.Store
	Log   *slog.Logger
	// Now is the clock; nil means time.Now. Tests pass a fake one and
	// call Step.
	Now func() time.Time
	// ToAPI renders a room for notifications.
	ToAPI func(room.Room) api.Room
	// ServerWebhooks are told about every room's events.
	ServerWebhooks []string
	// Wake tells the deliverer there is work; nil is fine.
	Wake func()
	// Every is how often Run looks for due rooms; 0 means a second.
	Every time.Duration
	// EndingSoon warns a live call that its room's time runs out soon;
	// nil is fine.
	EndingSoon func(roomID string, endsAt time.Time)
}

// Scheduler opens booked rooms and enqueues their notifications.
type Scheduler struct {
	cfg Config
	// hooks is cfg.ServerWebhooks, replaced by SetServerWebhooks.
	hooks atomic.Pointer[[]string]
	// reminded remembers reminders enqueued since start, so the steps
	// inside a reminder window do not write them again (the outbox would
	// drop the copy anyway; this saves the write).
	mu       sync.Mutex
	reminded map[string]bool
}

// New makes a scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Every == 0 {
		cfg.Every = time.Second
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.EndingSoon == nil {
		cfg.EndingSoon = func(string, time.Time) {}
	}
	s := &Scheduler{cfg: cfg, reminded: map[string]bool{}}
	s.SetServerWebhooks(cfg.ServerWebhooks)
	return s
}

// SetServerWebhooks replaces the URLs told about every room's events
// (roomsd's reload); events from then on go to the new list.
func (s *Scheduler) SetServerWebhooks(urls []string) {
	urls = append([]string(nil), urls...)
	s.hooks.Store(&urls)
}

// Run steps until ctx ends. The first step runs at once, so rooms that
// came due while roomsd was down open on start; after that it wakes at
// the next due moment, and at least every cfg.Every.
func (s *Scheduler) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := s.cfg.Now()
		if err := s.Step(ctx, now); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("schedule step", "err", err)
		}
		timer.Reset(s.nextWake(ctx, now))
	}
}

// nextWake is how long until the next room opens or is reminded of,
// capped at cfg.Every (rooms booked meanwhile are seen by then).
func (s *Scheduler) nextWake(ctx context.Context, now time.Time) time.Duration {
	wait := s.cfg.Every
	rooms, err := s.cfg.Store.ListRooms(ctx, store.ListFilter{States: []room.State{room.Scheduled}, StartsBefore: now.Add(maxRemind), Limit: 100})
	if err != nil {
		return wait
	}
	for _, r := range rooms {
		for _, at := range []time.Time{r.StartsAt, remindAt(r)} {
			if d := at.Sub(now); d > 0 && d < wait {
				wait = d
			}
		}
	}
	return wait
}

// maxRemind bounds how far ahead of a room a reminder may go out.
const maxRemind = 7 * 24 * time.Hour

// minLead is the least time between booking and opening that still gets
// a reminder: below it the invitation is reminder enough.
const minLead = 20 * time.Second

// remindAt is when a booked room's invitees are reminded: Remind before
// it opens, or, for a room booked closer than that, halfway between the
// booking and the opening; the zero time for none.
func remindAt(r room.Room) time.Time {
	lead := r.StartsAt.Sub(r.CreatedAt)
	if r.Remind <= 0 || lead < minLead {
		return time.Time{}
	}
	if lead <= r.Remind {
		return r.CreatedAt.Add(lead / 2)
	}
	return r.StartsAt.Add(-r.Remind)
}

// EndingWarning is how long before a room's duration runs out the
// people in it and its invitees are warned.
const EndingWarning = 5 * time.Minute

// EndingSoon is the notification type of that warning.
const EndingSoon = "ending_soon"

// Step opens due rooms and enqueues due reminders at now.
func (s *Scheduler) Step(ctx context.Context, now time.Time) error {
	rooms, err := s.cfg.Store.ListRooms(ctx, store.ListFilter{States: []room.State{room.Scheduled}, StartsBefore: now.Add(maxRemind), Limit: 1000})
	if err != nil {
		return fmt.Errorf("find booked rooms: %w", err)
	}
	if err := s.warnEnding(ctx, now); err != nil {
		return err
	}
	for _, r := range rooms {
		switch {
		case !now.Before(r.StartsAt):
			if err := s.open(ctx, r, now); err != nil {
				return err
			}
		case r.Remind > 0 && remindAt(r) != (time.Time{}) && !now.Before(remindAt(r)):
			key := r.ID + ":" + strconv.FormatInt(r.StartsAt.Unix(), 10)
			s.mu.Lock()
			done := s.reminded[key]
			s.mu.Unlock()
			if done {
				continue
			}
			if err := s.Notify(ctx, r, Reminder, nil); err != nil {
				return err
			}
			s.mu.Lock()
			if len(s.reminded) > 10000 {
				clear(s.reminded) // bounded; a repeat is only a skipped duplicate
			}
			s.reminded[key] = true
			s.mu.Unlock()
		}
	}
	return nil
}

// open marks a due room open and queues its room_open notifications in
// the same transaction, so a crash cannot leave it open with nobody told.
func (s *Scheduler) open(ctx context.Context, r room.Room, now time.Time) error {
	opened := false
	_, err := s.cfg.Store.UpdateRoomWith(ctx, r.ID, func(cur *room.Room, rc store.Recipients) ([]store.OutboxItem, error) {
		if cur.State != room.Scheduled || now.Before(cur.StartsAt) {
			return nil, nil
		}
		cur.State = room.Open
		opened = true
		return s.Rows(*cur, RoomOpen, nil, rc)
	})
	if err != nil {
		return fmt.Errorf("open room %s: %w", room.LogID(r.ID), err)
	}
	if !opened {
		return nil
	}
	s.cfg.Log.Info("room opened", "room", room.LogID(r.ID), "late", now.Sub(r.StartsAt).Round(time.Millisecond))
	s.Wake()
	return nil
}

// Notify enqueues a notification of type typ about r for every recipient,
// for events that change no room (a reminder, the end coming). An event
// that changes the room is written with it: Rows, and the store's
// CreateRoomWith or UpdateRoomWith.
func (s *Scheduler) Notify(ctx context.Context, r room.Room, typ string, oldAt *time.Time) error {
	var rc store.Recipients
	var err error
	if rc.Invites, err = s.cfg.Store.Invites(ctx, r.ID); err != nil {
		return err
	}
	if rc.Webhooks, err = s.cfg.Store.RoomWebhooks(ctx, r.ID); err != nil {
		return err
	}
	items, err := s.Rows(r, typ, oldAt, rc)
	if err != nil || len(items) == 0 {
		return err
	}
	added, err := s.cfg.Store.Enqueue(ctx, items)
	if err != nil {
		return fmt.Errorf("enqueue %s for room %s: %w", typ, room.LogID(r.ID), err)
	}
	if added > 0 {
		s.Wake()
	}
	return nil
}

// Wake tells the deliverer that rows were written.
func (s *Scheduler) Wake() { s.cfg.Wake() }

// Rows are the outbox rows of one event of type typ about r: one per
// recipient (invited handles' inboxes, email invitees, the room's webhooks
// in rc, the server's webhooks), all under one event id of room, type and
// booked time, so a repeat is a no-op. Plain values, no I/O: the caller
// writes them in the transaction that changes the room.
func (s *Scheduler) Rows(r room.Room, typ string, oldAt *time.Time, rc store.Recipients) ([]store.OutboxItem, error) {
	ar := s.cfg.ToAPI(r)
	n := api.Notification{Type: typ, Room: ar, Link: ar.Link, At: r.StartsAt.UTC()}
	if oldAt != nil {
		t := oldAt.UTC()
		n.OldAt = &t
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode %s for room %s: %w", typ, room.LogID(r.ID), err)
	}
	event := r.ID + ":" + typ + ":" + strconv.FormatInt(r.StartsAt.Unix(), 10)
	var items []store.OutboxItem
	add := func(channel, recipient string) {
		items = append(items, store.OutboxItem{EventID: event, RoomID: r.ID, Channel: channel, Recipient: recipient, Type: typ, Payload: payload})
	}
	for _, iv := range rc.Invites {
		if iv.Kind == "handle" {
			add("inbox", iv.Address)
		} else {
			add("email", iv.Address)
		}
	}
	for _, h := range rc.Webhooks {
		add("webhook", h.URL)
	}
	for _, u := range *s.hooks.Load() {
		add("webhook", u)
	}
	return items, nil
}

// warnEnding warns open rooms whose duration runs out within
// EndingWarning, once each: the live call and the invitees.
func (s *Scheduler) warnEnding(ctx context.Context, now time.Time) error {
	open, err := s.cfg.Store.ListRooms(ctx, store.ListFilter{States: []room.State{room.Open}, LiveAt: now, StartsBefore: now, Limit: 1000})
	if err != nil {
		return fmt.Errorf("find open rooms: %w", err)
	}
	for _, r := range open {
		end := r.EndsAt()
		if end.IsZero() || now.Before(end.Add(-EndingWarning)) || !now.Before(end) {
			continue
		}
		key := r.ID + ":ending:" + strconv.FormatInt(end.Unix(), 10)
		s.mu.Lock()
		done := s.reminded[key]
		s.reminded[key] = true
		s.mu.Unlock()
		if done {
			continue
		}
		s.cfg.EndingSoon(r.ID, end)
		if err := s.Notify(ctx, r, EndingSoon, nil); err != nil {
			// Not written: try again at the next step.
			s.mu.Lock()
			delete(s.reminded, key)
			s.mu.Unlock()
			return err
		}
	}
	return nil
}
