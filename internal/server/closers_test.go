package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
)

func TestClosersRunLastFirstAndReportEveryError(t *testing.T) {
	var ran []string
	var c closers
	for _, name := range []string{"the store", "the media socket", "the listener", "the calls"} {
		c.add(name, func() error {
			ran = append(ran, name)
			if name == "the store" || name == "the listener" {
				return fmt.Errorf("%s broke", name)
			}
			return nil
		})
	}
	err := c.close()
	if want := []string{"the calls", "the listener", "the media socket", "the store"}; !slices.Equal(ran, want) {
		t.Fatalf("closed %v, want %v", ran, want)
	}
	for _, msg := range []string{"close the listener: the listener broke", "close the store: the store broke"} {
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("close = %v, want it to say %q", err, msg)
		}
	}
	if err := ignoreClosed(fmt.Errorf("accept: %w", net.ErrClosed)); err != nil {
		t.Fatalf("closing a closed listener: %v", err)
	}
}

// freePorts finds a TCP and a UDP port nobody listens on now.
func freePorts(t *testing.T) (tcp string, udp int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, udp = ln.Addr().String(), pc.LocalAddr().(*net.UDPAddr).Port
	ln.Close()
	pc.Close()
	return tcp, udp
}

// TestStartFailingLateClosesWhatItOpened: a Start refused at its last
// check (the mail server's URL) has opened the store, the media socket and
// the listener; they are closed again, so the same data directory and
// ports start at once (and goleak sees no goroutine left).
func TestStartFailingLateClosesWhatItOpened(t *testing.T) {
	tcp, udp := freePorts(t)
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = tcp, t.TempDir(), udp
	cfg.SMTPURL = "mail.example.com"
	log := slog.New(slog.DiscardHandler)
	if _, err := Start(context.Background(), cfg, log, io.Discard); err == nil || !strings.Contains(err.Error(), "--smtp-url") {
		t.Fatalf("Start with a bad --smtp-url = %v", err)
	}
	cfg.SMTPURL = ""
	srv, err := Start(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("Start again on the same directory and ports: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
