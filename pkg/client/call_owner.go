package client

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/negotiate"
)

// callState is what run owns. Nobody else touches it while run runs.
type callState struct {
	// conn is the signalling connection; nil while reconnecting.
	conn *conn
	// pub and sub are the connections of the last session; they stay
	// (and pion's tracks on them play on) until the next one is joined.
	pub, sub       *webrtc.PeerConnection
	pubNeg, subNeg *negotiate.Negotiator
	me             api.Participant
	tracks         map[string]api.Track // remote tracks by id
	// trickled are the server's candidates for pub and sub sent after
	// their descriptions, to say what was tried if media fails.
	trickled map[api.PeerConnection][]string
	// mediaFailed is set once this session's media failed: the other
	// connection failing too is the same news.
	mediaFailed bool
	// local is what this client publishes: JoinOptions.Tracks, then
	// Publish and Unpublish; senders are their places on pub.
	local   []LocalTrack
	senders map[string]*webrtc.RTPSender
	// view is the last view sent, sent again after a reconnect.
	view api.View
	// queue holds events while the channel is full; the reader's
	// messages wait meanwhile, as they did when emitting blocked.
	queue []Event
	// A reconnect: the attempt under way, why, and the wait before it.
	attempt int
	cause   error
	retry   *time.Timer
	final   error
	// ice is the session's ICE record and the interruption under way
	// (call_restart.go).
	ice restartState
}

// run owns the call until it ends: it serves requests, handles what the
// reader reads, emits events, and reconnects after drops.
func (call *Call) run() {
	defer call.teardown()
	s := &call.s
	for {
		var out chan<- Event
		var head Event
		inbox := call.inbox
		if len(s.queue) > 0 {
			out, head, inbox = call.events, s.queue[0], nil
		}
		var retry <-chan time.Time
		if s.retry != nil {
			retry = s.retry.C
		}
		select {
		case out <- head:
			s.queue[0] = nil
			s.queue = s.queue[1:]
		case in := <-inbox:
			call.receive(in)
		case f := <-call.reqs:
			f()
		case <-retry:
			s.retry = nil
			call.redial()
		case d := <-call.dialed:
			call.dialDone(d)
		case <-call.ctx.Done():
			return
		}
	}
}

// do runs f in run's goroutine and waits for it; false, without running
// it, once the call is over. f must not wait on the call.
func (call *Call) do(f func()) bool {
	done := make(chan struct{})
	select {
	case call.reqs <- func() { defer close(done); f() }:
		<-done
		return true
	case <-call.over:
		return false
	}
}

// look runs f, which only reads the state, in run's goroutine, or in the
// caller's once the call is over and the state still.
func (call *Call) look(f func()) {
	if !call.do(f) {
		f()
	}
}

// post hands f to run without waiting for it to run: for pion's
// callbacks. Once the call is over f is dropped.
func (call *Call) post(f func()) {
	select {
	case call.reqs <- f:
	case <-call.over:
	}
}

// emit delivers an event, or queues it while the channel is full.
func (call *Call) emit(e Event) {
	s := &call.s
	if len(s.queue) == 0 {
		select {
		case call.events <- e:
			return
		default:
		}
	}
	s.queue = append(s.queue, e)
}

// receive handles what the reader of in.c read; a stale connection's
// news is old.
func (call *Call) receive(in inbound) {
	if in.c != call.s.conn {
		return
	}
	err := in.err
	if err == nil {
		err = call.dispatch(in.m)
	} else if websocket.CloseStatus(err) != -1 && closeReason(err) == api.CloseMediaFailed {
		// The server's side of the media gave up first: the same news.
		call.mediaFailed(nil, "", triedTransports(call.s.sub, call.s.trickled[api.PCSubscribe]))
		err = fmt.Errorf("%w (the server closed the call connection: %s)", errMediaFailed, api.CloseMediaFailed)
	}
	if err != nil {
		call.drop(err)
	}
}

// drop gives up the current connection because of err: the call ends if
// err is final, else it reconnects.
func (call *Call) drop(err error) {
	s := &call.s
	if call.ctx.Err() == nil && (isFatal(err) || call.opts.MaxReconnects < 0) {
		call.end(err)
		return
	}
	if s.conn != nil {
		close(s.conn.done)
		s.conn.ws.CloseNow()
		s.conn = nil
	}
	if call.ctx.Err() == nil {
		s.attempt, s.cause = 0, err
		call.nextAttempt()
	}
}

