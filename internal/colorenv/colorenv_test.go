package colorenv

import "testing"

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		tty  bool
		env  map[string]string
		want bool
	}{
		{"terminal", Auto, true, nil, true},
		{"pipe", Auto, false, nil, false},
		{"NO_COLOR=1", Auto, true, map[string]string{"NO_COLOR": "1"}, false},
		{"NO_COLOR empty is unset", Auto, true, map[string]string{"NO_COLOR": ""}, true},
		{"TERM=dumb", Auto, true, map[string]string{"TERM": "dumb"}, false},
		{"CLICOLOR_FORCE on a pipe", Auto, false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE=0 forces nothing", Auto, false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"CLICOLOR_FORCE beats NO_COLOR", Auto, true, map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, true},
		{"always on a pipe", Always, false, map[string]string{"NO_COLOR": "1"}, true},
		{"never on a terminal", Never, true, map[string]string{"CLICOLOR_FORCE": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			if got := Enabled(tt.mode, tt.tty, getenv); got != tt.want {
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"", "auto", "always", "never"} {
		if _, err := ParseMode(s); err != nil {
			t.Errorf("ParseMode(%q): %v", s, err)
		}
	}
	if _, err := ParseMode("yes"); err == nil {
		t.Error("ParseMode(yes) took it")
	}
}
