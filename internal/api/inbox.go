package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// inboxPage bounds one read of an inbox.
const inboxPage = 200

// afterID is where a reader resumes: ?after=N or the SSE Last-Event-ID.
func afterID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if q := r.URL.Query().Get("after"); q != "" {
		v = q
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, problem(apitypes.CodeInvalidArgument, "after must be a notification id")
	}
	return n, nil
}

func toNotification(it store.InboxItem) (apitypes.Notification, error) {
	var n apitypes.Notification
	if err := json.Unmarshal(it.Payload, &n); err != nil {
		return n, fmt.Errorf("read inbox item %d: %w", it.ID, err)
	}
	n.ID = it.ID
	return n, nil
}

// inbox lists the caller's notifications after an id.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	c, err := s.withHandle(r)
	if err != nil {
		return err
	}
	after, err := afterID(r)
	if err != nil {
		return err
	}
	items, err := s.cfg.Store.Inbox(r.Context(), c.handle, after, inboxPage)
	if err != nil {
		return err
	}
	out := apitypes.NotificationList{Notifications: []apitypes.Notification{}}
	for _, it := range items {
		n, err := toNotification(it)
		if err != nil {
			return err
		}
		out.Notifications = append(out.Notifications, n)
	}
	return writeJSON(w, http.StatusOK, out)
}

// heartbeat keeps proxies from closing a quiet stream.
const heartbeat = 15 * time.Second

// inboxStream streams the caller's notifications as server-sent events:
// first what came after the last id the client saw, then each new one as
// it lands. Resuming with Last-Event-ID loses nothing and repeats nothing.
func (s *Server) inboxStream(w http.ResponseWriter, r *http.Request) error {
	c, err := s.withHandle(r)
	if err != nil {
		return err
	}
	after, err := afterID(r)
	if err != nil {
		return err
	}
	if s.cfg.Broker == nil {
		return problem(apitypes.CodeUnavailable, "this server does not stream notifications")
	}
	wake, stop := s.cfg.Broker.Subscribe(c.handle)
	defer stop()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	// The stream ends when its signature could no longer pass: a key
	// whose handle was released or taken since must sign again (the
	// client resumes from its last id, nothing lost).
	expire := time.NewTimer(c.signedAt.Add(apitypes.AuthWindow).Sub(s.now()))
	defer expire.Stop()
	for {
		items, err := s.cfg.Store.Inbox(r.Context(), c.handle, after, inboxPage)
		if err != nil {
			return nil // the response has started; the client reconnects
		}
		for _, it := range items {
			n, err := toNotification(it)
			if err != nil {
				continue
			}
			b, _ := json.Marshal(n)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", it.ID, n.Type, b); err != nil {
				return nil
			}
			after = it.ID
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		if len(items) == inboxPage {
			continue // more waiting
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing:
			return nil
		case <-expire.C:
			return nil
		case <-wake:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return nil
			}
		}
	}
}

// deliveries lists a room's notifications and their state, for its host.
func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.lookup(r)
	if err != nil {
		return err
	}
	if !rm.IsHost(r.Header.Get(apitypes.HeaderHostKey)) {
		return problem(apitypes.CodeForbidden, "only the room's host may see its deliveries; run this where the room was created, or pass --host-key")
	}
	items, err := s.cfg.Store.Deliveries(r.Context(), rm.ID, 500)
	if err != nil {
		return err
	}
	out := apitypes.DeliveryList{Deliveries: []apitypes.Delivery{}}
	for _, it := range items {
		d := apitypes.Delivery{ID: it.ID, Type: it.Type, Channel: it.Channel, Recipient: it.Recipient, State: it.State, Attempts: it.Attempts, LastError: it.LastError}
		if it.Channel == "webhook" && slices.Contains(s.serverWebhooks(), it.Recipient) {
			// The operator's endpoints are not the room host's to see.
			d.Recipient, d.LastError = "(the server's webhook)", ""
		}
		if it.State == store.OutboxPending {
			t := it.NextAttemptAt
			d.NextTry = &t
		}
		if !it.DeliveredAt.IsZero() {
			t := it.DeliveredAt
			d.Delivered = &t
		}
		out.Deliveries = append(out.Deliveries, d)
	}
	return writeJSON(w, http.StatusOK, out)
}
