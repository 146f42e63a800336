// Package tui is the terminal call: a Bubble Tea program that shows every
// participant as a live video tile, with the room's theme, a status bar,
// people and chat panels, and the host's controls.
package tui

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Controls is what the call screen asks of the call; the program's runner
// implements it over a client.Call, tests with a recorder.
type Controls interface {
	SetMic(on bool)
	SetCamera(on bool)
	SendChat(text string)
	Host(action, participantID string)
	// ShareScreen starts or stops sharing this person's screen; an error
	// says why it could not start (no display, say).
	ShareScreen(on bool) error
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
}

// Model is the call screen.
type Model struct {
	cfg    Config
	keys   keyMap
	w, h   int
	room   api.Room
	me     api.Participant
	people map[string]*person
	order  []string // participant ids in the order they came
	active string   // active speaker
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
	confirm      *confirm
	notice       string
	noticeAt     time.Time
	over         string // why the call ended for us, when it did
	ended        bool   // the end screen is showing
	err          error  // the call's final error, when it did not end by leaving
	tiles        *tileCache
	fps          float64 // pictures drawn per second per video tile
	drawnAt      uint64

	// knocks, for a host, are who knocks on the locked room, oldest
	// first: a admits the first, d declines it (knock.go).
	knocks []api.Knock
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

// Update handles a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.input.SetWidth(max(10, panelTextWidth-2)) // the prompt takes two cells
		return m, nil
	case frameTickMsg:
		// People leave and terminals shrink: keep the page in range.
		if pages := m.grid().Pages; m.page >= pages {
			m.page = max(0, pages-1)
		}
		m.cfg.Frames.SetShown(m.shown())
		m.cfg.Frames.SetSizes(m.shownSizes())
		return m, frameTick()
	case clockMsg:
		now := m.cfg.Now()
		// The real frame rate: new pictures drawn per second per tile
		// with video on screen.
		if secs := now.Sub(m.now).Seconds(); secs > 0 {
			videoTiles := 0
			for _, id := range m.shown() {
				if p := m.people[id]; p != nil && p.video {
					videoTiles++
				}
			}
			if videoTiles > 0 {
				m.fps = float64(m.tiles.drawn-m.drawnAt) / secs / float64(videoTiles)
			}
			m.drawnAt = m.tiles.drawn
		}
		m.now = now
		return m, clockTick()
	case StatsMsg:
		m.stats = msg
		return m, nil
	case EventMsg:
		return m.event(msg.Event)
	case quitMsg:
		return m, tea.Quit
	case shareDoneMsg:
		m.shareBusy = false
		if refused := m.shareRefused; refused {
			m.shareRefused = false
			return m, nil // the refusal is on screen already
		}
		if msg.err != nil {
			m.say(safetext.Line(msg.err.Error()))
			return m, nil
		}
		m.sharing = msg.on
		if m.sharing {
			m.say("You are sharing your screen; s stops.")
		} else {
			m.say("You stopped sharing your screen.")
		}
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

// event applies a call event.
func (m Model) event(ev client.Event) (tea.Model, tea.Cmd) {
	switch e := cleanEvent(ev).(type) {
	case client.Joined:
		m.me, m.room = e.You, e.Room
		m.reconnecting = 0
		for _, p := range e.Participants {
			m.add(p)
		}
	case client.ParticipantJoined:
		m.add(e.Participant)
		m.say(e.Name + " joined")
	case client.ParticipantLeft:
		if p := m.people[e.ID]; p != nil {
			switch e.Reason {
			case "removed":
				m.say(p.Name + " was removed by the host")
			default:
				m.say(p.Name + " left")
			}
		}
		m.remove(e.ID)
	case client.RemoteTrack:
		p := m.people[e.Info.ParticipantID]
		switch {
		case p == nil:
		case e.Info.Kind == api.KindVideo:
			p.video = true
		case e.Info.Kind == api.KindScreen:
			// A new share takes the spotlight; [ and ] go back to others.
			if i := slices.Index(m.screens, p.ID); i >= 0 {
				m.screenAt = i
			} else {
				m.screens = append(m.screens, p.ID)
				m.screenAt = len(m.screens) - 1
				m.say(p.Name + " is sharing their screen")
			}
		}
	case client.TrackUnpublished:
		if p := m.people[e.ParticipantID]; p != nil && e.Kind == api.KindVideo {
			p.video = false
			m.cfg.Frames.Drop(e.ParticipantID)
		}
		if e.Kind == api.KindScreen {
			m.dropScreen(e.ParticipantID)
		}
	case client.Muted:
		if p := m.people[e.ParticipantID]; p != nil {
			if e.Kind == api.KindAudio {
				p.Muted.Audio = e.Muted
			} else {
				p.Muted.Video = e.Muted
			}
		}
	case client.Speaking:
		if p := m.people[e.ParticipantID]; p != nil {
			p.speaking = e.Speaking
		}
		if e.Speaking && e.Active {
			m.active = e.ParticipantID
		}
	case client.RoomUpdated:
		m.room = e.Room
	case client.Knock:
		m = m.knocked(e.Knock)
	case client.KnockEnded:
		m = m.knockEnded(e.KnockEnded)
	case client.Chat:
		m.chat = append(m.chat, e.Chat)
		if len(m.chat) > 500 {
			m.chat = m.chat[len(m.chat)-500:]
		}
		if m.panel != panelChat && e.From != m.me.ID {
			m.unread++
		}
	case client.Ending:
		m.say(fmt.Sprintf("The room's time runs out at %s.", e.EndsAt.Local().Format("15:04")))
	case client.Reconnecting:
		m.reconnecting = e.Attempt
	case client.ServerError:
		if e.Code == api.CodeScreenShareLimit {
			// The runner has already taken the refused screen back; if
			// the start has not reported yet, it must not turn it on.
			m.sharing = false
			m.shareRefused = m.shareBusy
			m.say(shareRefusal(e.Sharers))
			break
		}
		m.say(e.Message)
	case client.Removed:
		m.over = "You were removed by the host."
	case client.Ended:
		m.over = "The host ended the room."
	case client.Closed:
		if e.Err == nil || errors.Is(e.Err, client.ErrLeft) {
			return m, tea.Quit
		}
		m.err = e.Err
		if m.over == "" {
			m.over = "The call ended: " + safetext.Line(e.Err.Error())
		}
		// Say what happened on a screen of its own; any key (or a minute)
		// closes it.
		m.ended = true
		return m, tea.Tick(time.Minute, func(time.Time) tea.Msg { return quitMsg{} })
	}
	return m, nil
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
	}
	m.people[p.ID] = &person{Participant: p, speaking: p.Speaking}
}

