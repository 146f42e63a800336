package termgfx

import (
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/rooms-dev/rooms/internal/media"
)

// BenchmarkEncode is the cost of one frame per mode, and its bytes to the
// terminal (bytes/frame does not depend on the machine's load): the test
// pattern camera at a 9-tile size and the shared screen page at a
// spotlight size, for a 160x48 terminal of 7x17-pixel cells, both as the
// VP8 decoder hands them over (4:2:0).
func BenchmarkEncode(b *testing.B) {
	cases := []struct {
		name string
		img  image.Image
		w, h int
	}{
		{"camera-336x238", as420(media.Pattern(320, 240, 7, media.DefaultLabel)), 336, 238},
		{"screen-1000x562", as420(media.ScreenPattern(1920, 1080, 3)), 1000, 562},
	}
	for _, c := range cases {
		for _, mode := range []string{"kitty", "kitty-shm", "sixel"} {
			b.Run(fmt.Sprintf("%s/%s", c.name, mode), func(b *testing.B) {
				var s Scaler
				var e SixelEncoder
				var buf []byte
				size := c.img.Bounds().Size()
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					switch mode {
					case "kitty":
						w, h := NativeBox(c.w, c.h, size.X, size.Y)
						buf = AppendKittyImage(buf[:0], 1, 0, 0, 48, 14, s.Fit(c.img, w, h, color.RGBA{}), w, h, 0)
					case "kitty-shm":
						w, h := NativeBox(c.w, c.h, size.X, size.Y)
						rgb := s.Fit(c.img, w, h, color.RGBA{})
						buf = AppendKittyShm(buf[:0], 1, 0, 0, 48, 14, "rooms-tgp-1-1", len(rgb), w, h, 0)
					case "sixel":
						buf = e.Append(buf[:0], 0, 0, s.Fit(c.img, c.w, c.h, color.RGBA{}), c.w, c.h)
					}
				}
				b.ReportMetric(float64(len(buf)), "bytes/frame")
			})
		}
	}
}

// as420 is img as a 4:2:0 picture, what the VP8 decoder gives.
func as420(img *image.RGBA) *image.YCbCr {
	b := img.Bounds()
	out := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			o := img.PixOffset(x, y)
			yy, cb, cr := color.RGBToYCbCr(img.Pix[o], img.Pix[o+1], img.Pix[o+2])
			out.Y[out.YOffset(x, y)] = yy
			if x%2 == 0 && y%2 == 0 {
				c := out.COffset(x, y)
				out.Cb[c], out.Cr[c] = cb, cr
			}
		}
	}
	return out
}
