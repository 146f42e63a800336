package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// JoinOptions say who joins and how.
type JoinOptions struct {
	// Name is shown to the others.
	Name string
	// Key is this client's identity; a host's removal bans it.
	Key ed25519.PrivateKey
	// HostKey, when set, joins with the host's rights.
	HostKey string
	// Tracks are published as soon as the call is joined, and again after
	// every reconnect. A track must read its own RTCP (mediadevices'
	// tracks do).
	Tracks []LocalTrack
	// MaxReconnects bounds attempts after a dropped connection; 0 means 8,
	// negative means never.
	MaxReconnects int
	// HTTPClient, when set, dials the signalling WebSocket (a proxy, or a
	// test that cuts the connection).
	HTTPClient *http.Client
	// API, when set, makes the PeerConnections (custom codecs or a
	// virtual network in tests). By default the client negotiates VP8 and
	// Opus and, against a loopback server, gathers loopback candidates.
	API *webrtc.API
	// Knock, when the room is locked and this key new to it, asks the
	// host to let it in rather than being refused with room_locked: Join
	// then waits (up to api.KnockWait, or until ctx ends) and returns once
	// admitted; a decline is a *api.SignalError coded knock_declined, no
	// answer in time knock_timeout.
	Knock bool
	// OnKnocking, when set, is called when the join waits for the host.
	OnKnocking func(api.Knocking)
}

// LocalTrack is a track to publish, and what it carries.
type LocalTrack struct {
	Track webrtc.TrackLocal
	// Layers, for simulcast video, are the encodings sent after Track,
	// which is then the first: each a TrackLocal with Track's ID and
	// StreamID and its own RID (Track's too), offered in this order,
	// smallest first as browsers do (roomsd's are "q", "h", "f"). They go
	// on one transceiver with AddSimulcastTrack, which stamps the mid and
	// rid header extensions the receiver needs. Nil sends Track alone.
	Layers []webrtc.TrackLocal
	Kind   api.TrackKind
	// Level, for audio, reports the sound level now as -dBov (0 loudest,
	// 127 silence); each packet carries it so the call knows who speaks.
	Level func() uint8
	// OnKeyframeRequest, when set, is called when a receiver asks for a
	// keyframe (PLI or FIR), of any layer; the client then reads the
	// track's RTCP itself. For tracks that do not (pion's static tracks).
	OnKeyframeRequest func()
	// OnLayerKeyframeRequest, when set, is called with a layer's RID
	// when a receiver asks that layer for a keyframe (with Track's RID, ""
	// if it has none, for a track sent alone); like OnKeyframeRequest,
	// the client then reads each layer's RTCP itself.
	OnLayerKeyframeRequest func(rid string)
	// OnLayers, when set, is told which layers (RIDs) of this simulcast
	// track somebody receives whenever the server says (the smallest
	// always): the others may stop being encoded until named again. A
	// new connection (a reconnect) starts with every layer wanted, and
	// OnLayers is called with all of them then.
	OnLayers func(active []string)
}

// layers are all of t's encodings, Track first.
func (t LocalTrack) layers() []webrtc.TrackLocal {
	return append([]webrtc.TrackLocal{t.Track}, t.Layers...)
}

// keyframeRequests says whether the client reads t's RTCP, and what to
// call for a keyframe request on the layer rid.
func (t LocalTrack) keyframeRequests(rid string) (func(), bool) {
	if t.OnKeyframeRequest == nil && t.OnLayerKeyframeRequest == nil {
		return nil, false
	}
	return func() {
		if t.OnKeyframeRequest != nil {
			t.OnKeyframeRequest()
		}
		if t.OnLayerKeyframeRequest != nil {
			t.OnLayerKeyframeRequest(rid)
		}
	}, true
}

// Errors that end a call for good; the client does not reconnect.
var (
	ErrRemoved = errors.New("you were removed by the host")
	ErrEnded   = errors.New("the host ended the room")
	ErrLeft    = errors.New("you left the call")
)

// Call is this client's place in a room's call.
type Call struct {
	client *Client
	roomID string
	opts   JoinOptions
	api    *webrtc.API
	levels *audioLevels
	events chan Event
	// emitMu and eventsClosed keep late emitters off the closed channel.
	emitMu       sync.RWMutex
	eventsClosed bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	ws     *websocket.Conn
	pub    *webrtc.PeerConnection
	sub    *webrtc.PeerConnection
	me     api.Participant
	tracks map[string]api.Track // remote tracks by id
	// local is what this client publishes: JoinOptions.Tracks, then
	// Publish and Unpublish; senders are their places on pub.
	local   []LocalTrack
	senders map[string]*webrtc.RTPSender
	// view is the last view sent, sent again after a reconnect.
	view api.View
	// pub negotiation: one offer in flight.
	offering, again bool
	pendPub         []webrtc.ICECandidateInit
	pendSub         []webrtc.ICECandidateInit
	final           error
}

