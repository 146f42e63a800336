package tui

import (
	"fmt"
	"image"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/termgfx"
	"github.com/rooms-dev/rooms/internal/termimg"
)

// In kitty or sixel mode (Config.Graphics set) the call screen draws the
// same layout, but every video it would draw in half blocks is left as
// blank cells in the background colour, and a termgfx.Painter draws the
// picture over them at the terminal's resolution. The screen tells the
// painter where those cells are (slots) whenever they move, from the same
// geometry View draws.

// selfKey is the self-view's key among the painter's slots.
const selfKey = "self:"

// graphics is the painter, or nil in half-block mode.
func (m Model) graphics() *termgfx.Painter { return m.cfg.Graphics }

// blank is the cells a picture goes over.
func (m Model) blank(vw, vh int) []string {
	pal := m.cfg.Theme.Palette
	return termimg.Placeholder(vw, vh, "", rgb(pal.Text), rgb(pal.Background), m.cfg.Profile)
}

// videoRect is where a tile's video is drawn, in screen cells: View
// centres it in the space above the name line, inside the border.
func videoRect(t placed) image.Rectangle {
	innerW, innerH := max(1, t.At.Dx()-tileChromeW), max(1, t.At.Dy()-2)
	x := t.At.Min.X + 1 + max(0, innerW-t.Video.X)/2
	y := t.At.Min.Y + 1 + max(0, innerH-1-t.Video.Y)/2
	return image.Rect(x, y, x+t.Video.X, y+t.Video.Y)
}

// slots are the pictures on screen now and where they go: the tiles
// whose video View leaves blank, the shared screen, the self-view.
func (m Model) slots() []termgfx.Slot {
	if m.ended || m.w == 0 || m.h == 0 {
		return nil
	}
	var out []termgfx.Slot
	geo := m.geo
	if geo.Mode == modeAlone {
		return nil
	}
	for _, t := range geo.Tiles {
		if m.showsVideo(t.ID) && t.Video.X > 0 && t.Video.Y > 0 {
			out = append(out, termgfx.Slot{Key: t.ID, At: videoRect(t)})
		}
	}
	if s := geo.Screen; s.ID != "" && s.Video.X > 0 && s.Video.Y > 0 {
		if img, _ := m.cfg.Frames.Get(s.ID); img != nil {
			at := s.At.Min.Add(image.Pt(1, 1))
			out = append(out, termgfx.Slot{Key: s.ID, At: image.Rectangle{Min: at, Max: at.Add(s.Video)}, Compress: true})
		}
	}
	if at := geo.Self; !at.Empty() && m.selfView() != nil {
		min := at.Min.Add(image.Pt(1, 1))
		out = append(out, termgfx.Slot{Key: selfKey, At: image.Rectangle{Min: min, Max: min.Add(image.Pt(selfW, selfH))}, Z: 1})
	}
	return out
}

// showsVideo says whether View draws a participant's video (rather than
// their initials): a frame has come and their camera is on.
func (m Model) showsVideo(id string) bool {
	p := m.people[id]
	if p == nil || p.Muted.Video {
		return false
	}
	img, _ := m.cfg.Frames.Get(id)
	return img != nil
}

// syncGraphics tells the painter where the pictures go now. When they
// moved in sixel mode, the screen is cleared and drawn again: sixel
// pictures stay on the terminal until text is written over them, and the
// renderer writes only the cells that changed.
func (m Model) syncGraphics() tea.Cmd {
	g := m.graphics()
	if g == nil {
		return nil
	}
	if g.SetSlots(m.slots()) && g.Caps().Mode == termgfx.Sixel {
		return tea.ClearScreen
	}
	return nil
}

// GraphicsSource is what the painter draws for each slot: the frame store,
// and the local camera's preview for the self-view (a new picture five
// times a second).
func GraphicsSource(frames *Frames, self func() image.Image) termgfx.Source {
	return func(key string) (image.Image, uint64) {
		if key == selfKey {
			if self == nil {
				return nil, 0
			}
			return self(), uint64(time.Now().UnixMilli() / 200)
		}
		return frames.Get(key)
	}
}

// graphicsSizes is how large each shown video is drawn, in the terminal's
// pixels, for the server's choice of layer.
func (m Model) graphicsSizes(half map[string]image.Point) map[string]image.Point {
	cell := m.graphics().Cell()
	for id, p := range half {
		half[id] = image.Pt(p.X*cell.X, p.Y/2*cell.Y)
	}
	return half
}

// graphicsStatus is the mode and the real frame rate, for the status bar.
func (m Model) graphicsStatus() string {
	g := m.graphics()
	if g == nil {
		return ""
	}
	return fmt.Sprintf("%s %.0f fps · ", g.Caps().Mode, m.fps)
}
