package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

// The sd_notify states roomsd sends (systemd.service Type=notify).
const (
	notifyReady    = "READY=1"
	notifyStopping = "STOPPING=1"
)

// notifyTimeout bounds one notification when the context has no deadline:
// a full socket buffer must not hold up start or shutdown.
const notifyTimeout = 2 * time.Second

// sdNotify tells the service manager listening on $NOTIFY_SOCKET about
// state, one datagram as sd_notify(3) sends it. It does nothing when the
// variable is unset (roomsd not started by systemd). A name starting
// with '@' is an abstract socket; Go's net package maps it.
func sdNotify(ctx context.Context, socket, state string) error {
	if socket == "" {
		return nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return fmt.Errorf("tell the service manager %s: NOTIFY_SOCKET=%q is neither a path nor an abstract name (@...)", state, socket)
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unixgram", socket)
	if err != nil {
		return fmt.Errorf("tell the service manager %s: %w", state, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(dl)
	}
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("tell the service manager %s: %w", state, err)
	}
	return nil
}

// notifySocket is the service manager's socket, empty outside systemd.
func notifySocket() string { return os.Getenv("NOTIFY_SOCKET") }
