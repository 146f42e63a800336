package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// keyCatcher is a hostile roomsd: it answers like one for any room id and
// records every host key sent to it.
type keyCatcher struct {
	mu   sync.Mutex
	keys []string
	url  string
}

func newKeyCatcher(t *testing.T) *keyCatcher {
	t.Helper()
	kc := &keyCatcher{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get(apitypes.HeaderHostKey); k != "" {
			kc.mu.Lock()
			kc.keys = append(kc.keys, k)
			kc.mu.Unlock()
		}
		id := r.PathValue("id")
		if i := strings.LastIndex(r.URL.Path, "/v1/rooms/"); i >= 0 {
			id, _, _ = strings.Cut(r.URL.Path[i+len("/v1/rooms/"):], "/")
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/participants"):
			_ = json.NewEncoder(w).Encode(apitypes.ParticipantList{Participants: []apitypes.Participant{}})
		default:
			now := time.Now().UTC()
			_ = json.NewEncoder(w).Encode(apitypes.Room{ID: id, Name: "Bait", Link: kc.url + "/r/" + id, State: "open", Visibility: "private",
				Theme: "aperitivo", MaxParticipants: 50, StartsAt: now, CreatedAt: now})
		}
	}))
	t.Cleanup(srv.Close)
	kc.url = srv.URL
	return kc
}

func (kc *keyCatcher) caught() []string {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return append([]string(nil), kc.keys...)
}

// TestHostKeyGoesOnlyToItsServer: a participant knows a room's id and
// sends its host a link to their own server under that id. No command
// sends the host key there; on the room's own server it still works.
func TestHostKeyGoesOnlyToItsServer(t *testing.T) {
	var mu sync.Mutex
	sentHome := 0
	h := newHarness(t, time.Now(), func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get(apitypes.HeaderHostKey) != "" {
				mu.Lock()
				sentHome++
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	out, errOut, code := h.run("create", "--json")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	kc := newKeyCatcher(t)
	bait := kc.url + "/r/" + r.ID
	// The host follows the bait link as is, with no server set.
	h.env = map[string]string{"ROOMS_SERVER": ""}

	for _, args := range [][]string{
		{"info", bait},
		{"who", bait},
		{"lock", bait},
		{"end", bait, "--yes"},
		{"link", bait, "--host"},
		{"deliveries", bait},
		{"kick", bait, "ann"},
	} {
		_, errOut, code := h.run(args...)
		if args[0] != "info" && args[0] != "who" && code == 0 {
			t.Errorf("rooms %s: exit 0, want a refusal", strings.Join(args, " "))
		}
		if args[0] == "lock" && !strings.Contains(errOut, "only to the server that made it") {
			t.Errorf("rooms lock on the bait link says %q; want it to say the key stays with its server", errOut)
		}
	}
	if got := kc.caught(); len(got) > 0 {
		t.Fatalf("the hostile server received host keys: %q", got)
	}

	// On the room's own server, by the address it was created with or by
	// the link it returned, the key still goes.
	for _, ref := range []string{h.url + "/r/" + r.ID, r.ID} {
		h.env = nil
		if ref != r.ID {
			h.env = map[string]string{"ROOMS_SERVER": ""}
		}
		mu.Lock()
		before := sentHome
		mu.Unlock()
		if _, errOut, code := h.run("info", ref); code != 0 {
			t.Fatalf("info %s: exit %d: %s", ref, code, errOut)
		}
		if _, errOut, code := h.run("lock", ref); code != 0 {
			t.Fatalf("lock %s: exit %d: %s", ref, code, errOut)
		}
		mu.Lock()
		if sentHome != before+2 {
			t.Errorf("%s: the host key went home %d times for info and lock, want 2", ref, sentHome-before)
		}
		mu.Unlock()
	}
}

// TestHostKeysFromBeforeBindingStayWithTheirServer: a key file written
// before keys were bound (no origins) binds each key to the server it
// names.
func TestHostKeysFromBeforeBindingStayWithTheirServer(t *testing.T) {
	dir := t.TempDir()
	keys := openHostKeys(dir)
	old := `{"version":1,"keys":[{"server":"http://127.0.0.1:7880","room":"abc","host_key":"rhk_x","created_at":"2026-11-01T00:00:00Z"}]}`
	if err := os.WriteFile(keys.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, _, _ := keys.Get("http://127.0.0.1:7880", "abc"); k != "rhk_x" {
		t.Fatalf("own server: Get = %q", k)
	}
	k, elsewhere, _ := keys.Get("http://evil.test", "abc")
	if k != "" || len(elsewhere) != 1 || elsewhere[0] != "http://127.0.0.1:7880" {
		t.Fatalf("another server: Get = %q, elsewhere %v", k, elsewhere)
	}
}

// TestNewHostKeyEntryTrustsTheLinkOrigin: a room created through a
// loopback name is bound to that name and to the public URL its server
// returned in the link.
func TestNewHostKeyEntryTrustsTheLinkOrigin(t *testing.T) {
	e := newHostKeyEntry("http://127.0.0.1:7880", "https://Rooms.Example.com:443/r/abc", hostKeyEntry{Room: "abc"})
	for _, o := range []string{"http://127.0.0.1:7880", "https://rooms.example.com"} {
		if !e.boundTo(o) {
			t.Errorf("not bound to %s: %v", o, e.Origins)
		}
	}
	if e.boundTo("http://rooms.example.com") {
		t.Errorf("bound to http as well as https: %v", e.Origins)
	}
}
