package cli

import (
	"fmt"
	"io"
)

// progress shows a long command's running status on w (stderr): on a
// terminal one line rewritten in place, elsewhere (a pipe, a CI log) one
// plain line each, with no escape codes.
type progress struct {
	w       io.Writer
	tty     bool
	written bool
}

// update shows s.
func (p *progress) update(s string) {
	p.written = true
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", s)
		return
	}
	fmt.Fprintln(p.w, s)
}

// done ends the line being rewritten, if any.
func (p *progress) done() {
	if p.tty && p.written {
		fmt.Fprintln(p.w)
	}
}
