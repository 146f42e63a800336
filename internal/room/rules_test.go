package room

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	t0  = time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)
	lim = Limits{MaxCapacity: 50}
)

func openRoom() Room {
	return Room{ID: NewID(), Theme: "classic", Visibility: Public, Capacity: 3, State: Open, StartsAt: t0.Add(-time.Hour), TimeZone: "UTC"}
}

func TestAdmit(t *testing.T) {
	locked := openRoom()
	locked.Locked = true
	scheduled := openRoom()
	scheduled.State, scheduled.StartsAt = Scheduled, t0.Add(time.Hour)
	due := openRoom()
	due.State, due.StartsAt = Scheduled, t0.Add(-time.Second)
	ended := openRoom()
	ended.State = Ended
	timedOut := openRoom()
	timedOut.Duration = 30 * time.Minute

	tests := []struct {
		name   string
		room   Room
		joiner Joiner
		inCall int
		want   error
	}{
		{"a guest enters an open room with space", openRoom(), Joiner{}, 0, nil},
		{"a guest enters when one place is left", openRoom(), Joiner{}, 2, nil},
		{"a guest is refused at capacity", openRoom(), Joiner{}, 3, ErrFull},
		{"the host is refused at capacity too", openRoom(), Joiner{IsHost: true}, 3, ErrFull},
		{"a guest is refused by a lock", locked, Joiner{}, 0, ErrLocked},
		{"the host comes back through a lock", locked, Joiner{IsHost: true}, 1, nil},
		{"someone who was in comes back through a lock", locked, Joiner{Returning: true}, 1, nil},
		{"a returning key that was banned stays out", locked, Joiner{Returning: true, Banned: true}, 1, ErrBanned},
		{"a banned key is refused", openRoom(), Joiner{Banned: true}, 0, ErrBanned},
		{"a banned key is refused even with the host key", openRoom(), Joiner{Banned: true, IsHost: true}, 0, ErrBanned},
		{"a scheduled room refuses before its time", scheduled, Joiner{}, 0, ErrNotOpenYet},
		{"a scheduled room refuses its host before its time", scheduled, Joiner{IsHost: true}, 0, ErrNotOpenYet},
		{"a scheduled room admits once its time has come", due, Joiner{}, 0, nil},
		{"an ended room refuses everyone", ended, Joiner{IsHost: true}, 0, ErrEnded},
		{"a room past its duration has ended", timedOut, Joiner{}, 0, ErrEnded},
		{"ended wins over banned", ended, Joiner{Banned: true}, 0, ErrEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Admit(tt.room, tt.joiner, tt.inCall, t0)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Admit = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNotOpenYetSaysWhen(t *testing.T) {
	r := openRoom()
	r.State, r.StartsAt = Scheduled, t0.Add(90*time.Minute)
	var e *NotOpenYetError
	if err := Admit(r, Joiner{}, 0, t0); !errors.As(err, &e) || !e.At.Equal(r.StartsAt) {
		t.Fatalf("Admit = %v, want a NotOpenYetError at %v", err, r.StartsAt)
	}
}

func TestAuthorize(t *testing.T) {
	hostOnly := []Action{ActLock, ActUnlock, ActHide, ActUnhide, ActEdit, ActRemove, ActEnd, ActAdmit, ActDeny}
	for _, a := range hostOnly {
		if err := Authorize(a, true); err != nil {
			t.Errorf("the host may not %s: %v", a, err)
		}
		if err := Authorize(a, false); !errors.Is(err, ErrForbidden) {
			t.Errorf("a guest may %s: %v", a, err)
		}
	}
	for _, a := range []Action{ActView, ActJoin} {
		if err := Authorize(a, false); err != nil {
			t.Errorf("a guest may not %s: %v", a, err)
		}
	}
	for _, isHost := range []bool{true, false} {
		if err := Authorize("mute", isHost); !errors.Is(err, ErrForbidden) {
			t.Errorf("muting someone else is allowed (host=%v): %v", isHost, err)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		want      error
		wantState State
	}{
		{"defaults give an open public room of 50", Spec{Theme: "classic"}, nil, Open},
		{"a future start books the room", Spec{StartsAt: t0.Add(2 * time.Hour)}, nil, Scheduled},
		{"a start a few seconds ago means now", Spec{StartsAt: t0.Add(-10 * time.Second)}, nil, Open},
		{"a start in the past is refused", Spec{StartsAt: t0.Add(-time.Hour)}, ErrBadTime, ""},
		{"a start over a year ahead is refused", Spec{StartsAt: t0.Add(400 * 24 * time.Hour)}, ErrBadTime, ""},
		{"capacity above the server cap is refused", Spec{Capacity: 51}, ErrInvalid, ""},
		{"negative capacity is refused", Spec{Capacity: -1}, ErrInvalid, ""},
		{"capacity of one is fine", Spec{Capacity: 1}, nil, Open},
		{"a name of 81 characters is refused", Spec{Name: string(make([]rune, 81))}, ErrInvalid, ""},
		{"a name with a newline is refused", Spec{Name: "a\nb"}, ErrInvalid, ""},
		{"a name with the 8-bit CSI is refused", Spec{Name: "Friday\u009b31m drinks"}, ErrInvalid, ""},
		{"a name with a right-to-left override is refused", Spec{Name: "Friday \u202Egnp.exe"}, ErrInvalid, ""},
		{"a name with OSC 52 is refused", Spec{Name: "\x1b]52;c;ZXZpbA==\x07drinks"}, ErrInvalid, ""},
		{"a name with a zero-width space is refused", Spec{Name: "Fri\u200Bday"}, ErrInvalid, ""},
		{"a name with a tab is refused", Spec{Name: "a\tb"}, ErrInvalid, ""},
		{"a name of invalid UTF-8 is refused", Spec{Name: "a\xffb"}, ErrInvalid, ""},
		{"a name with emoji sequences is fine", Spec{Name: "👩\u200D💻 night 🏳\uFE0F\u200D🌈"}, nil, Open},
		{"an unknown visibility is refused", Spec{Visibility: "secret"}, ErrInvalid, ""},
		{"a duration of a second is refused", Spec{Duration: time.Second}, ErrInvalid, ""},
		{"a duration of two hours is fine", Spec{Duration: 2 * time.Hour}, nil, Open},
		{"an unknown zone is refused", Spec{TimeZone: "Mars/Olympus"}, ErrInvalid, ""},
		{"the Local zone is refused", Spec{TimeZone: "Local"}, ErrInvalid, ""},
		{"a real zone is kept", Spec{TimeZone: "Europe/Rome"}, nil, Open},
		{"screen shares left to the server", Spec{MaxScreenShares: 0}, nil, Open},
		{"one screen at a time is fine", Spec{MaxScreenShares: 1}, nil, Open},
		{"screen shares at the server cap are fine", Spec{MaxScreenShares: 10}, nil, Open},
		{"screen shares above the server cap are refused", Spec{MaxScreenShares: 11}, ErrInvalid, ""},
		{"screen shares above the absolute bound are refused", Spec{MaxScreenShares: 60}, ErrInvalid, ""},
		{"negative screen shares are refused", Spec{MaxScreenShares: -1}, ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New("id", []byte("h"), tt.spec, lim, t0)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("New = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if r.State != tt.wantState {
				t.Errorf("state = %s, want %s", r.State, tt.wantState)
			}
			if r.Capacity < 1 || r.Visibility == "" || r.TimeZone == "" || r.StartsAt.Location() != time.UTC {
				t.Errorf("defaults not filled: %+v", r)
			}
		})
	}
}

func TestApply(t *testing.T) {
	yes, no := true, false
	name := "  Friday drinks  "
	rlo := "Friday \u202Egnp.exe"
	priv := Private
	later := t0.Add(3 * time.Hour)
	past := t0.Add(-2 * time.Hour)
	big, zero := 51, 0
	two, eleven, minus := 2, 11, -1
	capped := func(n int) Room { r := openRoom(); r.MaxScreenShares = n; return r }
	short := 10 * time.Minute
	scheduled := func() Room { r := openRoom(); r.State, r.StartsAt = Scheduled, t0.Add(time.Hour); return r }
	ended := func() Room { r := openRoom(); r.State = Ended; return r }

	tests := []struct {
		name  string
		room  Room
		c     Change
		want  error
		check func(t *testing.T, r Room)
	}{
		{"lock", openRoom(), Change{Locked: &yes}, nil, func(t *testing.T, r Room) {
			if !r.Locked {
				t.Error("not locked")
			}
		}},
		{"unlock", func() Room { r := openRoom(); r.Locked = true; return r }(), Change{Locked: &no}, nil, func(t *testing.T, r Room) {
			if r.Locked {
				t.Error("still locked")
			}
		}},
		{"hide", openRoom(), Change{Visibility: &priv}, nil, func(t *testing.T, r Room) {
			if r.Visibility != Private {
				t.Error("still public")
			}
		}},
		{"rename trims spaces", openRoom(), Change{Name: &name}, nil, func(t *testing.T, r Room) {
			if r.Name != "Friday drinks" {
				t.Errorf("name %q", r.Name)
			}
		}},
		{"a rename to a right-to-left override is refused", openRoom(), Change{Name: &rlo}, ErrInvalid, nil},
		{"a room named before the rules can still be locked", func() Room { r := openRoom(); r.Name = "old\u202Ename"; return r }(), Change{Locked: &yes}, nil, func(t *testing.T, r Room) {
			if !r.Locked {
				t.Error("not locked")
			}
		}},
		{"reschedule a scheduled room", scheduled(), Change{StartsAt: &later}, nil, func(t *testing.T, r Room) {
			if !r.StartsAt.Equal(later) || r.State != Scheduled {
				t.Errorf("got %v %s", r.StartsAt, r.State)
			}
		}},
		{"open a scheduled room early", scheduled(), Change{StartsAt: &t0}, nil, func(t *testing.T, r Room) {
			if r.StateAt(t0) != Open {
				t.Errorf("state %s", r.StateAt(t0))
			}
		}},
		{"reschedule into the past is refused", scheduled(), Change{StartsAt: &past}, ErrBadTime, nil},
		{"reschedule an open room is refused", openRoom(), Change{StartsAt: &later}, ErrBadTime, nil},
		{"capacity above the cap is refused", openRoom(), Change{Capacity: &big}, ErrInvalid, nil},
		{"capacity zero is refused", openRoom(), Change{Capacity: &zero}, ErrInvalid, nil},
		{"a duration that has already run out is refused", openRoom(), Change{Duration: &short}, ErrInvalid, nil},
		{"an ended room cannot change", ended(), Change{Locked: &yes}, ErrEnded, nil},
		{"cap screen shares", openRoom(), Change{MaxScreenShares: &two}, nil, func(t *testing.T, r Room) {
			if r.MaxScreenShares != 2 {
				t.Errorf("max screen shares %d", r.MaxScreenShares)
			}
		}},
		{"0 hands screen shares back to the server", capped(2), Change{MaxScreenShares: &zero}, nil, func(t *testing.T, r Room) {
			if r.MaxScreenShares != 0 {
				t.Errorf("max screen shares %d", r.MaxScreenShares)
			}
		}},
		{"screen shares above the server cap are refused", openRoom(), Change{MaxScreenShares: &eleven}, ErrInvalid, nil},
		{"negative screen shares are refused", openRoom(), Change{MaxScreenShares: &minus}, ErrInvalid, nil},
		// The server was restarted with a lower cap: other edits still work.
		{"a cap above a lowered server cap does not block a lock", capped(20), Change{Locked: &yes}, nil, func(t *testing.T, r Room) {
			if !r.Locked || r.MaxScreenShares != 20 {
				t.Errorf("locked %v, max screen shares %d", r.Locked, r.MaxScreenShares)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.room
			before := r
			err := Apply(&r, tt.c, lim, t0)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Apply = %v, want %v", err, tt.want)
			}
			if err != nil {
				if r.Name != before.Name || r.Locked != before.Locked || !r.StartsAt.Equal(before.StartsAt) || r.Capacity != before.Capacity ||
					r.MaxScreenShares != before.MaxScreenShares {
					t.Errorf("a refused change altered the room: %+v", r)
				}
				return
			}
			tt.check(t, r)
		})
	}
}

func TestNewRefusesScreenSharesNamingTheServerCap(t *testing.T) {
	_, err := New("id", nil, Spec{MaxScreenShares: 60}, Limits{MaxCapacity: 50, MaxScreenShares: 4}, t0)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "between 1 and 4 (the server's cap)") || !strings.Contains(err.Error(), "not 60") {
		t.Fatalf("New = %v, want a refusal naming the server's cap of 4", err)
	}
}

func TestScreenShareCap(t *testing.T) {
	tests := []struct {
		name         string
		room, server int
		want         int
	}{
		{"a room without a cap follows the server", 0, 10, 10},
		{"a room's lower cap wins", 1, 10, 1},
		{"a room's cap equal to the server's", 10, 10, 10},
		{"a lowered server cap wins over a room's higher one", 8, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Room{MaxScreenShares: tt.room}).ScreenShareCap(tt.server); got != tt.want {
				t.Fatalf("ScreenShareCap(%d) with room cap %d = %d, want %d", tt.server, tt.room, got, tt.want)
			}
		})
	}
}

func TestEnd(t *testing.T) {
	r := openRoom()
	if err := End(&r, t0); err != nil {
		t.Fatal(err)
	}
	if r.State != Ended || !r.EndedAt.Equal(t0) {
		t.Fatalf("after End: %+v", r)
	}
	if err := End(&r, t0); !errors.Is(err, ErrEnded) {
		t.Fatalf("ending twice = %v, want ErrEnded", err)
	}
}

func TestKeys(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID made %q, which ValidID refuses", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
	key, hash := NewHostKey()
	r := Room{HostKeyHash: hash}
	if !r.IsHost(key) {
		t.Fatal("the room's own host key is refused")
	}
	other, _ := NewHostKey()
	for _, k := range []string{"", other, key[:len(key)-1], key + "x"} {
		if r.IsHost(k) {
			t.Errorf("IsHost(%q) = true", k)
		}
	}
	if (Room{}).IsHost("") {
		t.Error("an empty key matches a room without a hash")
	}
	for _, bad := range []string{"", "short", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxy1", "abcdefghijklmnopqrstuvwxyz2"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
