// Command paint draws frame N of the screen test pattern on an X display,
// for scripts that measure screen sharing (scripts/measure-screen).
//
//	go run ./internal/xvfbtest/paint -display :99 -size 1920x1080 -frame 7
package main

import (
	"flag"
	"fmt"
	"image"
	"os"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/xvfbtest"
)

func main() {
	display := flag.String("display", os.Getenv("DISPLAY"), "the X display to paint")
	size := flag.String("size", "1920x1080", "the display's size, WxH")
	frame := flag.Uint("frame", 0, "which frame of the pattern (the caret moves)")
	picture := flag.String("picture", "screen", "screen (the screen pattern), camera (the camera test pattern) or text (a page of dense pseudo-text, different for every frame)")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 32 || h < 32 {
		fmt.Fprintf(os.Stderr, "paint: -size %q: want WxH, such as 1920x1080\n", *size)
		os.Exit(2)
	}
	img := media.ScreenPattern(w, h, uint32(*frame))
	switch *picture {
	case "camera":
		img = media.Pattern(w, h, uint32(*frame), media.DefaultLabel)
	case "text":
		img = textPage(w, h, uint32(*frame))
	}
	if err := xvfbtest.Paint(*display, img); err != nil {
		fmt.Fprintln(os.Stderr, "paint:", err)
		os.Exit(1)
	}
}

// textPage is a white page of black pseudo-glyphs in 8x16 cells, the
// worst case for a shared screen: detail everywhere. Each frame is a
// different page.
func textPage(w, h int, frame uint32) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	seed := frame*2654435761 + 1
	next := func() uint32 { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed }
	for cy := 0; cy+16 <= h; cy += 16 {
		lineLen := int(next() % uint32(w/8))
		for cx := 0; cx < lineLen*8 && cx+8 <= w; cx += 8 {
			glyph := next()
			if glyph%7 == 0 {
				continue // a space
			}
			for y := 0; y < 10; y++ {
				for x := 0; x < 6; x++ {
					if glyph>>(uint(y*6+x)%32)&1 == 1 {
						o := img.PixOffset(cx+1+x, cy+3+y)
						img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 0, 0, 0
					}
				}
			}
		}
	}
	return img
}
