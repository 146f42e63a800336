package signal_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	wire "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// lockedRoom makes a locked room on e's server and returns its id, host
// key and a client.
func lockedRoom(t *testing.T, e *env) (string, string, *client.Client) {
	t.Helper()
	ctx := context.Background()
	c, err := client.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateRoom(ctx, wire.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, wire.UpdateRoomRequest{Locked: &yes}); err != nil {
		t.Fatal(err)
	}
	return r.ID, r.HostKey, c
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// nextEvent returns the next event of type E (the deadline guards a hang).
func nextEvent[E client.Event](t *testing.T, call *client.Call) E {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-call.Events():
			if !ok {
				t.Fatalf("the call ended before a %T", *new(E))
			}
			if e, ok := ev.(E); ok {
				return e
			}
		case <-deadline:
			t.Fatalf("no %T event", *new(E))
		}
	}
}

type joinOutcome struct {
	call *client.Call
	err  error
}

// knockJoin joins with Knock in the background and waits until it knocks.
func knockJoin(t *testing.T, ctx context.Context, c *client.Client, roomID, name string) <-chan joinOutcome {
	t.Helper()
	knocking := make(chan wire.Knocking, 1)
	done := make(chan joinOutcome, 1)
	go func() {
		call, err := c.Join(ctx, roomID, client.JoinOptions{Name: name, Key: newKey(t), Knock: true, MaxReconnects: -1,
			OnKnocking: func(k wire.Knocking) { knocking <- k }})
		done <- joinOutcome{call, err}
	}()
	select {
	case <-knocking:
	case r := <-done:
		t.Fatalf("join with knock returned before knocking: %v", r.err)
	case <-time.After(15 * time.Second):
		t.Fatal("no knocking answer")
	}
	return done
}

func TestKnockAdmittedByHostInTheCall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	roomID, hostKey, c := lockedRoom(t, e)
	host, err := c.Join(ctx, roomID, client.JoinOptions{Name: "host", Key: newKey(t), HostKey: hostKey})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()

	// Without knocking, a newcomer is refused as before.
	_, err = c.Join(ctx, roomID, client.JoinOptions{Name: "plain", Key: newKey(t)})
	var se *wire.SignalError
	if !errors.As(err, &se) || se.Code != wire.CodeRoomLocked {
		t.Fatalf("a plain join of a locked room: %v, want room_locked", err)
	}

	done := knockJoin(t, ctx, c, roomID, "ann")
	k := nextEvent[client.Knock](t, host)
	if k.Name != "ann" {
		t.Fatalf("host saw a knock from %q", k.Name)
	}
	listed, err := c.Knocks(ctx, roomID, hostKey)
	if err != nil || len(listed) != 1 || listed[0].ID != k.ID {
		t.Fatalf("GET knocks = %+v, %v", listed, err)
	}
	if _, err := c.Knocks(ctx, roomID, "rhk_wrong"); err == nil {
		t.Fatal("knocks listed with a wrong host key")
	}
	if err := host.Admit(k.ID); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("admitted: %v", r.err)
	}
	defer r.call.Close()
	// knock_ended and participant_joined come in either order.
	var ended *client.KnockEnded
	var joined *client.ParticipantJoined
	deadline := time.After(15 * time.Second)
	for ended == nil || joined == nil {
		select {
		case ev, ok := <-host.Events():
			if !ok {
				t.Fatal("the host's call ended before ann was in")
			}
			switch e := ev.(type) {
			case client.KnockEnded:
				ended = &e
			case client.ParticipantJoined:
				joined = &e
			}
		case <-deadline:
			t.Fatalf("the host saw knock_ended %+v and participant_joined %+v; want both", ended, joined)
		}
	}
	if ended.ID != k.ID || ended.Reason != wire.KnockAdmitted {
		t.Fatalf("knock_ended %+v", *ended)
	}
	if joined.Name != "ann" {
		t.Fatalf("host saw %q join", joined.Name)
	}
}

func TestKnockDeclinedFromREST(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	roomID, hostKey, c := lockedRoom(t, e)
	done := knockJoin(t, ctx, c, roomID, "bo")
	if _, err := c.AnswerKnock(ctx, roomID, hostKey, "nobody", false); err == nil {
		t.Fatal("declined a knock nobody made")
	}
	k, err := c.AnswerKnock(ctx, roomID, hostKey, "bo", false)
	if err != nil || k.Name != "bo" {
		t.Fatalf("deny bo: %+v, %v", k, err)
	}
	r := <-done
	var se *wire.SignalError
	if !errors.As(r.err, &se) || se.Code != wire.CodeKnockDeclined {
		t.Fatalf("declined knocker: %v, want knock_declined", r.err)
	}
}

// A knocker whose connection closes leaves the host's list at once, not
// when its knock would have timed out.
func TestKnockerWhoHangsUpLeavesTheList(t *testing.T) {
	e := newEnv(t)
	roomID, hostKey, c := lockedRoom(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	done := knockJoin(t, ctx, c, roomID, "cy")
	cancel()
	if r := <-done; r.err == nil {
		r.call.Close()
		t.Fatal("a cancelled knock joined")
	}
	for len(e.hub.Knocks(roomID)) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if listed, err := c.Knocks(context.Background(), roomID, hostKey); err != nil || len(listed) != 0 {
		t.Fatalf("GET knocks after the knocker hung up = %+v, %v", listed, err)
	}
}

// Knocks are limited per client address, taken from the connection: a
// fourth knock from one address is refused, one from another goes on.
func TestKnocksLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	roomID, _, c := lockedRoom(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	var waiting []<-chan joinOutcome
	defer func() {
		cancel()
		for _, d := range waiting {
			<-d
		}
	}()
	for i := range wire.KnockBurst {
		waiting = append(waiting, knockJoin(t, ctx, c, roomID, fmt.Sprintf("fresh%d", i)))
	}
	_, err := c.Join(ctx, roomID, client.JoinOptions{Name: "one more", Key: newKey(t), Knock: true, MaxReconnects: -1})
	var se *wire.SignalError
	if !errors.As(err, &se) || se.Code != wire.CodeRateLimited {
		t.Fatalf("knock %d from one address: %v, want rate_limited", wire.KnockBurst+1, err)
	}
	// From 127.0.0.2, another address on the loopback network.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	knocking := make(chan struct{}, 1)
	done := make(chan joinOutcome, 1)
	go func() {
		call, err := c.Join(ctx, roomID, client.JoinOptions{Name: "elsewhere", Key: newKey(t), Knock: true, MaxReconnects: -1, HTTPClient: other,
			OnKnocking: func(wire.Knocking) { knocking <- struct{}{} }})
		done <- joinOutcome{call, err}
	}()
	select {
	case <-knocking:
		waiting = append(waiting, done)
	case r := <-done:
		t.Fatalf("a knock from another address: %v", r.err)
	}
}
