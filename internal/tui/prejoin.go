package tui

import (
	"fmt"
	"image"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
)

// PrejoinConfig is what the pre-join screen shows.
type PrejoinConfig struct {
	Room  api.Room
	Theme api.Theme
	Name  string
	// Camera and Mic describe the sources ("test pattern", "/dev/video0"),
	// or say why there is none.
	Camera, Mic       string
	HasCamera, HasMic bool
	// Sound says where the call's sound goes.
	Sound string
	// Inbox is the newest notifications for this person's handle, as
	// lines, newest first.
	Inbox []string
	// Preview is the camera's latest frame; Level the mic's level (-dBov).
	Preview func() image.Image
	Level   func() uint8
	Profile termimg.Profile
	Now     func() time.Time
	// Knock: the room is locked and this is not its host, so joining
	// asks the host to let us in.
	Knock bool
}

// Choice is what the person chose on the pre-join screen.
type Choice int

// Choices.
const (
	ChoiceQuit Choice = iota
	ChoiceJoin
	ChoiceJoinCameraOff
)

// Prejoin is the screen before the call: name, sources with a live
// self-view and mic meter, join or join with the camera off. For a booked
// room it counts down and joins by itself at the opening time.
type Prejoin struct {
	cfg     PrejoinConfig
	w, h    int
	name    textinput.Model
	button  int // 0 join, 1 join with camera off
	choice  Choice
	waiting bool // chose to join a room that is not open yet
	now     time.Time
}

// NewPrejoin makes the pre-join screen.
func NewPrejoin(cfg PrejoinConfig) Prejoin {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Room = cleanRoom(cfg.Room)
	inbox := make([]string, len(cfg.Inbox))
	for i, l := range cfg.Inbox {
		inbox[i] = safetext.Line(l)
	}
	cfg.Inbox = inbox
	in := textinput.New()
	in.Placeholder = "your name"
	in.CharLimit = api.MaxNameRunes
	in.SetValue(cfg.Name)
	in.SetWidth(30)
	in.Focus()
	return Prejoin{cfg: cfg, name: in, now: cfg.Now()}
}

// Choice is what was chosen once the screen has quit.
func (p Prejoin) Choice() Choice { return p.choice }

// Name is the name typed.
func (p Prejoin) Name() string { return strings.TrimSpace(p.name.Value()) }

type prejoinTick time.Time

// Init starts the preview clock.
func (p Prejoin) Init() tea.Cmd {
	return tea.Batch(textinput.Blink, prejoinTicker())
}

func prejoinTicker() tea.Cmd {
	return tea.Tick(time.Second/15, func(t time.Time) tea.Msg { return prejoinTick(t) })
}

// opensIn is how long until a booked room opens, or 0.
func (p Prejoin) opensIn() time.Duration {
	if p.cfg.Room.State != "scheduled" {
		return 0
	}
	return max(0, p.cfg.Room.StartsAt.Sub(p.now))
}

// Update handles a message.
func (p Prejoin) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.w, p.h = msg.Width, msg.Height
		return p, nil
	case prejoinTick:
		p.now = p.cfg.Now()
		if p.waiting && p.opensIn() == 0 {
			return p, tea.Quit
		}
		return p, prejoinTicker()
	case tea.KeyPressMsg:
		switch msg.String() {
		case "ctrl+c", "esc":
			p.choice = ChoiceQuit
			return p, tea.Quit
		case "tab", "right", "left", "shift+tab":
			if p.cfg.HasCamera {
				p.button = 1 - p.button
			}
			return p, nil
		case "enter":
			if p.Name() == "" {
				return p, nil
			}
			p.choice = ChoiceJoin
			if p.button == 1 || !p.cfg.HasCamera {
				p.choice = ChoiceJoinCameraOff
			}
			if p.opensIn() > 0 {
				p.waiting = true
				return p, nil
			}
			return p, tea.Quit
		}
	}
	var cmd tea.Cmd
	p.name, cmd = p.name.Update(msg)
	return p, cmd
}

// View draws the pre-join card.
func (p Prejoin) View() tea.View {
	v := tea.NewView("")
	v.AltScreen = true
	if p.w == 0 {
		return v
	}
	head, join, joinOff := p.headLines()
	lines := append(head, "", "Your name", p.name.View(), "")
	lines = append(lines, p.sourceLines()...)
	lines = append(lines, p.choiceLines(join, joinOff)...)
	card := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(hex(p.cfg.Theme.Palette.Accent)).Padding(1, 3).
		Render(lipgloss.JoinVertical(lipgloss.Center, lines...))
	v.Content = lipgloss.Place(p.w, p.h, lipgloss.Center, lipgloss.Center, card)
	return v
}

