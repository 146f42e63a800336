package signal

import (
	"context"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/pkg/api"
)

type readResult struct {
	m   api.Message
	err error
}

// joinKnocking joins as a knocker may: while it waits for the host, the
// connection is read, and anything the knocker sends (a leave, or the
// connection closing) withdraws the knock. It returns the session and
// how to read the connection from then on (the read already started).
func (h *Handler) joinKnocking(ctx context.Context, c *conn, roomID string, j call.Joiner) (*call.Session, func(context.Context) (api.Message, error), error) {
	first := make(chan readResult, 1)
	h.conns.Add(1)
	go func() {
		defer h.conns.Done()
		m, err := c.read(ctx) // ends when ServeHTTP cancels ctx or the connection closes
		first <- readResult{m, err}
	}()
	kctx, withdraw := context.WithCancel(ctx)
	defer withdraw()
	type joined struct {
		s   *call.Session
		err error
	}
	done := make(chan joined, 1)
	h.conns.Add(1)
	go func() {
		defer h.conns.Done()
		s, err := h.Hub.Join(kctx, roomID, j, c)
		done <- joined{s, err}
	}()
	pending := first
	var r joined
	select {
	case r = <-done:
	case fr := <-first:
		withdraw()
		r = <-done
		pending = make(chan readResult, 1)
		pending <- fr
	}
	read := func(ctx context.Context) (api.Message, error) {
		if pending != nil {
			fr := <-pending
			pending = nil
			return fr.m, fr.err
		}
		return c.read(ctx)
	}
	return r.s, read, r.err
}
