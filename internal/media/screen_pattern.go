package media

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
)

// The screen test pattern looks like a desktop, not a camera: four flat
// quadrants of known colour (what a receiver checks), and in the middle a
// white "document" of thin black lines, the fine detail screen encoding must
// keep legible, with a caret that moves so the encoder has something to send.
var screenQuadrants = [4]struct {
	name string
	c    color.RGBA
}{
	{"top-left teal", color.RGBA{0, 150, 136, 255}},
	{"top-right orange", color.RGBA{255, 112, 0, 255}},
	{"bottom-left purple", color.RGBA{103, 58, 183, 255}},
	{"bottom-right grey", color.RGBA{200, 200, 200, 255}},
}

// screenDoc is the middle "document" rectangle of a w x h screen pattern.
func screenDoc(w, h int) image.Rectangle {
	return image.Rect(w*3/8, h*3/8, w*5/8, h*5/8)
}

// ScreenPattern draws screen test-pattern frame number frame at w x h.
func ScreenPattern(w, h int, frame uint32) *image.RGBA {
	w, h = max(w, 0), max(h, 0)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return img
	}
	fillRect(img, 0, 0, w/2, h/2, screenQuadrants[0].c)
	fillRect(img, w/2, 0, w, h/2, screenQuadrants[1].c)
	fillRect(img, 0, h/2, w/2, h, screenQuadrants[2].c)
	fillRect(img, w/2, h/2, w, h, screenQuadrants[3].c)
	doc := screenDoc(w, h)
	fillRect(img, doc.Min.X, doc.Min.Y, doc.Max.X, doc.Max.Y, color.RGBA{255, 255, 255, 255})
	// "Text": 2-pixel lines every 6 pixels, of varying length.
	black := color.RGBA{0, 0, 0, 255}
	margin := max(doc.Dx()/16, 1)
	for i, y := 0, doc.Min.Y+margin; y+2 <= doc.Max.Y-margin; i, y = i+1, y+6 {
		end := doc.Max.X - margin - (i*37%5)*doc.Dx()/12
		fillRect(img, doc.Min.X+margin, y, max(end, doc.Min.X+margin), y+2, black)
	}
	// The caret sweeps the document's bottom edge, one step a frame.
	if span := doc.Dx() - 2*margin - 4; span > 0 {
		x := doc.Min.X + margin + int(uint64(frame)*4%uint64(span))
		fillRect(img, x, doc.Max.Y-margin, x+4, doc.Max.Y, color.RGBA{255, 0, 0, 255})
	}
	return img
}

// CheckScreenPattern reports which quadrants of a decoded screen pattern are
// off by more than ±48 per channel, and whether the document's lines
// survived (black and white both present, not blurred into grey).
func CheckScreenPattern(img image.Image) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 32 || h < 32 {
		return fmt.Errorf("image %dx%d is too small to hold a screen pattern", w, h)
	}
	r := max(min(w, h)/32, 1)
	spots := [4][2]int{{w / 8, h / 8}, {w * 7 / 8, h / 8}, {w / 8, h * 7 / 8}, {w * 7 / 8, h * 7 / 8}}
	var bad []string
	for i, s := range spots {
		got := averageRGB(img, b.Min.X+s[0]-r, b.Min.Y+s[1]-r, b.Min.X+s[0]+r+1, b.Min.Y+s[1]+r+1)
		want := screenQuadrants[i].c
		for c, v := range [3]uint8{want.R, want.G, want.B} {
			if d := got[c] - int(v); d > patternTolerance || d < -patternTolerance {
				bad = append(bad, fmt.Sprintf("%s at (%d,%d) is rgb(%d,%d,%d), want rgb(%d,%d,%d) ±%d",
					screenQuadrants[i].name, s[0], s[1], got[0], got[1], got[2], want.R, want.G, want.B, patternTolerance))
				break
			}
		}
	}
	// Down the document's left third, where every line is drawn, luma
	// must swing from near black to near white.
	doc := screenDoc(w, h)
	x := b.Min.X + doc.Min.X + doc.Dx()/8
	lo, hi := 255, 0
	for y := doc.Min.Y + doc.Dy()/8; y < doc.Max.Y-doc.Dy()/8; y++ {
		c := averageRGB(img, x, b.Min.Y+y, x+1, b.Min.Y+y+1)
		l := (299*c[0] + 587*c[1] + 114*c[2]) / 1000
		lo, hi = min(lo, l), max(hi, l)
	}
	if lo > 90 || hi < 170 {
		bad = append(bad, fmt.Sprintf("the document's lines are blurred (luma %d..%d, want below 90 and above 170)", lo, hi))
	}
	if bad != nil {
		return errors.New("not the screen pattern: " + strings.Join(bad, "; "))
	}
	return nil
}