// nextAttempt waits before the next reconnect, with backoff, or gives up.
func (call *Call) nextAttempt() {
	s := &call.s
	s.attempt++
	if s.ice.since.IsZero() {
		s.ice.since = time.Now()
	}
	if max := call.opts.MaxReconnects; max > 0 && s.attempt > max {
		call.end(fmt.Errorf("%w: gave up reconnecting after %d attempts: %w", ErrUnreachable, max, s.cause))
		return
	}
	if gone := time.Since(s.ice.since); gone > call.opts.ReconnectFor {
		call.end(fmt.Errorf("%w: gave up reconnecting after %s (%d attempts): %w", ErrUnreachable, gone.Round(time.Second), s.attempt-1, s.cause))
		return
	}
	call.interrupted(s.attempt, s.cause)
	delay := 250 * time.Millisecond
	for range s.attempt - 1 {
		delay = min(delay*2, maxBackoff)
	}
	s.retry = time.NewTimer(delay)
}

// redial rejoins in a goroutine of its own, keeping our participant id so
// the others see one person come back; run goes on meanwhile.
func (call *Call) redial() {
	rejoin := call.s.me.ID
	call.wg.Add(1)
	go func() {
		defer call.wg.Done()
		ws, joined, err := call.dial(call.ctx, rejoin)
		select {
		case call.dialed <- dialResult{ws: ws, joined: joined, err: err}:
		case <-call.ctx.Done():
			if ws != nil {
				ws.CloseNow()
			}
		}
	}()
}

// dialDone takes a reconnect's connection, or tries again.
func (call *Call) dialDone(d dialResult) {
	err := d.err
	if err == nil {
		err = call.attach(d.ws, d.joined)
	}
	switch {
	case err == nil:
		call.s.attempt, call.s.cause = 0, nil
		call.recovered(true)
	case call.ctx.Err() != nil:
	case isFatal(err):
		call.end(err)
	default:
		call.s.cause = err
		call.nextAttempt()
	}
}

// attach makes ws the call's connection, with fresh PeerConnections:
// joined is what the server said; every local track is sent again, and
// the view.
func (call *Call) attach(ws *websocket.Conn, joined api.Joined) error {
	s := &call.s
	call.closePeers()
	call.newSession()
	s.trickled = map[api.PeerConnection][]string{}
	s.mediaFailed = false
	if err := call.newPeers(ws, joined.ICEServers); err != nil {
		ws.CloseNow()
		return err
	}
	s.me = joined.You
	s.tracks = map[string]api.Track{}
	for _, p := range joined.Participants {
		for _, t := range p.Tracks {
			s.tracks[t.ID] = t
		}
	}
	call.allLayers()
	call.emit(Joined{joined})
	s.senders = map[string]*webrtc.RTPSender{}
	for _, t := range s.local {
		if err := call.addSender(t); err != nil {
			ws.CloseNow()
			return err
		}
	}
	s.conn = call.startConn(ws)
	if len(s.local) > 0 {
		s.pubNeg.Negotiate()
	}
	if len(s.view.Hidden) > 0 || len(s.view.Sizes) > 0 {
		// A queue full already closed the connection: the reader says so.
		_ = s.conn.post(api.MsgView, s.view)
	}
	return nil
}

// addSender puts t on the publish connection, unless it is there.
func (call *Call) addSender(t LocalTrack) error {
	s := &call.s
	id := t.Track.ID()
	if s.senders[id] != nil {
		return nil
	}
	var sender *webrtc.RTPSender
	var err error
	if len(t.Layers) == 0 {
		sender, err = s.pub.AddTrack(t.Track)
	} else {
		sender, err = AddSimulcastTrack(s.pub, t.layers()...)
	}
	if err != nil {
		return fmt.Errorf("publish %s track: %w", t.Kind, err)
	}
	s.senders[id] = sender
	if t.Level != nil {
		if enc := sender.GetParameters().Encodings; len(enc) > 0 {
			call.levels.set(uint32(enc[0].SSRC), t.Level)
		}
	}
	if _, readRTCP := t.keyframeRequests(""); readRTCP {
		// One reader a layer; each ends when the connection closes (a
		// reconnect, leaving) or the track is unpublished.
		for _, l := range t.layers() {
			rid := ""
			if len(t.Layers) > 0 {
				rid = l.RID()
			}
			onRequest, _ := t.keyframeRequests(l.RID())
			call.wg.Add(1)
			go func() {
				defer call.wg.Done()
				readKeyframeRequests(sender, rid, onRequest)
			}()
		}
	}
	return nil
}

