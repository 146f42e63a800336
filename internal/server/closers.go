package server

import (
	"errors"
	"fmt"
	"net"
)

// closers are what Start opened, in the order it opened them. close runs
// them in reverse, so each part closes before what it uses: on an error
// part way through Start, and when Serve ends.
type closers []closer

type closer struct {
	what  string // "the store": as an error names it
	close func() error
}

func (c *closers) add(what string, close func() error) {
	*c = append(*c, closer{what: what, close: close})
}

// close runs every closer, last first, even after one fails, and returns
// their errors, each saying what it was closing.
func (c closers) close() error {
	var errs []error
	for i := len(c) - 1; i >= 0; i-- {
		if err := c[i].close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", c[i].what, err))
		}
	}
	return errors.Join(errs...)
}

// ignoreClosed drops the error of closing what was closed already.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
