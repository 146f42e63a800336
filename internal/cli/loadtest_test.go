package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
)

// rooms loadtest creates its rooms on a roomsd that asks for a create
// token when given one by --create-token or ROOMS_CREATE_TOKEN, and says
// what is missing when not. (The harness has no calls, so every join is
// refused: the run goes on and reports them.)
func TestLoadtestCreateToken(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarnessConfig(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome), func(c *api.Config) { c.CreateToken = "rct_right" })
	args := []string{"loadtest", "--publishers", "0", "--subscribers", "1", "--duration", "1s", "--ramp", "0s", "--json"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"no token", nil, nil, ExitRefused},
		{"a wrong token", map[string]string{"ROOMS_CREATE_TOKEN": "rct_wrong"}, nil, ExitRefused},
		{"ROOMS_CREATE_TOKEN", map[string]string{"ROOMS_CREATE_TOKEN": "rct_right"}, nil, ExitOK},
		{"--create-token beats the environment", map[string]string{"ROOMS_CREATE_TOKEN": "rct_wrong"}, []string{"--create-token", "rct_right"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.env = tt.env
			out, errOut, code := h.run(append(append([]string{}, args...), tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			if code != ExitOK {
				if !strings.Contains(errOut, "create a room") || !strings.Contains(strings.ToLower(errOut), "token") {
					t.Errorf("the refusal does not say a create token is missing: %q", errOut)
				}
				return
			}
			var rep struct {
				Participants int            `json:"participants"`
				FailedJoins  map[string]int `json:"failed_joins"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if rep.Participants != 1 || len(rep.FailedJoins) != 1 {
				t.Errorf("report %+v, want 1 participant whose join was refused (no calls here)", rep)
			}
		})
	}
}