// Join enters a room's call. Refusals come back as *api.SignalError with
// a stable code (room_full, room_locked, banned, not_open_yet, ...).
// Events arrive on Events until a Closed event, after which the channel
// closes. Leave or Close the call when done.
func (c *Client) Join(ctx context.Context, roomID string, opts JoinOptions) (*Call, error) {
	if opts.Key == nil {
		return nil, errors.New("join: no identity key")
	}
	if opts.MaxReconnects == 0 {
		opts.MaxReconnects = 8
	}
	levels := &audioLevels{}
	wapi := opts.API
	if wapi == nil {
		var err error
		if wapi, err = defaultAPI(c.loopback(), levels); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithCancel(context.Background())
	call := &Call{
		client: c, roomID: roomID, opts: opts, api: wapi, levels: levels,
		events: make(chan Event, 1024),
		ctx:    cctx, cancel: cancel,
		tracks: map[string]api.Track{},
		local:  append([]LocalTrack(nil), opts.Tracks...),
	}
	if err := call.connect(ctx, ""); err != nil {
		cancel()
		call.closePeers()
		return nil, err
	}
	call.wg.Add(1)
	go func() {
		defer call.wg.Done()
		call.run()
	}()
	return call, nil
}

// loopback says whether the server is on this machine's loopback, where
// ICE needs loopback candidates.
func (c *Client) loopback() bool {
	host := c.base.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Events is the call's event stream.
func (call *Call) Events() <-chan Event { return call.events }

// Me is this client as the call knows it.
func (call *Call) Me() api.Participant {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.me
}

// connect dials the signalling WebSocket, proves the key, joins (or
// rejoins as participant rejoin) and sets up fresh connections.
func (call *Call) connect(ctx context.Context, rejoin string) error {
	u := *call.client.base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path += "/r/" + url.PathEscape(call.roomID)
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{Subprotocols: []string{api.SignalProtocol}, HTTPClient: call.opts.HTTPClient})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if resp != nil {
			var p api.Problem
			if json.NewDecoder(resp.Body).Decode(&p) == nil && p.Code != "" {
				return fmt.Errorf("the server at %s refused the call connection: %w", u.Host, &p)
			}
			return fmt.Errorf("the server at %s did not take a call connection (HTTP %d); is this a rooms link?", u.Host, resp.StatusCode)
		}
		return fmt.Errorf("%w: signalling at %s: %w", ErrUnreachable, u.Host, err)
	}
	ws.SetReadLimit(api.MaxSignalMessage)
	fail := func(err error) error {
		ws.CloseNow()
		return err
	}
	var hello api.Hello
	if err := readTyped(dctx, ws, api.MsgHello, &hello); err != nil {
		return fail(fmt.Errorf("read hello: %w", err))
	}
	pub := call.opts.Key.Public().(ed25519.PublicKey)
	join := api.Join{
		Name:      call.opts.Name,
		PublicKey: base64.RawURLEncoding.EncodeToString(pub),
		Signature: base64.RawURLEncoding.EncodeToString(ed25519.Sign(call.opts.Key, api.JoinSignedText(call.client.Origin(), call.roomID, hello.Challenge))),
		HostKey:   call.opts.HostKey,
		Rejoin:    rejoin,
		Knock:     call.opts.Knock,
	}
	if err := write(dctx, ws, api.MsgJoin, join); err != nil {
		return fail(fmt.Errorf("send join: %w", err))
	}
	var joined api.Joined
	if err := call.readJoined(ctx, dctx, ws, &joined); err != nil {
		return fail(err)
	}
	call.closePeers()
	pubPC, subPC, err := call.newPeers()
	if err != nil {
		return fail(err)
	}
	call.mu.Lock()
	call.ws, call.pub, call.sub = ws, pubPC, subPC
	call.me = joined.You
	call.offering, call.again = false, false
	call.pendPub, call.pendSub = nil, nil
	call.tracks = map[string]api.Track{}
	for _, p := range joined.Participants {
		for _, t := range p.Tracks {
			call.tracks[t.ID] = t
		}
	}
	call.mu.Unlock()
	call.allLayers()
	call.emit(Joined{joined})
	call.mu.Lock()
	local := append([]LocalTrack(nil), call.local...)
	call.senders = map[string]*webrtc.RTPSender{}
	call.mu.Unlock()
	for _, t := range local {
		if err := call.addSender(pubPC, t); err != nil {
			return fail(err)
		}
	}
	if len(local) > 0 {
		call.negotiate()
	}
	call.mu.Lock()
	view := call.view
	call.mu.Unlock()
	if len(view.Hidden) > 0 || len(view.Sizes) > 0 {
		if err := write(ctx, ws, api.MsgView, view); err != nil {
			return fail(fmt.Errorf("send view: %w", err))
		}
	}
	return nil
}

