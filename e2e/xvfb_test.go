//go:build e2e

package e2e

import (
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/xvfbtest"
)

// xvfb VAR W H starts a virtual X display of W x H with the screen test
// pattern painted on it, and sets $VAR to it (":N"). It stops with the
// script.
func xvfbCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: xvfb VAR WIDTH HEIGHT")
	}
	w, err := strconv.Atoi(args[1])
	ts.Check(err)
	h, err := strconv.Atoi(args[2])
	ts.Check(err)
	display, stop, err := xvfbtest.Run(w, h)
	ts.Check(err)
	ts.Defer(stop)
	ts.Check(xvfbtest.Paint(display, media.ScreenPattern(w, h, 0)))
	ts.Setenv(args[0], display)
}

// interrupt NAME sends Ctrl-C (SIGINT) to a background command, as a person
// leaving would; waitexit then checks how it ended.
func interruptCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: interrupt NAME")
	}
	v, ok := bgProcs.Load(ts.MkAbs(args[0]))
	if !ok {
		ts.Fatalf("no background command %s", args[0])
	}
	ts.Check(v.(*bgProc).cmd.Process.Signal(os.Interrupt))
}