func (m *Model) remove(id string) {
	delete(m.people, id)
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

// keyPress handles a key: chat typing first, then a pending question,
// then the call's keys.
func (m Model) keyPress(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		m.cfg.Controls.Leave()
		return m, nil
	}
	if m.panel == panelChat && m.input.Focused() {
		switch msg.String() {
		case "enter":
			if text := strings.TrimSpace(m.input.Value()); text != "" {
				m.cfg.Controls.SendChat(text)
			}
			m.input.Reset()
			return m, nil
		case "esc":
			m.input.Blur()
			m.panel = panelNone
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	if m.confirm != nil {
		c := m.confirm
		switch {
		case key.Matches(msg, m.keys.Confirm):
			m.confirm = nil
			if c.action == "leave" {
				m.cfg.Controls.Leave()
			} else {
				m.cfg.Controls.Host(c.action, c.target)
			}
		case key.Matches(msg, m.keys.Cancel):
			m.confirm = nil
		}
		return m, nil
	}
	k := m.keys
	ids := m.visible()
	switch {
	case key.Matches(msg, k.Leave):
		m.confirm = &confirm{action: "leave", question: "Leave the call? [y/n]"}
		return m, nil
	case key.Matches(msg, k.Mic):
		if m.cfg.NoMic {
			m.say("no microphone in this call: rejoin with --audio testsrc or a device")
			break
		}
		m.mic = !m.mic
		m.cfg.Controls.SetMic(m.mic)
	case key.Matches(msg, k.Camera):
		if m.cfg.NoCamera {
			m.say("no camera in this call: rejoin with --video testsrc or a device")
			break
		}
		m.camera = !m.camera
		m.cfg.Controls.SetCamera(m.camera)
	case key.Matches(msg, k.Share):
		// Opening the display and publishing take a moment (a
		// signalling round trip): off the UI's goroutine, so the call
		// screen never freezes on a slow link.
		if m.shareBusy {
			break
		}
		m.shareBusy = true
		on, ctrl := !m.sharing, m.cfg.Controls
		if on {
			m.say("Starting to share your screen…")
		}
		return m, func() tea.Msg { return shareDoneMsg{on: on, err: ctrl.ShareScreen(on)} }
	case key.Matches(msg, k.People):
		m.panel = toggle(m.panel, panelPeople)
	case key.Matches(msg, k.Chat):
		m.panel = toggle(m.panel, panelChat)
		if m.panel == panelChat {
			m.unread = 0
			return m, m.input.Focus()
		}
	case key.Matches(msg, k.Help):
		m.panel = toggle(m.panel, panelHelp)
	case key.Matches(msg, k.Left):
		m.sel = max(0, m.sel-1)
	case key.Matches(msg, k.Right):
		m.sel = min(max(0, len(ids)-1), m.sel+1)
	case key.Matches(msg, k.Up), key.Matches(msg, k.Down):
		g := m.grid()
		if key.Matches(msg, k.Up) {
			m.sel = max(0, m.sel-g.Cols)
		} else {
			m.sel = min(max(0, len(ids)-1), m.sel+g.Cols)
		}
	case key.Matches(msg, k.Pin):
		if m.sel < len(ids) {
			if m.pinned == ids[m.sel] {
				m.pinned = ""
			} else {
				m.pinned = ids[m.sel]
			}
		}
	case key.Matches(msg, k.Unpin):
		m.pinned = ""
	case key.Matches(msg, k.PrevPage) && m.spotScreen() != "":
		// With screens in the spotlight, [ and ] go through them.
		m.screenAt = (m.screenAt + len(m.screens) - 1) % len(m.screens)
	case key.Matches(msg, k.NextPage) && m.spotScreen() != "":
		m.screenAt = (m.screenAt + 1) % len(m.screens)
	case key.Matches(msg, k.PrevPage):
		m.page = max(0, m.page-1)
		m.sel = 0
	case key.Matches(msg, k.NextPage):
		m.page = min(m.grid().Pages-1, m.page+1)
		m.sel = 0
	case m.me.Host && key.Matches(msg, k.Lock):
		if m.room.Locked {
			m.cfg.Controls.Host("unlock", "")
		} else {
			m.cfg.Controls.Host("lock", "")
		}
	case m.me.Host && key.Matches(msg, k.Hide):
		if m.room.Visibility == "private" {
			m.cfg.Controls.Host("unhide", "")
		} else {
			m.cfg.Controls.Host("hide", "")
		}
	case m.me.Host && key.Matches(msg, k.Remove):
		if m.sel < len(ids) {
			p := m.people[ids[m.sel]]
			m.confirm = &confirm{action: "remove", target: p.ID, question: "Remove " + p.Name + " for good? They cannot come back. [y/n]"}
		}
	case m.me.Host && len(m.knocks) > 0 && key.Matches(msg, k.Admit):
		m.cfg.Controls.Host("admit", m.knocks[0].ID)
	case m.me.Host && len(m.knocks) > 0 && key.Matches(msg, k.Deny):
		kn := m.knocks[0]
		m.confirm = &confirm{action: "deny", target: kn.ID, question: "Turn " + kn.Name + " away? They cannot ask again. [y/n]"}
	case m.me.Host && key.Matches(msg, k.End):
		m.confirm = &confirm{action: "end", question: "End the room for everyone? [y/n]"}
	}
	return m, nil
}

func toggle(cur, p panel) panel {
	if cur == p {
		return panelNone
	}
	return p
}

// click pins the tile under the mouse.
func (m Model) click(msg tea.MouseClickMsg) (tea.Model, tea.Cmd) {
	g := m.grid()
	if g.TileW == 0 || g.TileH == 0 || m.spotScreen() != "" {
		return m, nil
	}
	w, h := m.gridSize()
	x := msg.X - (w-g.Cols*g.TileW)/2
	y := msg.Y - (h-g.Rows*g.TileH)/2
	if x < 0 || y < 0 {
		return m, nil
	}
	col, row := x/g.TileW, y/g.TileH
	i := row*g.Cols + col
	ids := m.visible()
	if col < g.Cols && i < len(ids) {
		m.sel = i
		if m.pinned == ids[i] {
			m.pinned = ""
		} else {
			m.pinned = ids[i]
		}
	}
	return m, nil
}

// ids lists the participants on tiles: everyone else, by arrival.
func (m Model) ids() []string {
	out := make([]string, 0, len(m.order))
	for _, id := range m.order {
		if _, ok := m.people[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// visible is the page of tiles shown now.
func (m Model) visible() []string {
	ids := m.ids()
	g := m.grid()
	from := min(len(ids), m.page*g.PerPage)
	to := min(len(ids), from+g.PerPage)
	return ids[from:to]
}

// shown is who has a tile on screen now: the page, or the spotlight.
func (m Model) shown() []string {
	if id := m.spotScreen(); id != "" {
		return append(m.stripIDs(), screenKey(id))
	}
	if m.pinned != "" {
		if _, ok := m.people[m.pinned]; ok {
			return m.ids() // the spotlight shows the pinned one and a strip of the others
		}
	}
	return m.visible()
}

// shownSizes is how large each shown tile's video is, in half-block
// pixels (w cells × 2h): the server picks the layer of a simulcast camera
// that fits it, so a terminal receives the smallest.
func (m Model) shownSizes() map[string]image.Point {
	w, h := m.gridSize()
	out := map[string]image.Point{}
	if id := m.spotScreen(); id != "" {
		sw, g, strip := m.stripFor(w, h)
		out[screenKey(id)] = image.Pt(w-sw, 2*h)
		for _, s := range strip {
			out[s] = image.Pt(g.VideoW, 2*g.VideoH)
		}
		return out
	}
	if _, ok := m.people[m.pinned]; ok && m.pinned != "" {
		// The spotlight (spotlight in view.go): the pinned one large, the
		// others in a strip a fifth as wide.
		out[m.pinned] = image.Pt(w, 2*h)
		g := Layout(max(len(m.people)-1, 1), max(20, w/5), h, 4, 3)
		for _, id := range m.ids() {
			if id != m.pinned {
				out[id] = image.Pt(g.VideoW, 2*g.VideoH)
			}
		}
		return out
	}
	g := m.grid()
	for _, id := range m.visible() {
		out[id] = image.Pt(g.VideoW, 2*g.VideoH)
	}
	return out
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