// addSender puts t on the publish connection pc. A reconnect, a Publish
// or an Unpublish may run at the same time: the sender is kept only if pc
// is still the connection, t is still published, the call is not over,
// and t is not on pc already.
func (call *Call) addSender(pc *webrtc.PeerConnection, t LocalTrack) error {
	id := t.Track.ID()
	call.mu.Lock()
	already := call.pub == pc && call.senders[id] != nil
	call.mu.Unlock()
	if already {
		return nil
	}
	var sender *webrtc.RTPSender
	var err error
	if len(t.Layers) == 0 {
		sender, err = pc.AddTrack(t.Track)
	} else {
		sender, err = AddSimulcastTrack(pc, t.layers()...)
	}
	if err != nil {
		return fmt.Errorf("publish %s track: %w", t.Kind, err)
	}
	_, readRTCP := t.keyframeRequests("")
	call.mu.Lock()
	keep := call.pub == pc && call.final == nil && call.senders[id] == nil &&
		slices.ContainsFunc(call.local, func(l LocalTrack) bool { return l.Track.ID() == id })
	if keep {
		call.senders[id] = sender
		if readRTCP {
			// Under the lock, before the call can finish: Close waits.
			call.wg.Add(len(t.layers()))
		}
	}
	call.mu.Unlock()
	if !keep {
		_ = pc.RemoveTrack(sender)
		return nil
	}
	if t.Level != nil {
		if enc := sender.GetParameters().Encodings; len(enc) > 0 {
			call.levels.set(uint32(enc[0].SSRC), t.Level)
		}
	}
	if readRTCP {
		// One reader a layer; each ends when the connection closes (a
		// reconnect, leaving) or the track is unpublished.
		for _, l := range t.layers() {
			rid := ""
			if len(t.Layers) > 0 {
				rid = l.RID()
			}
			onRequest, _ := t.keyframeRequests(l.RID())
			go func() {
				defer call.wg.Done()
				readKeyframeRequests(sender, rid, onRequest)
			}()
		}
	}
	return nil
}

// Publish starts sending another track in the call, such as a shared
// screen; like JoinOptions.Tracks it is sent again after reconnects, until
// Unpublish. A screen the call has no room for is refused with a
// ServerError event coded screen_share_limit: Unpublish it then.
func (call *Call) Publish(t LocalTrack) error {
	if t.Track == nil {
		return errors.New("publish: no track")
	}
	id := t.Track.ID()
	call.mu.Lock()
	for _, l := range call.local {
		if l.Track.ID() == id {
			call.mu.Unlock()
			return fmt.Errorf("publish: a track with id %q is already published", id)
		}
	}
	call.local = append(call.local, t)
	pc := call.pub
	call.mu.Unlock()
	// The server's forwarder for it is new: every layer is wanted, even
	// if an earlier publication of the track had some suspended.
	allLayersOf(t)
	if pc == nil {
		return nil // sent at the next (re)connect
	}
	if err := call.addSender(pc, t); err != nil {
		// Not published after all: take it back, so it is not sent
		// again at the next reconnect and a later Publish of it works.
		call.mu.Lock()
		call.local = slices.DeleteFunc(call.local, func(l LocalTrack) bool { return l.Track.ID() == id })
		call.mu.Unlock()
		return err
	}
	call.negotiate()
	return nil
}

// Unpublish stops sending the track with this id; the others see it end.
// The caller still owns the track and closes it.
func (call *Call) Unpublish(trackID string) error {
	call.mu.Lock()
	i := slices.IndexFunc(call.local, func(l LocalTrack) bool { return l.Track.ID() == trackID })
	if i < 0 {
		call.mu.Unlock()
		return fmt.Errorf("unpublish: no published track has id %q", trackID)
	}
	call.local = slices.Delete(call.local, i, i+1)
	pc, sender := call.pub, call.senders[trackID]
	delete(call.senders, trackID)
	call.mu.Unlock()
	if pc == nil || sender == nil {
		return nil
	}
	if err := pc.RemoveTrack(sender); err != nil {
		return fmt.Errorf("unpublish %s: %w", trackID, err)
	}
	call.negotiate()
	return nil
}

