package client

import (
	"fmt"
	"net/url"
	"strings"
)

// RoomRef is a room named on the command line: by link or by bare id.
type RoomRef struct {
	// Server is the link's base URL, or empty for a bare id.
	Server string
	ID     string
}

// ParseRoomRef reads a room link (http://host/r/ID) or a bare room id.
func ParseRoomRef(s string) (RoomRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return RoomRef{}, fmt.Errorf("no room given: pass a room link or id")
	}
	if !strings.Contains(s, "/") {
		if !validID(s) {
			return RoomRef{}, fmt.Errorf("%q is not a room id or link (a link looks like http://host:7880/r/ID)", s)
		}
		return RoomRef{ID: strings.ToLower(s)}, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return RoomRef{}, fmt.Errorf("%q is not a room link (a link looks like http://host:7880/r/ID)", s)
	}
	base, id, ok := strings.Cut(u.Path, "/r/")
	id = strings.TrimRight(id, "/")
	if !ok || !validID(id) {
		return RoomRef{}, fmt.Errorf("%q is not a room link: the path should end in /r/ followed by a 26-character id", s)
	}
	return RoomRef{Server: u.Scheme + "://" + u.Host + base, ID: strings.ToLower(id)}, nil
}

// validID mirrors the server's shape check; the server is the authority.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
