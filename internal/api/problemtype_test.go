package api_test

import (
	"net/http"
	"testing"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestProblemTypeIsAboutBlank: problems name no URI the project does not
// own; the type is about:blank, the title the status phrase (RFC 9457
// 4.2.1), and the meaning is in code.
func TestProblemTypeIsAboutBlank(t *testing.T) {
	e := newEnv(t, nil)
	for _, body := range []string{`{"theme":"disco"}`, `{"max_participants":0}`, `{"name":`, `{"starts_at":"2020-01-01T00:00:00Z"}`} {
		var p apitypes.Problem
		status := post(t, e, "/v1/rooms", body, &p)
		if p.Type != "about:blank" || p.Title != http.StatusText(status) || p.Status != status || p.Code == "" {
			t.Errorf("%s: problem %+v, want type about:blank, title %q and a code", body, p, http.StatusText(status))
		}
	}
}