// readTyped reads messages until one of type want (decoded into v) or an
// error message, which comes back as *api.SignalError.
func readTyped(ctx context.Context, ws *websocket.Conn, want api.MessageType, v any) error {
	for {
		m, err := read(ctx, ws)
		if err != nil {
			return err
		}
		switch m.Type {
		case want:
			return json.Unmarshal(m.Data, v)
		case api.MsgError:
			se := &api.SignalError{}
			if err := json.Unmarshal(m.Data, se); err != nil {
				return fmt.Errorf("read error message: %w", err)
			}
			return se
		}
	}
}

func read(ctx context.Context, ws *websocket.Conn) (api.Message, error) {
	var m api.Message
	_, data, err := ws.Read(ctx)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}

func write(ctx context.Context, ws *websocket.Conn, t api.MessageType, v any) error {
	m, err := api.Encode(t, v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, b)
}

// send writes a message on the current connection; a failure surfaces
// as a dropped connection in the read loop.
func (call *Call) send(t api.MessageType, v any) error {
	call.mu.Lock()
	ws := call.ws
	call.mu.Unlock()
	if ws == nil {
		return errors.New("not connected")
	}
	return write(call.ctx, ws, t, v)
}

// emit delivers an event, unless the call is being torn down.
func (call *Call) emit(e Event) {
	// pion reports tracks from goroutines of its own, which may still run
	// when the call ends: none may send once events is closed.
	call.emitMu.RLock()
	defer call.emitMu.RUnlock()
	if call.eventsClosed {
		return
	}
	select {
	case call.events <- e:
	case <-call.ctx.Done():
	}
}

// SendChat sends a chat message to everyone in the call.
func (call *Call) SendChat(text string) error {
	return call.send(api.MsgChat, api.Chat{Text: text})
}

// SetHidden tells the server which of the others' video and screen
// tracks (by id) this client does not show now: SetView without sizes.
func (call *Call) SetHidden(trackIDs []string) error {
	return call.SetView(api.View{Hidden: trackIDs})
}

// SetView tells the server what this client shows of the others' video
// and screen tracks: those it does not show now (Hidden), which it stops
// sending (shown again, they resume with a keyframe), and how large it
// shows the rest (Sizes, in pixels), which picks the layer of a simulcast
// track. Each call replaces the last; the zero View shows everything at
// the largest layer. It is kept across reconnects.
func (call *Call) SetView(v api.View) error {
	if len(v.Hidden) > api.MaxViewTracks || len(v.Sizes) > api.MaxViewTracks {
		return fmt.Errorf("view: at most %d tracks hidden and %d sized, not %d and %d",
			api.MaxViewTracks, api.MaxViewTracks, len(v.Hidden), len(v.Sizes))
	}
	v = api.View{Hidden: slices.Clone(v.Hidden), Sizes: maps.Clone(v.Sizes)}
	call.mu.Lock()
	call.view = v
	call.mu.Unlock()
	return call.send(api.MsgView, v)
}

// SetMuted tells the others this client muted or unmuted its own audio or
// video. (Nobody can mute anybody else.)
func (call *Call) SetMuted(kind api.TrackKind, muted bool) error {
	return call.send(api.MsgMute, api.Mute{Kind: kind, Muted: muted})
}

// Host does a host action: remove (with a participant id), lock, unlock,
// hide, unhide, end. Refusals arrive as ServerError events.
func (call *Call) Host(action, participantID string) error {
	return call.send(api.MsgHost, api.HostAction{Action: action, ParticipantID: participantID})
}

// Leave tells the others this client left, then closes the call.
func (call *Call) Leave(ctx context.Context) error {
	err := call.send(api.MsgLeave, nil)
	call.finish(ErrLeft)
	call.wg.Wait()
	return err
}

// Close drops out of the call without a goodbye and waits for the
// client's goroutines to stop.
func (call *Call) Close() {
	call.finish(ErrLeft)
	call.wg.Wait()
}

// finish ends the call with err, once.
func (call *Call) finish(err error) {
	call.mu.Lock()
	if call.final == nil {
		call.final = err
	}
	ws := call.ws
	call.mu.Unlock()
	if ws != nil {
		ws.Close(websocket.StatusNormalClosure, "bye")
	}
	call.cancel()
}

// Err is why the call ended, once it has.
func (call *Call) Err() error {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.final
}

// isFatal says reconnecting cannot help: the server refused with a final
// code (pkg/api's table of codes), or the call was left, ended or we were
// removed.
func isFatal(err error) bool {
	var se *api.SignalError
	if errors.As(err, &se) && se.Code.Final() {
		return true
	}
	return errors.Is(err, ErrRemoved) || errors.Is(err, ErrEnded) || errors.Is(err, ErrLeft)
}
