// Package tui is the terminal call: a Bubble Tea program that shows every
// participant as a live video tile, with the room's theme, a status bar,
// people and chat panels, and the host's controls.
package tui

import (
	"fmt"
	"image"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/termgfx"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Controls is what the call screen asks of the call; the program's runner
// implements it over a client.Call, tests with a recorder. Every method
// may block on the network: the screen calls them only from commands,
// never from Update (actions.go). An error says what could not be done;
// the screen shows it.
type Controls interface {
	SetMic(on bool) error
	SetCamera(on bool) error
	SendChat(text string) error
	// Host does a host action: admit and deny name a knock, remove a
	// participant, the others nobody.
	Host(action, target string) error
	// ShareScreen starts or stops sharing this person's screen; an error
	// says why it could not start (no display, say).
	ShareScreen(on bool) error
	// Leave says goodbye and closes the call.
	Leave()
}

// Config is what the call screen starts from.
type Config struct {
	Room     api.Room
	Theme    api.Theme
	Me       api.Participant
	Frames   *Frames
	Controls Controls
	Profile  termimg.Profile
	// SelfView returns the local camera's latest frame, or nil.
	SelfView func() image.Image
	MicOn    bool
	CameraOn bool
	// NoMic and NoCamera say there is no such source to turn on.
	NoMic, NoCamera bool
	// Sharing says the call starts with this person's screen shared.
	Sharing bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Graphics draws the pictures in kitty or sixel mode; nil draws them
	// in half blocks (graphics.go).
	Graphics *termgfx.Painter
	// cacheView keeps the view between frame ticks in kitty or sixel
	// mode (viewcache.go); the runner sets it.
	cacheView bool
}

// Messages the runner sends the program.
type (
	// EventMsg carries a call event.
	EventMsg struct{ Event client.Event }
	// StatsMsg carries connection quality.
	StatsMsg struct {
		RTT  time.Duration
		Loss float64 // fraction of packets lost since the last stats
		Kbps int
	}
	frameTickMsg time.Time
	// shareDoneMsg: starting or stopping a share finished.
	shareDoneMsg struct {
		on  bool
		err error
	}
	clockMsg time.Time
	quitMsg  struct{}
)

type panel int

const (
	panelNone panel = iota
	panelPeople
	panelChat
	panelHelp
)

// person is a participant as the screen keeps it.
type person struct {
	api.Participant
	speaking bool
	video    bool // a video track is arriving
	// videoTrack is the id of its camera's track; slowLink: the server
	// pauses it for this viewer's bandwidth (client.Bandwidth).
	videoTrack string
	slowLink   bool
}

// Model is the call screen.
type Model struct {
	cfg    Config
	vc     *viewCache // nil: the view is drawn every time
	keys   keyMap
	w, h   int
	room   api.Room
	me     api.Participant
	people map[string]*person
	order  []string // participant ids in the order they came
	roster int      // counts arrivals and departures, for the geometry
	// geo is where everything goes on the screen (geometry.go), computed
	// again at the end of Update when what it depends on changed.
	geo    geometry
	active string // active speaker
	pinned string
	// screens are the participants whose shared screen is arriving, in
	// the order they started; screenAt is the one in the spotlight.
	screens   []string
	screenAt  int
	sharing   bool // this person shares a screen
	shareBusy bool // a start or stop is under way
	// shareRefused: the server refused the screen before its start reported.
	shareRefused bool
	sel          int // selected tile on the page
	page         int
	panel        panel
	chat         []api.Chat
	unread       int
	input        textinput.Model
	mic          bool
	camera       bool
	started      time.Time
	now          time.Time
	stats        StatsMsg
	// reconnecting is set while the client retries a dropped connection.
	reconnecting int
	// mediaFailed is why media could not connect (client.MediaFailed),
	// shown under the status bar until media arrives.
	mediaFailed string
	confirm     *confirm
	notice      string
	noticeAt    time.Time
	over        string // why the call ended for us, when it did
	ended       bool   // the end screen is showing
	err         error  // the call's final error, when it did not end by leaving
	tiles       *tileCache
	fps         float64 // pictures drawn per second per video tile
	drawnAt     uint64

	// knocks, for a host, are who knocks on the locked room, oldest
	// first: a admits the first, d declines it (knock.go).
	knocks []api.Knock

	// Requests to the call (actions.go): queue waits behind the one in
	// flight (acting); leaving says the goodbye is under way.
	queue   []action
	acting  bool
	leaving bool
}

type confirm struct {
	action, target, question string
}

// New makes the call screen.
func New(cfg Config) Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Frames == nil {
		cfg.Frames = NewFrames()
	}
	in := textinput.New()
	in.Placeholder = "say something"
	in.CharLimit = api.MaxChatRunes
	cfg.Room, cfg.Me = cleanRoom(cfg.Room), cleanParticipant(cfg.Me)
	now := cfg.Now()
	m := Model{
		cfg: cfg, keys: newKeyMap(), room: cfg.Room, me: cfg.Me,
		people: map[string]*person{}, input: in,
		mic: cfg.MicOn, camera: cfg.CameraOn, sharing: cfg.Sharing, started: now, now: now,
		tiles: newTileCache(),
	}
	if cfg.cacheView && cfg.Graphics != nil {
		m.vc = &viewCache{}
	}
	return m
}

// Init starts the screen's clocks.
func (m Model) Init() tea.Cmd {
	return tea.Batch(frameTick(), clockTick())
}

func frameTick() tea.Cmd {
	return tea.Tick(time.Second/15, func(t time.Time) tea.Msg { return frameTickMsg(t) })
}

