package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// smtpSink is a minimal SMTP server that keeps what it is sent.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
	code string // answer to RCPT, "250" unless a test says otherwise
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, code: "250"}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { c.Write([]byte(l + "\r\n")) }
	say("220 sink ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			s.mu.Lock()
			s.rcpt = append(s.rcpt, strings.TrimSpace(line))
			code := s.code
			s.mu.Unlock()
			say(code + " rcpt")
		case cmd == "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestMailerSendsAnInvitationWithACalendarFile(t *testing.T) {
	sink := newSMTPSink(t)
	m, err := NewMailer("smtp://" + sink.ln.Addr().String() + "?from=rooms@example.com")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)
	payload, _ := json.Marshal(api.Notification{Type: "invited", At: start, Link: "http://rooms.test/r/abc",
		Room: api.Room{ID: "abc", Name: "Aperitivo 🍹", Theme: "aperitivo", TimeZone: "Europe/Rome", StartsAt: start, CreatedAt: start.Add(-time.Hour)}})
	subject, body, ics, err := emailFor(payload, "rooms@example.com", "ann@example.com", start.Add(-time.Hour), start.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Invitation: Aperitivo 🍹, Thu 24 Dec 2026 19:00 CET" || !strings.Contains(body, "rooms join http://rooms.test/r/abc") || len(ics) == 0 {
		t.Fatalf("subject %q body %q ics %d bytes", subject, body, len(ics))
	}
	if err := m.Send(context.Background(), "ann@example.com", subject, body, ics); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.msgs) != 1 {
		t.Fatalf("%d messages arrived", len(sink.msgs))
	}
	msg, err := mail.ReadMessage(strings.NewReader(sink.msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	// The calendar is an alternative of the text (what calendar-aware
	// clients look for), no longer an attachment of a multipart/mixed.
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative") || msg.Header.Get("To") != "<ann@example.com>" {
		t.Fatalf("headers: %v", msg.Header)
	}
	if !strings.Contains(sink.msgs[0], "text/calendar; method=REQUEST") {
		t.Fatal("no calendar part")
	}
}

func TestMailerErrors(t *testing.T) {
	for _, bad := range []string{"http://x", "smtp://", "smtp://host:25", "smtp://host:25?from=nobody"} {
		if _, err := NewMailer(bad); err == nil {
			t.Errorf("NewMailer(%q) accepted", bad)
		}
	}
	sink := newSMTPSink(t)
	sink.code = "550"
	m, _ := NewMailer("smtp://" + sink.ln.Addr().String() + "?from=rooms@example.com")
	err := m.Send(context.Background(), "nobody@example.com", "s", "b", nil)
	me, ok := err.(*MailError)
	if !ok || me.Retryable || me.Status != 550 {
		t.Fatalf("a 550 to RCPT: %v, want a final MailError", err)
	}
	sink.code = "451"
	err = m.Send(context.Background(), "later@example.com", "s", "b", nil)
	if me, ok := err.(*MailError); !ok || !me.Retryable {
		t.Fatalf("a 451: %v, want a retryable MailError", err)
	}
	down, _ := NewMailer("smtp://127.0.0.1:1?from=rooms@example.com")
	if err := down.Send(context.Background(), "a@example.com", "s", "b", nil); err == nil || !err.(*MailError).Retryable {
		t.Fatalf("a mail server that is down: %v, want a retryable error", err)
	}
}