// publish adds t to what this client sends.
func (call *Call) publish(t LocalTrack) error {
	s := &call.s
	id := t.Track.ID()
	if slices.ContainsFunc(s.local, func(l LocalTrack) bool { return l.Track.ID() == id }) {
		return fmt.Errorf("publish: a track with id %q is already published", id)
	}
	s.local = append(s.local, t)
	// The server's forwarder for it is new: every layer is wanted, even
	// if an earlier publication of the track had some suspended.
	allLayersOf(t)
	if s.conn == nil {
		return nil // sent at the next (re)connect
	}
	if err := call.addSender(t); err != nil {
		// Not published after all: take it back, so it is not sent
		// again at the next reconnect and a later Publish of it works.
		s.local = slices.DeleteFunc(s.local, func(l LocalTrack) bool { return l.Track.ID() == id })
		return err
	}
	s.pubNeg.Negotiate()
	return nil
}

// unpublish stops sending the track with this id.
func (call *Call) unpublish(trackID string) error {
	s := &call.s
	i := slices.IndexFunc(s.local, func(l LocalTrack) bool { return l.Track.ID() == trackID })
	if i < 0 {
		return fmt.Errorf("unpublish: no published track has id %q", trackID)
	}
	s.local = slices.Delete(s.local, i, i+1)
	sender := s.senders[trackID]
	delete(s.senders, trackID)
	if s.pub == nil || sender == nil {
		return nil
	}
	if err := s.pub.RemoveTrack(sender); err != nil {
		return fmt.Errorf("unpublish %s: %w", trackID, err)
	}
	if s.conn != nil {
		s.pubNeg.Negotiate()
	}
	return nil
}

// end ends the call with err (the first reason stays) and says goodbye
// on the connection.
func (call *Call) end(err error) {
	s := &call.s
	if s.final == nil {
		s.final = err
	}
	if c := s.conn; c != nil {
		s.conn = nil
		close(c.done) // the reader reads on, so the close completes
		c.ws.Close(websocket.StatusNormalClosure, "bye")
	}
	call.cancel()
}

// teardown is run's last act: the state is left still, the connections
// closed, and the last event sent before the channel closes.
func (call *Call) teardown() {
	s := &call.s
	if s.final == nil {
		s.final = ErrLeft
	}
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	if s.conn != nil {
		close(s.conn.done)
		s.conn.ws.CloseNow()
		s.conn = nil
	}
	// Events that found the channel full are dropped, as an emitter
	// waiting when the call ended dropped its event.
	for _, e := range s.queue {
		select {
		case call.events <- e:
		default:
		}
	}
	s.queue = nil
	pub, sub := call.takePeers()
	close(call.over)
	closePCs(pub, sub)
	// The last event goes out even though the call is over; the send may
	// wait for a reader, but nobody else sends on the channel now.
	call.events <- Closed{Err: s.final}
	close(call.events)
}

// abandon undoes a Join that failed before run started.
func (call *Call) abandon() {
	s := &call.s
	if s.conn != nil {
		close(s.conn.done)
		s.conn.ws.CloseNow()
		s.conn = nil
	}
	call.cancel()
	pub, sub := call.takePeers()
	close(call.over)
	closePCs(pub, sub)
	call.wg.Wait()
}

// closePeers closes the current PeerConnections, if any.
func (call *Call) closePeers() {
	closePCs(call.takePeers())
}

// takePeers takes the current PeerConnections out of the state, their
// negotiation stopped, for the caller to close.
func (call *Call) takePeers() (pub, sub *webrtc.PeerConnection) {
	s := &call.s
	for _, n := range []*negotiate.Negotiator{s.pubNeg, s.subNeg} {
		if n != nil {
			n.Close()
		}
	}
	pub, sub = s.pub, s.sub
	s.pub, s.sub, s.pubNeg, s.subNeg = nil, nil, nil, nil
	return pub, sub
}

func closePCs(pcs ...*webrtc.PeerConnection) {
	for _, pc := range pcs {
		if pc != nil {
			pc.Close()
		}
	}
}

// closeReason is the reason of a WebSocket close error, or "".
func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// errAnswerLate drops a connection whose server did not answer an offer.
var errAnswerLate = errors.New("the server did not answer an offer in time")
