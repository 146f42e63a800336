package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Refusal is a client's offer, answer or candidate refused for what it
// would cost: the code and message to send it, and whether the
// connection closes after.
type Refusal struct {
	Code  api.Code
	Msg   string
	Fatal bool
}

func (r *Refusal) Error() string { return r.Msg }

func tooLarge(format string, args ...any) *Refusal {
	return &Refusal{Code: api.CodeTooLarge, Msg: fmt.Sprintf(format, args...)}
}

// sdpShape is what the cheap scan of an SDP's raw text counts.
type sdpShape struct {
	sections   int // m= lines
	candidates int // a=candidate lines
}

// scanSDP bounds a client's SDP on its raw text, before anything parses
// it: at most maxBytes, at most maxSections m= lines, at most
// maxCandidates a=candidate lines, and no a=ice-lite (the server is the
// lite side; two lite agents would pair without checks, and the server
// would send to whatever the client named). It reads each line once and
// stops at the first bound passed, so a hostile offer costs a few
// microseconds, not a parse.
func scanSDP(text string, maxBytes, maxSections, maxCandidates int) (sdpShape, error) {
	var sh sdpShape
	if len(text) > maxBytes {
		return sh, tooLarge("an SDP of %d bytes is over the bound of %d (MaxOfferBytes)", len(text), maxBytes)
	}
	for rest := text; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		// Parsers differ on stray spaces; count what any of them could
		// take for a section or a candidate.
		line = strings.TrimLeft(line, " \t\r")
		switch {
		case strings.HasPrefix(line, "m="):
			if sh.sections++; sh.sections > maxSections {
				return sh, tooLarge("an SDP with more than %d media sections (m= lines) is refused; a browser leaves one behind for each screen it stops sharing: reconnect to start afresh", maxSections)
			}
		case strings.HasPrefix(line, "a=candidate"):
			if sh.candidates++; sh.candidates > maxCandidates {
				return sh, tooLarge("an SDP with more than %d ICE candidates is refused", maxCandidates)
			}
		case strings.HasPrefix(line, "a=ice-lite"):
			return sh, &Refusal{Code: api.CodeInvalidArgument, Msg: "a client's SDP cannot be ICE-lite: the server is the lite side"}
		}
	}
	return sh, nil
}

// parseSDP parses an SDP that passed scanSDP and checks the parser saw
// no more than the scan did.
func parseSDP(text string, sh sdpShape) (*sdp.SessionDescription, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return nil, fmt.Errorf("read SDP: %w", err)
	}
	if len(d.MediaDescriptions) > sh.sections {
		return nil, tooLarge("an SDP with more media sections than m= lines is refused")
	}
	for _, a := range d.Attributes {
		if a.Key == sdp.AttrKeyICELite {
			return nil, &Refusal{Code: api.CodeInvalidArgument, Msg: "a client's SDP cannot be ICE-lite: the server is the lite side"}
		}
	}
	return &d, nil
}

// live counts the sections that are neither stopped (port 0) nor
// inactive.
func live(d *sdp.SessionDescription) int {
	n := 0
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue
		}
		if _, inactive := m.Attribute("inactive"); !inactive {
			n++
		}
	}
	return n
}

// sending lists the mids of the sections that would send media to the
// server: audio or video, a port other than 0, and a direction of
// sendrecv or sendonly (sendrecv when none is given).
func sending(d *sdp.SessionDescription) []string {
	var mids []string
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value == 0 || (m.MediaName.Media != "audio" && m.MediaName.Media != "video") {
			continue
		}
		send := true
		for _, a := range m.Attributes {
			switch a.Key {
			case "recvonly", "inactive":
				send = false
			}
		}
		if mid, ok := m.Attribute(sdp.AttrKeyMID); ok && send {
			mids = append(mids, mid)
		}
	}
	return mids
}