// headLines are the room, who is in it or when it opens, and whether it is
// locked; and the buttons' labels (a locked room is asked, not joined).
func (p Prejoin) headLines() (lines []string, join, joinOff string) {
	pal := p.cfg.Theme.Palette
	accent := lipgloss.NewStyle().Foreground(hex(pal.Accent))
	faint := lipgloss.NewStyle().Faint(true)
	name := p.cfg.Room.Name
	if name == "" {
		name = p.cfg.Theme.Title
	}
	lines = []string{accent.Bold(true).Render(strings.TrimSpace(p.cfg.Theme.Emoji + " " + name)), faint.Render(p.cfg.Theme.Description), ""}
	switch d := p.opensIn(); {
	case d > 0:
		lines = append(lines, accent.Render("Opens in "+clock(d)+" — "+p.cfg.Room.StartsAt.Local().Format("Mon 2 Jan 15:04 MST")))
	case p.cfg.Room.Participants == 0:
		lines = append(lines, "Nobody is in the call yet.")
	default:
		lines = append(lines, fmt.Sprintf("%d in the call.", p.cfg.Room.Participants))
	}
	join, joinOff = "Join", "Join with camera off"
	switch {
	case p.cfg.Room.Locked && p.cfg.Knock:
		lines = append(lines, "The room is locked: joining asks the host to let you in.", faint.Render("(If you were in before, you go straight in.)"))
		join, joinOff = "Ask to join", "Ask with camera off"
	case p.cfg.Room.Locked:
		lines = append(lines, "The room is locked: only people who were in, and the host, can join.")
	}
	return lines, join, joinOff
}

// sourceLines are the self-view, the camera, the mic with its meter, where
// sound goes, and the inbox.
func (p Prejoin) sourceLines() []string {
	pal := p.cfg.Theme.Palette
	var lines []string
	if p.cfg.HasCamera && p.cfg.Preview != nil {
		if img := p.cfg.Preview(); img != nil {
			vw, vh := fit(min(40, p.w-4), min(12, p.h-20), 4, 3)
			if vw > 0 && vh > 0 {
				lines = append(lines, strings.Join(termimg.Render(img, vw, vh, p.cfg.Profile, rgb(pal.Background)), "\n"))
			}
		}
	}
	lines = append(lines, "📷 "+p.cfg.Camera)
	if p.cfg.HasMic && p.cfg.Level != nil {
		lines = append(lines, "🎤 "+p.cfg.Mic+"  "+meter(p.cfg.Level(), 20, pal.Accent))
	} else {
		lines = append(lines, "🎤 "+p.cfg.Mic)
	}
	lines = append(lines, "🔈 "+p.cfg.Sound, "")
	if len(p.cfg.Inbox) > 0 {
		lines = append(lines, lipgloss.NewStyle().Faint(true).Render("Your inbox (rooms inbox):"))
		for _, l := range p.cfg.Inbox {
			lines = append(lines, truncate(l, max(20, p.w-12)))
		}
		lines = append(lines, "")
	}
	return lines
}

// choiceLines are the buttons and their keys, or the wait for a booked
// room to open.
func (p Prejoin) choiceLines(join, joinOff string) []string {
	pal := p.cfg.Theme.Palette
	faint := lipgloss.NewStyle().Faint(true)
	if p.waiting {
		return []string{lipgloss.NewStyle().Foreground(hex(pal.Accent)).Render("Waiting for the room to open — you join by itself in " + clock(p.opensIn())), faint.Render("esc to give up")}
	}
	btn := func(label string, on bool) string {
		s := lipgloss.NewStyle().Padding(0, 2).Border(lipgloss.RoundedBorder()).BorderForeground(hex(pal.TileBorder))
		if on {
			s = s.BorderForeground(hex(pal.Accent)).Foreground(hex(pal.Accent)).Bold(true)
		}
		return s.Render(label)
	}
	if p.cfg.HasCamera {
		return []string{lipgloss.JoinHorizontal(lipgloss.Center, btn(join, p.button == 0), " ", btn(joinOff, p.button == 1)),
			faint.Render("enter joins · tab switches · esc quits")}
	}
	return []string{btn(join, true), faint.Render("enter joins · esc quits")}
}

// meter draws a level (-dBov, 0 loudest) as a bar of w cells: -60 dBov and
// below is empty.
func meter(level uint8, w int, colour string) string {
	fill := 0
	if level < 60 {
		fill = (60 - int(level)) * w / 60
	}
	return lipgloss.NewStyle().Foreground(hex(colour)).Render(strings.Repeat("█", fill)) +
		lipgloss.NewStyle().Faint(true).Render(strings.Repeat("░", w-fill))
}
