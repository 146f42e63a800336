package client

import "testing"

func TestParseRoomRef(t *testing.T) {
	const id = "rotdhtxmdvkhvb6wze22ebfrom"
	tests := []struct {
		name       string
		in         string
		wantServer string
		wantID     string
		wantErr    bool
	}{
		{"a bare id", id, "", id, false},
		{"a bare id in capitals", "ROTDHTXMDVKHVB6WZE22EBFROM", "", id, false},
		{"a link", "http://127.0.0.1:7880/r/" + id, "http://127.0.0.1:7880", id, false},
		{"a link with a trailing slash", "https://rooms.example.com/r/" + id + "/", "https://rooms.example.com", id, false},
		{"a link under a path prefix", "https://example.com/rooms/r/" + id, "https://example.com/rooms", id, false},
		{"a link with a host fragment", "http://h:1/r/" + id + "#host=rhk_x", "http://h:1", id, false},
		{"surrounding spaces", "  " + id + "\n", "", id, false},
		{"empty", "", "", "", true},
		{"a short id", "abc", "", "", true},
		{"an id with a 1", "1otdhtxmdvkhvb6wze22ebfrom", "", "", true},
		{"a link without /r/", "http://h:1/x/" + id, "", "", true},
		{"a link with a bad id", "http://h:1/r/abc", "", "", true},
		{"another scheme", "ftp://h/r/" + id, "", "", true},
		{"no host", "http:///r/" + id, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRoomRef(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRoomRef(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got.Server != tt.wantServer || got.ID != tt.wantID {
				t.Fatalf("ParseRoomRef(%q) = %+v, want server %q id %q", tt.in, got, tt.wantServer, tt.wantID)
			}
		})
	}
}

func TestParseServer(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"http://127.0.0.1:7880", "http://127.0.0.1:7880", false},
		{"127.0.0.1:7880", "http://127.0.0.1:7880", false},
		{"https://rooms.example.com/", "https://rooms.example.com", false},
		{"", "", true},
		{"ftp://x", "", true},
		{"http://x?y=1", "", true},
	}
	for _, tt := range tests {
		u, err := ParseServer(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseServer(%q) error = %v", tt.in, err)
			continue
		}
		if err == nil && u.String() != tt.want {
			t.Errorf("ParseServer(%q) = %s, want %s", tt.in, u, tt.want)
		}
	}
}
