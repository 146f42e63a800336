package media

import "fmt"

// openMicrophone always fails in this version: mediadevices' microphone
// driver (malgo/miniaudio) is not imported at all, because compiling
// miniaudio is most of a clean build (about 60 s) and, on machines without a
// sound card, capturing from the ALSA "null" device it registers panics. A
// later change adds it behind a build tag, with a check that a real capture
// device exists before opening it.
func openMicrophone(o AudioOptions) error {
	what := "microphone capture is not built into this version of rooms"
	if o.Source != "" && o.Source != "mic" {
		what = fmt.Sprintf("%q: %s", o.Source, what)
	}
	return fmt.Errorf("no microphone found (%s); --audio testsrc plays a test tone", what)
}
