package media

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/camera" // V4L2 cameras, registered from /dev at start-up
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	xdraw "golang.org/x/image/draw"
)

// cameraGlob is where V4L2 devices appear; a variable so tests can point it elsewhere.
var cameraGlob = "/dev/video*"

func noCamera(why string) error {
	return fmt.Errorf("no camera found (%s); --video testsrc shows a test pattern", why)
}

// openCamera finds the camera o.Source names ("" or "camera" for the default)
// and checks the device files first, because mediadevices alone answers a
// missing camera with only "failed to find the best driver that fits the
// constraints".
func openCamera(o VideoOptions, selector *mediadevices.CodecSelector) (mediadevices.Track, error) {
	want := o.Source
	if want == "camera" {
		want = ""
	}
	if strings.HasPrefix(want, "/") {
		if _, err := os.Stat(want); err != nil {
			return nil, noCamera(want + " does not exist")
		}
	}
	if devs, _ := filepath.Glob(cameraGlob); len(devs) == 0 {
		return nil, noCamera("no " + cameraGlob + " device")
	}
	d := findCamera(want)
	if d == nil {
		if want == "" {
			return nil, noCamera("no V4L2 camera among the video devices")
		}
		return nil, noCamera(fmt.Sprintf("no V4L2 camera matches %q", want))
	}

	stream, err := mediadevices.GetUserMedia(mediadevices.MediaStreamConstraints{
		Video: func(c *mediadevices.MediaTrackConstraints) {
			c.DeviceID = prop.StringExact(d.ID())
			c.Width = prop.Int(o.Width)
			c.Height = prop.Int(o.Height)
			c.FrameRate = prop.Float(o.FPS)
		},
		Codec: selector,
	})
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", d.Info().Label, err)
	}
	tracks := stream.GetVideoTracks()
	if len(tracks) != 1 {
		for _, t := range tracks {
			_ = t.Close()
		}
		return nil, fmt.Errorf("camera %s: got %d video tracks", d.Info().Label, len(tracks))
	}
	t := tracks[0]
	if vt, ok := t.(*mediadevices.VideoTrack); ok {
		// Cameras offer a fixed list of modes and may run faster than asked:
		// hold the encoder to the size and rate the caller chose.
		vt.Transform(video.Throttle(float32(o.FPS)), resizeTo(o.Width, o.Height))
	}
	return t, nil
}

// findCamera matches want against the labels the camera driver registers,
// "<name>;<device it links to>", e.g. "video0;video0" or
// "usb-Logitech_HD-video-index0;video0"; "" picks the preferred camera.
func findCamera(want string) driver.Driver {
	cams := driver.GetManager().Query(driver.FilterAnd(
		driver.FilterVideoRecorder(), driver.FilterDeviceType(driver.Camera)))
	if len(cams) == 0 {
		return nil
	}
	if want == "" {
		best := cams[0]
		for _, c := range cams[1:] {
			if c.Info().Priority > best.Info().Priority {
				best = c
			}
		}
		return best
	}
	names := map[string]bool{want: true, filepath.Base(want): true}
	if real, err := filepath.EvalSymlinks(want); err == nil {
		names[filepath.Base(real)] = true
	}
	for _, c := range cams {
		label := c.Info().Label
		if names[label] {
			return c
		}
		for part := range strings.SplitSeq(label, ";") {
			if names[part] {
				return c
			}
		}
	}
	return nil
}

// resizeTo scales frames that are not already w x h.
func resizeTo(w, h int) video.TransformFunc {
	return func(r video.Reader) video.Reader {
		return video.ReaderFunc(func() (image.Image, func(), error) {
			img, release, err := r.Read()
			if err != nil || (img.Bounds().Dx() == w && img.Bounds().Dy() == h) {
				return img, release, err
			}
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
			release()
			return dst, func() {}, nil
		})
	}
}