func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return clockMsg(t) })
}

// Update handles a message, then lays the screen out again if the message
// changed what the layout depends on. It does no I/O: what the call is
// asked to do is done by the commands it returns.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.vc.noteMsg(msg)
	m, cmd := m.update(msg)
	m.relayout()
	if c := m.syncGraphics(); c != nil {
		cmd = tea.Batch(cmd, c)
	}
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.input.SetWidth(max(10, panelTextWidth-2)) // the prompt takes two cells
		return m, nil
	case frameTickMsg:
		m.cfg.Frames.SetShown(m.shown())
		m.cfg.Frames.SetSizes(m.shownSizes())
		return m, frameTick()
	case clockMsg:
		m.tick()
		return m, clockTick()
	case StatsMsg:
		m.stats = msg
		return m, nil
	case EventMsg:
		return m.event(msg.Event)
	case quitMsg:
		return m, tea.Quit
	case actionDoneMsg:
		return m.actionDone(msg)
	case leaveDoneMsg:
		return m, nil // the Closed event that follows ends the program
	case shareDoneMsg:
		m.shareDone(msg)
		return m, nil
	case tea.KeyPressMsg:
		if m.ended {
			return m, tea.Quit
		}
		return m.keyPress(msg)
	case tea.MouseClickMsg:
		return m.click(msg)
	}
	if m.panel == panelChat {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// tick moves the clock on, and with it the real frame rate: new pictures
// drawn per second per tile with video on screen.
func (m *Model) tick() {
	now := m.cfg.Now()
	if secs := now.Sub(m.now).Seconds(); secs > 0 {
		videoTiles := 0
		for _, id := range m.shown() {
			if p := m.people[id]; p != nil && p.video {
				videoTiles++
			}
		}
		drawn := m.tiles.drawn.Load()
		if g := m.graphics(); g != nil {
			drawn = g.Frames()
			if m.selfView() != nil && !m.geo.Self.Empty() && m.geo.Mode != modeAlone {
				videoTiles++
			}
			if s := m.geo.Screen.ID; s != "" {
				videoTiles++
			}
		}
		if videoTiles > 0 {
			m.fps = float64(drawn-m.drawnAt) / secs / float64(videoTiles)
		}
		m.drawnAt = drawn
	}
	m.now = now
}

// shareDone takes the result of starting or stopping a share.
func (m *Model) shareDone(msg shareDoneMsg) {
	m.shareBusy = false
	if m.shareRefused {
		m.shareRefused = false
		return // the refusal is on screen already
	}
	if msg.err != nil {
		m.say(safetext.Line(msg.err.Error()))
		return
	}
	m.sharing = msg.on
	if m.sharing {
		m.say("You are sharing your screen; s stops.")
	} else {
		m.say("You stopped sharing your screen.")
	}
}

// say shows a notice under the status bar for a few seconds.
func (m *Model) say(s string) {
	m.notice, m.noticeAt = s, m.cfg.Now()
}

func (m *Model) add(p api.Participant) {
	if p.ID == m.me.ID {
		return
	}
	if _, ok := m.people[p.ID]; !ok {
		m.order = append(m.order, p.ID)
		m.roster++
	}
	m.people[p.ID] = &person{Participant: p, speaking: p.Speaking}
}

func (m *Model) remove(id string) {
	delete(m.people, id)
	m.roster++
	for i, o := range m.order {
		if o == id {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	if m.pinned == id {
		m.pinned = ""
	}
	if m.active == id {
		m.active = ""
	}
	m.cfg.Frames.Drop(id)
	m.tiles.forget(id)
	m.dropScreen(id)
}

// dropScreen forgets a participant's shared screen.
func (m *Model) dropScreen(id string) {
	i := slices.Index(m.screens, id)
	if i < 0 {
		return
	}
	m.screens = slices.Delete(m.screens, i, i+1)
	if m.screenAt >= i && m.screenAt > 0 {
		m.screenAt--
	}
	m.cfg.Frames.Drop(screenKey(id))
	m.tiles.forget(screenKey(id))
}

// screenKey is where a participant's shared screen is kept in Frames and
// the tile cache, beside their camera.
func screenKey(participantID string) string { return "screen:" + participantID }

// spotScreen is whose screen fills the spotlight now: none while someone
// is pinned or nobody shares.
func (m Model) spotScreen() string {
	if len(m.screens) == 0 {
		return ""
	}
	if m.pinned != "" {
		if _, ok := m.people[m.pinned]; ok {
			return ""
		}
	}
	return m.screens[min(m.screenAt, len(m.screens)-1)]
}

// shareRefusal says who holds the screen-sharing slots.
func shareRefusal(sharers []string) string {
	if len(sharers) == 0 {
		return "Screen sharing is full in this room; try again when someone stops."
	}
	who := strings.Join(sharers, ", ")
	if n := len(sharers); n > 1 {
		who = strings.Join(sharers[:n-1], ", ") + " and " + sharers[n-1]
	}
	verb := "is"
	if len(sharers) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("Screen sharing is full: %s %s sharing. Try again when one stops.", who, verb)
}

// Over says why the call ended, once it has: the runner prints it.
func (m Model) Over() string { return m.over }

// Err is the call's final error (removed, ended, connection lost), or nil
// when the person left.
func (m Model) Err() error { return m.err }

// sortedPeople is everyone for the people panel: host first, then by name.
func (m Model) sortedPeople() []*person {
	out := make([]*person, 0, len(m.people))
	for _, p := range m.people {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}
