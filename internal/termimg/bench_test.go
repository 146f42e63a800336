package termimg

import (
	"fmt"
	"image"
	"testing"
)

// BenchmarkRender measures a VP8-sized frame (320x240 4:2:0) into the tile
// sizes the call grid uses, reporting output bytes per frame. "pattern" has the
// flat areas of the test pattern; "gradient" changes colour at every cell, the
// worst case for run-length SGR.
func BenchmarkRender(b *testing.B) {
	images := []struct {
		name string
		img  image.Image
	}{
		{"pattern", toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420)},
		{"gradient", toYCbCr(gradient(320, 240), image.YCbCrSubsampleRatio420)},
	}
	sizes := [][2]int{{80, 24}, {40, 12}}
	for _, im := range images {
		for _, s := range sizes {
			for _, p := range []struct {
				name string
				p    Profile
			}{{"truecolor", TrueColor}, {"ansi256", ANSI256}} {
				if p.p != TrueColor && im.name != "pattern" {
					continue
				}
				b.Run(fmt.Sprintf("%s/%dx%d/%s", im.name, s[0], s[1], p.name), func(b *testing.B) {
					var r Renderer
					var n int
					b.ReportAllocs()
					for b.Loop() {
						lines := r.Render(im.img, s[0], s[1], p.p, tileBg)
						n = 0
						for _, l := range lines {
							n += len(l)
						}
					}
					b.ReportMetric(float64(n), "bytes/frame")
				})
			}
		}
	}
	b.Run("pattern-rgba/80x24/truecolor", func(b *testing.B) {
		img := pattern(320, 240)
		var r Renderer
		b.ReportAllocs()
		for b.Loop() {
			r.Render(img, 80, 24, TrueColor, tileBg)
		}
	})
	b.Run("pattern/80x24/package-Render", func(b *testing.B) {
		img := toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420)
		b.ReportAllocs()
		for b.Loop() {
			Render(img, 80, 24, TrueColor, tileBg)
		}
	})
}
