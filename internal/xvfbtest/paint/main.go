// Command paint draws frame N of the screen test pattern on an X display,
// for scripts that measure screen sharing (scripts/measure-screen,
// scripts/termgfx-measure).
//
//	go run ./internal/xvfbtest/paint -display :99 -size 1920x1080 -frame 7
//	go run ./internal/xvfbtest/paint -display :99 -picture scroll -every 100ms
//
// With -every it paints frame after frame until it is killed.
package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"time"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/xvfbtest"
)

func main() {
	display := flag.String("display", os.Getenv("DISPLAY"), "the X display to paint")
	size := flag.String("size", "1920x1080", "the display's size, WxH")
	frame := flag.Uint("frame", 0, "which frame of the pattern (the caret moves)")
	picture := flag.String("picture", "screen", "screen (the screen pattern), camera (the camera test pattern), text (a page of dense pseudo-text, different for every frame) or scroll (the screen pattern with its document scrolling, 2 pixels a frame)")
	every := flag.Duration("every", 0, "paint the next frame this often until killed (0: paint -frame once)")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 32 || h < 32 {
		fmt.Fprintf(os.Stderr, "paint: -size %q: want WxH, such as 1920x1080\n", *size)
		os.Exit(2)
	}
	switch *picture {
	case "screen", "camera", "text", "scroll":
	default:
		fmt.Fprintf(os.Stderr, "paint: -picture %q: want screen, camera, text or scroll\n", *picture)
		os.Exit(2)
	}
	if *every < 0 {
		fmt.Fprintf(os.Stderr, "paint: -every %s: want a positive interval, or 0 to paint once\n", *every)
		os.Exit(2)
	}
	for n := uint32(*frame); ; n++ {
		if err := xvfbtest.Paint(*display, draw(*picture, w, h, n)); err != nil {
			fmt.Fprintln(os.Stderr, "paint:", err)
			os.Exit(1)
		}
		if *every == 0 {
			return
		}
		time.Sleep(*every)
	}
}

// draw is frame n of a picture.
func draw(picture string, w, h int, n uint32) *image.RGBA {
	switch picture {
	case "camera":
		return media.Pattern(w, h, n, media.DefaultLabel)
	case "text":
		return textPage(w, h, n)
	case "scroll":
		return scrolled(media.ScreenPattern(w, h, 0), n)
	}
	return media.ScreenPattern(w, h, n)
}

// scrolled moves the screen pattern's document (its middle quarter, the
// page of "text" lines) up 2 pixels a frame, wrapping round: a page being
// read, every line of it moving, the quadrants round it still.
func scrolled(img *image.RGBA, n uint32) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	doc := image.Rect(w*3/8, h*3/8, w*5/8, h*5/8) // media.screenDoc
	dh := doc.Dy()
	if dh < 1 {
		return img
	}
	shift := int(n*2) % dh
	rows := make([][]byte, dh)
	for y := range dh {
		o := img.PixOffset(doc.Min.X, doc.Min.Y+y)
		rows[y] = append([]byte(nil), img.Pix[o:o+doc.Dx()*4]...)
	}
	for y := range dh {
		copy(img.Pix[img.PixOffset(doc.Min.X, doc.Min.Y+y):], rows[(y+shift)%dh])
	}
	return img
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
