package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Mailer sends notification emails through one SMTP server, given as
// smtp://[user:password@]host:port?from=rooms@example.com (smtps:// for
// TLS from the start; smtp:// upgrades with STARTTLS when offered).
type Mailer struct {
	addr     string
	host     string
	implicit bool
	user     string
	pass     string
	from     string
	timeout  time.Duration
}

// NewMailer checks an SMTP URL. Its password never appears in errors.
func NewMailer(raw string) (*Mailer, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("--smtp-url must look like smtp://user:password@mail.example.com:587?from=rooms@example.com")
	}
	from := u.Query().Get("from")
	if _, err := mailAddress(from); err != nil {
		return nil, errors.New("--smtp-url needs ?from=ADDRESS, the sender of roomsd's emails")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	m := &Mailer{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), implicit: u.Scheme == "smtps", from: from, timeout: 30 * time.Second}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	return m, nil
}

func mailAddress(s string) (string, error) {
	if !strings.Contains(s, "@") || strings.ContainsAny(s, " <>\r\n") {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return s, nil
}

// MailError is a failed email delivery.
type MailError struct {
	Status    int // the SMTP code, 0 for network errors
	Retryable bool
	Reason    string
}

func (e *MailError) Error() string { return "email not delivered: " + e.Reason }

// Send delivers one email with an optional calendar attachment.
func (m *Mailer) Send(ctx context.Context, to, subject, body string, ics []byte) error {
	if _, err := mailAddress(to); err != nil {
		return &MailError{Reason: err.Error()}
	}
	msg, err := buildMail(m.from, to, subject, body, ics, time.Now())
	if err != nil {
		return &MailError{Reason: err.Error()}
	}
	d := net.Dialer{Timeout: m.timeout}
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return &MailError{Retryable: true, Reason: "reach the mail server: " + err.Error()}
	}
	_ = conn.SetDeadline(time.Now().Add(m.timeout))
	if m.implicit {
		conn = tls.Client(conn, &tls.Config{ServerName: m.host})
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return &MailError{Retryable: true, Reason: "talk to the mail server: " + err.Error()}
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !m.implicit {
		if err := c.StartTLS(&tls.Config{ServerName: m.host}); err != nil {
			return &MailError{Retryable: true, Reason: "STARTTLS: " + err.Error()}
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.pass, m.host)); err != nil {
			return smtpError("log in to the mail server", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return smtpError("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return smtpError("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return &MailError{Retryable: true, Reason: "send the message: " + err.Error()}
	}
	if err := w.Close(); err != nil {
		return smtpError("end of message", err)
	}
	_ = c.Quit()
	return nil
}

// smtpError: a 5xx answer is final, anything else is worth a retry.
func smtpError(what string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &MailError{Status: te.Code, Reason: what + ": " + te.Msg}
	}
	return &MailError{Retryable: true, Reason: what + ": " + err.Error()}
}

// buildMail makes the message: Date, a Message-ID of its own, MIME-Version,
// a subject encoded per RFC 2047, and the text alone or, with a calendar
// file, a multipart/alternative of the text and the text/calendar part
// whose method parameter is the file's METHOD (RFC 6047 §2.4 wants them
// equal; reading it from the file means they cannot disagree). go-mail
// writes the headers and the parts.
func buildMail(from, to, subject, body string, ics []byte, now time.Time) ([]byte, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("sender %q: %w", from, err)
	}
	if err := m.To(to); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", to, err)
	}
	m.Subject(subject)
	m.SetDateWithValue(now)
	m.SetMessageIDWithValue(messageID(from))
	text := strings.ReplaceAll(body, "\r\n", "\n")
	m.SetBodyString(gomail.TypeTextPlain, text)
	if len(ics) > 0 {
		method := icsMethod(ics)
		if method == "" {
			return nil, errors.New("the calendar file has no METHOD")
		}
		// go-mail appends "; charset=UTF-8" to the type.
		m.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(ics))
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("write the message: %w", err)
	}
	return b.Bytes(), nil
}

// messageID is a new Message-ID (without its angle brackets) in the
// sender's domain, as RFC 5322 §3.6.4 asks: 128 random bits at it.
func messageID(from string) string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	domain := from[strings.LastIndex(from, "@")+1:]
	return "rooms." + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r[:])) + "@" + domain
}

// icsMethod is the METHOD of a calendar file, or "".
func icsMethod(ics []byte) string {
	for line := range strings.SplitSeq(string(ics), "\r\n") {
		if v, ok := strings.CutPrefix(line, "METHOD:"); ok {
			return v
		}
		if line == "BEGIN:VEVENT" {
			break
		}
	}
	return ""
}

// emailFor turns a notification for attendee into a subject, a body and,
// for the events a calendar cares about, a calendar file: an iTIP REQUEST
// (a CANCEL when cancelled) from organizer, roomsd's sender. changed is
// when the event was enqueued (the room's change), which sets SEQUENCE.
func emailFor(payload []byte, organizer, attendee string, changed, now time.Time) (subject, body string, ics []byte, err error) {
	var n api.Notification
	if err := json.Unmarshal(payload, &n); err != nil {
		return "", "", nil, err
	}
	name := n.Room.Name
	if name == "" {
		th, _ := theme.Lookup(n.Room.Theme)
		name = strings.TrimSpace(th.Emoji + " " + th.Title)
	}
	loc, lerr := time.LoadLocation(n.Room.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	at := n.At.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	switch n.Type {
	case "invited":
		subject = "Invitation: " + name + ", " + at
	case "reminder":
		subject = "Reminder: " + name + " opens " + at
	case "room_open":
		subject = name + " is open now"
	case "rescheduled":
		subject = name + " moved to " + at
	case "cancelled":
		subject = "Cancelled: " + name + ", " + at
	case "ending_soon":
		subject = name + " ends soon"
	default:
		subject = name
	}
	body = subject + "\n\nJoin from a browser: " + n.Link + "\nOr from a terminal: rooms join " + n.Link + "\n"
	switch n.Type {
	case "invited", "reminder", "rescheduled", "cancelled":
		host := n.Link
		if u, err := url.Parse(n.Link); err == nil {
			host = u.Host
		}
		ics, err = ICS(Event{
			UID: n.Room.ID + "@" + host, Sequence: Sequence(n.Room.CreatedAt, changed),
			Start: n.At, Duration: time.Duration(n.Room.DurationSeconds) * time.Second, TZ: n.Room.TimeZone,
			Summary: name, Description: "Join: " + n.Link, URL: n.Link, Cancelled: n.Type == "cancelled", Stamp: now,
			OrganizerEmail: organizer, Attendee: attendee,
		})
		if err != nil {
			return "", "", nil, err
		}
	}
	return subject, body, ics, nil
}
