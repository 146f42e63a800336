package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

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
	// MaxReconnects bounds attempts after a dropped connection; 0 means
	// no bound but ReconnectFor's, negative means never.
	MaxReconnects int
	// ReconnectFor bounds the time spent getting back after the call
	// lost the server (a network cut); past it the call ends with
	// ErrUnreachable. 0 means DefaultReconnectFor.
	ReconnectFor time.Duration
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
	// Transport, when set, limits media to one transport: TransportUDP
	// or TransportTCP (ICE over TCP) straight to the media port, or
	// TransportRelay through the TURN servers the join hands out. By
	// default UDP is tried and TCP too, for a network that blocks UDP,
	// and TURN when the server offers it. The network types are ignored
	// when API is set.
	Transport string
	// PingInterval is how often the client pings the server on the
	// signalling connection, and PingTimeout how long it waits for the
	// answer before it takes the connection for dead and rejoins (a cut
	// that never closed the socket); 0 means DefaultPingInterval and
	// DefaultPingTimeout.
	PingInterval, PingTimeout time.Duration
}

// The client's heartbeat on the signalling connection: the server pings
// every 25 s, so 15 s and 10 s notice a dead connection before the
// server's grace period (15 s after it notices) gives our place away.
const (
	DefaultPingInterval = 15 * time.Second
	DefaultPingTimeout  = 10 * time.Second
)

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
	// OnLayers is called with all of them then. It is called from the
	// call's own goroutine, so it must not wait on the Call's methods.
	OnLayers func(active []string)
	// Bitrates, for video, are the most each encoding (Track, then
	// Layers) is sent at, in bits per second. With OnBitrate, the call
	// estimates its uplink from the server's congestion feedback, paces
	// what it sends, and tells the track what each encoding may use now
	// (uplink.go): rates by RID ("" for a track sent alone), at most
	// these, 0 for a layer that does not fit and should send nothing
	// (the first encoding is only ever squeezed). Called from the call's
	// own goroutine, only when a rate changed; it must not wait on the
	// Call's methods. A call none of whose JoinOptions.Tracks has
	// OnBitrate neither estimates nor paces.
	Bitrates  []int
	OnBitrate func(rates map[string]int)
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

// Call is this client's place in a room's call. One goroutine (run,
// call_owner.go) owns its state and its events channel, as Galene's
// reader and writer own a connection: the public methods, pion's
// callbacks and the connection's reader hand it work, and only it emits
// on Events and closes it.
type Call struct {
	client *Client
	roomID string
	opts   JoinOptions
	api    *webrtc.API
	levels *audioLevels
	// pubAPI makes publish connections when the call estimates its
	// uplink (up); else api does.
	pubAPI *webrtc.API
	up     *uplink

	// events is sent on and closed by run alone.
	events chan Event
	// reqs is work for run, done in its goroutine.
	reqs chan func()
	// inbox brings what the connection's reader read.
	inbox chan inbound
	// dialed brings the end of a reconnect's dial.
	dialed chan dialResult
	// over is closed once run takes no more work: the state is still
	// from then on, and anyone may read it.
	over chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// s is run's: Join's before run starts, read-only once over closes.
	s callState
}

// Join enters a room's call. Refusals come back as *api.SignalError with
// a stable code (room_full, room_locked, banned, not_open_yet, ...).
// Events arrive on Events until a Closed event, after which the channel
// closes. Leave or Close the call when done.
func (c *Client) Join(ctx context.Context, roomID string, opts JoinOptions) (*Call, error) {
	if opts.Key == nil {
		return nil, errors.New("join: no identity key")
	}
	if opts.ReconnectFor <= 0 {
		opts.ReconnectFor = DefaultReconnectFor
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = DefaultPingTimeout
	}
	levels := &audioLevels{}
	wapi := opts.API
	var pubAPI *webrtc.API
	var up *uplink
	if wapi == nil {
		var err error
		if wapi, err = defaultAPI(c.loopback(), levels, opts.Transport); err != nil {
			return nil, err
		}
		if up = newUplink(opts.Tracks); up != nil {
			if pubAPI, err = buildAPI(c.loopback(), levels, opts.Transport, up.register); err != nil {
				return nil, err
			}
		}
	}
	cctx, cancel := context.WithCancel(context.Background())
	call := &Call{
		client: c, roomID: roomID, opts: opts, api: wapi, levels: levels, pubAPI: pubAPI, up: up,
		events: make(chan Event, 1024),
		reqs:   make(chan func()),
		inbox:  make(chan inbound),
		dialed: make(chan dialResult),
		over:   make(chan struct{}),
		ctx:    cctx, cancel: cancel,
		s: callState{
			tracks: map[string]api.Track{},
			local:  append([]LocalTrack(nil), opts.Tracks...),
		},
	}
	ws, joined, err := call.dial(ctx, "")
	if err == nil {
		err = call.attach(ws, joined)
	}
	if err != nil {
		call.abandon()
		return nil, err
	}
	call.wg.Add(1)
	go func() {
		defer call.wg.Done()
		call.run()
	}()
	if up != nil {
		call.wg.Add(1)
		go func() {
			defer call.wg.Done()
			up.loop(call)
		}()
	}
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
	var me api.Participant
	call.look(func() { me = call.s.me })
	return me
}

// Publish starts sending another track in the call, such as a shared
// screen; like JoinOptions.Tracks it is sent again after reconnects, until
// Unpublish. A screen the call has no room for is refused with a
// ServerError event coded screen_share_limit: Unpublish it then.
func (call *Call) Publish(t LocalTrack) error {
	if t.Track == nil {
		return errors.New("publish: no track")
	}
	var err error
	call.do(func() { err = call.publish(t) })
	return err
}

// Unpublish stops sending the track with this id; the others see it end.
// The caller still owns the track and closes it.
func (call *Call) Unpublish(trackID string) error {
	var err error
	call.do(func() { err = call.unpublish(trackID) })
	return err
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
	call.do(func() { call.s.view = v })
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

// finish ends the call with err, unless it has ended already.
func (call *Call) finish(err error) {
	call.do(func() { call.end(err) })
	call.cancel()
}

// Err is why the call ended, once it has.
func (call *Call) Err() error {
	var err error
	call.look(func() { err = call.s.final })
	return err
}

// isFatal says reconnecting cannot help: the server refused with a final
// code (pkg/api's table of codes), or the call was left, ended or we were
// removed.
func isFatal(err error) bool {
	var se *api.SignalError
	if errors.As(err, &se) && se.Code.Final() {
		return true
	}
	// A refused upgrade says the same in an HTTP problem: a rejoin to a
	// room that has gone is not tried again for minutes.
	var p *api.Problem
	if errors.As(err, &p) && p.Code.Final() {
		return true
	}
	return errors.Is(err, ErrRemoved) || errors.Is(err, ErrEnded) || errors.Is(err, ErrLeft)
}
