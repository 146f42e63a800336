// Package notify delivers what the scheduler puts in the outbox: to
// handles' inboxes (streamed live), to signed webhooks with retries, and
// to email when roomsd has a mail server; and renders calendar files.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// DelivererConfig is what a deliverer needs.
type DelivererConfig struct {
	Store store.Store
	Log   *slog.Logger
	Now   func() time.Time
	// Owner names this process in outbox leases, unique per roomsd.
	Owner  string
	Sender *WebhookSender
	// Mailer sends email; nil means email invitees are not told.
	Mailer *Mailer
	// ServerWebhooks are the server's own webhooks and their secret.
	ServerWebhooks []Webhook
	Broker         *Broker
	// Poll is how often the outbox is checked without a wake-up; 0: 1 s.
	Poll time.Duration
	// Parallel bounds deliveries in flight, so a hanging endpoint holds
	// one slot, not the queue; 0: 8.
	Parallel int
}

// Deliverer drains the outbox.
type Deliverer struct {
	cfg  DelivererConfig
	wake chan struct{}
	sem  chan struct{}
	wg   sync.WaitGroup

	// hooks is cfg.ServerWebhooks, replaced by SetServerWebhooks.
	hooks atomic.Pointer[[]Webhook]
}

// Lease is how long a claimed delivery is this process's; longer than a
// webhook attempt, so a live deliverer never loses its claim.
const Lease = time.Minute

// NewDeliverer makes a deliverer.
func NewDeliverer(cfg DelivererConfig) *Deliverer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	if cfg.Parallel == 0 {
		cfg.Parallel = 8
	}
	if cfg.Broker == nil {
		cfg.Broker = NewBroker()
	}
	d := &Deliverer{cfg: cfg, wake: make(chan struct{}, 1), sem: make(chan struct{}, cfg.Parallel)}
	d.SetServerWebhooks(cfg.ServerWebhooks)
	return d
}

// SetServerWebhooks replaces the server's webhooks and their secret while
// the deliverer runs (roomsd's reload): the next attempt of every delivery
// is signed with the new secret; deliveries to a URL no longer listed
// fail as no longer configured.
func (d *Deliverer) SetServerWebhooks(hooks []Webhook) {
	hooks = append([]Webhook(nil), hooks...)
	d.hooks.Store(&hooks)
}

// Wake makes the deliverer look at the outbox now.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for deliveries in flight.
func (d *Deliverer) Run(ctx context.Context) {
	defer d.wg.Wait()
	tick := time.NewTicker(d.cfg.Poll)
	defer tick.Stop()
	for {
		if _, err := d.Step(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Log.Warn("deliver", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-d.wake:
		}
	}
}

// Step claims what is due and starts delivering it; it says how many.
func (d *Deliverer) Step(ctx context.Context) (int, error) {
	free := cap(d.sem) - len(d.sem)
	if free == 0 {
		return 0, nil
	}
	items, err := d.cfg.Store.Claim(ctx, d.cfg.Owner, d.cfg.Now(), Lease, free)
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		d.sem <- struct{}{}
		d.wg.Add(1)
		go func() {
			defer func() { <-d.sem; d.wg.Done() }()
			d.deliver(ctx, it)
		}()
	}
	return len(items), nil
}

// Wait waits for deliveries in flight (tests call Step then Wait).
func (d *Deliverer) Wait() { d.wg.Wait() }

func (d *Deliverer) deliver(ctx context.Context, it store.OutboxItem) {
	// Outcomes are recorded even as the server stops, so a finished
	// delivery is not left to its lease running out.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var err error
	switch it.Channel {
	case "inbox":
		// The store appends to the inbox as it marks the item delivered.
		if err = d.cfg.Store.Delivered(rec, it.ID, d.cfg.Owner, d.cfg.Now()); err == nil {
			d.cfg.Broker.Publish(it.Recipient)
			return
		}
		d.cfg.Log.Warn("inbox delivery", "id", it.ID, "err", err)
		return
	case "webhook":
		err = d.webhook(ctx, it)
	case "email":
		err = d.email(ctx, it)
	default:
		err = errors.New("unknown channel " + it.Channel)
	}
	now := d.cfg.Now()
	if err == nil {
		if err := d.cfg.Store.Delivered(rec, it.ID, d.cfg.Owner, now); err != nil {
			d.cfg.Log.Warn("record delivery", "id", it.ID, "err", err)
		}
		return
	}
	var de *DeliveryError
	var me *MailError
	retry := (errors.As(err, &de) && de.Retryable) || (errors.As(err, &me) && me.Retryable)
	attempt := it.Attempts + 1
	dead := !retry || attempt >= MaxAttempts
	reason := err.Error()
	if err := d.cfg.Store.Failed(rec, it.ID, d.cfg.Owner, now.Add(RetryWait(attempt, err)), dead, reason); err != nil {
		d.cfg.Log.Warn("record failed delivery", "id", it.ID, "err", err)
	}
	d.cfg.Log.Info("delivery failed", "room", room.LogID(it.RoomID), "channel", it.Channel, "attempt", attempt, "dead", dead, "reason", reason)
}

// email sends one notification email, with a calendar file for events a
// calendar cares about.
func (d *Deliverer) email(ctx context.Context, it store.OutboxItem) error {
	if d.cfg.Mailer == nil {
		return errors.New("not delivered: no mail server configured (roomsd --smtp-url)")
	}
	subject, body, ics, err := emailFor(it.Payload, d.cfg.Mailer.from, it.Recipient, it.CreatedAt, d.cfg.Now())
	if err != nil {
		return fmt.Errorf("compose the email: %w", err)
	}
	return d.cfg.Mailer.Send(ctx, it.Recipient, subject, body, ics)
}

// webhook sends one webhook delivery, signed with the room's or the
// server's secret.
func (d *Deliverer) webhook(ctx context.Context, it store.OutboxItem) error {
	hook := Webhook{URL: it.Recipient}
	for _, w := range *d.hooks.Load() {
		if w.URL == it.Recipient {
			hook.Secret = w.Secret
		}
	}
	if hook.Secret == nil {
		hooks, err := d.cfg.Store.RoomWebhooks(ctx, it.RoomID)
		if err != nil {
			return &DeliveryError{Retryable: true, Reason: fmt.Sprintf("read the room's webhooks: %v", err)}
		}
		for _, w := range hooks {
			if w.URL == it.Recipient {
				hook.Secret = w.Secret
			}
		}
	}
	if hook.Secret == nil {
		return &DeliveryError{Reason: "the webhook is no longer configured"}
	}
	// The message id is stable across retries, so receivers can dedupe.
	return d.cfg.Sender.Send(ctx, hook, "msg_"+strconv.FormatInt(it.ID, 10), it.Payload)
}
