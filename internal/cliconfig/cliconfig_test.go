package cliconfig

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTripAndMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms", FileName)
	f, err := Load(path)
	if err != nil {
		t.Fatalf("a missing file: %v", err)
	}
	for _, kv := range [][3]string{
		{"", KeyServer, "https://a.example"},
		{"work", KeyServer, "https://w.example"},
		{"work", KeyCreateToken, "rct_w"},
		{"", KeyCreateToken, "rct_top"},
	} {
		if err := f.Set(kv[0], kv[1], kv[2]); err != nil {
			t.Fatal(err)
		}
	}
	// A file someone made readable by others is written back 0600.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		profile, key, want, from string
	}{
		{"", KeyServer, "https://a.example", "top"},
		{"work", KeyServer, "https://w.example", "profile"},
		{"work", KeyCreateToken, "rct_w", "profile"},
		{"", KeyCreateToken, "rct_top", "top"},
	}
	for _, tt := range tests {
		v, from, err := g.Get(tt.profile, tt.key)
		if err != nil || v != tt.want || from != tt.from {
			t.Errorf("Get(%q, %q) = %q, %q, %v; want %q from %q", tt.profile, tt.key, v, from, err, tt.want, tt.from)
		}
	}
	// What a profile leaves out comes from the top level.
	if err := g.Set("work", KeyCreateToken, ""); err != nil {
		t.Fatal(err)
	}
	if v, from, _ := g.Get("work", KeyCreateToken); v != "rct_top" || from != "top" {
		t.Errorf("unset in the profile: %q from %q, want the top level's", v, from)
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not TOML", "server = [\n"},
		{"unknown key", "sever = \"x\"\n"},
		{"unknown key in a profile", "[profiles.work]\ntoken = \"x\"\n"},
		{"bad profile name", "[profiles.\"a b\"]\nserver = \"x\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil {
				t.Error("loaded")
			}
		})
	}
}
