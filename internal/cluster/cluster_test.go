package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
)

var (
	pg      *pgtest.Cluster
	missing error
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg, &missing)) }

// seen is a stand-in for the local signalling: it records the client
// address each connection it serves came from.
type seen struct {
	mu    sync.Mutex
	addrs []string
}

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.addrs = append(s.addrs, clientaddr.From(r).String())
	s.mu.Unlock()
	w.WriteHeader(http.StatusTeapot)
}

func (s *seen) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.addrs) == 0 {
		return ""
	}
	return s.addrs[len(s.addrs)-1]
}

// testNode is a node on a fresh database, its local signalling a seen.
func testNode(t *testing.T) (*Node, *seen, *store.Postgres) {
	t.Helper()
	pgtest.Need(t, pg, missing)
	st, err := store.OpenPostgres(context.Background(), pg.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	local := &seen{}
	pol, _ := origin.New("http://127.0.0.1:7880")
	n, err := New(context.Background(), Config{Cluster: st, Rooms: st, Hub: call.NewHub(call.Config{Store: st}),
		Signal: local, Origins: pol, ID: "n1", URL: "http://127.0.0.1:7880", Media: "127.0.0.1:7882",
		Heartbeat: time.Hour, LeaseTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return n, local, st
}

func signalRequest(roomID string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/r/"+roomID, nil)
	r.SetPathValue("id", roomID)
	r.RemoteAddr = "192.0.2.7:40000"
	return r
}

// TestSignalIgnoresNodeHeadersFromClients: a client that sends the
// headers a proxying node sends, without the cluster's signature, is
// served as itself (its own address, not the one it claims), and one with
// a forged signature is refused.
func TestSignalIgnoresNodeHeadersFromClients(t *testing.T) {
	n, local, _ := testNode(t)
	roomID := room.NewID()

	r := signalRequest(roomID)
	r.Header.Set(HeaderClient, "203.0.113.9 https")
	r.Header.Set(HeaderOrigins, "https://evil.example")
	w := httptest.NewRecorder()
	n.Signal().ServeHTTP(w, r)
	if w.Code != http.StatusTeapot || local.last() != "192.0.2.7" {
		t.Fatalf("an unsigned client's node headers were believed: status %d, served as %q", w.Code, local.last())
	}

	r = signalRequest(roomID)
	r.Header.Set(HeaderClient, "203.0.113.9 https")
	r.Header.Set(HeaderAuth, "n2 "+strings.Repeat("1", 10)+" forged")
	w = httptest.NewRecorder()
	n.Signal().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "does not verify") {
		t.Fatalf("a forged node signature got %d %s, want 403 saying it does not verify", w.Code, w.Body.String())
	}
}

// TestSignalBelievesASignedNode: a connection another node proxied, signed
// with the cluster secret, is served with the client address that node
// saw; the same request signed with another secret is refused.
func TestSignalBelievesASignedNode(t *testing.T) {
	n, local, _ := testNode(t)
	roomID := room.NewID()
	r := signalRequest(roomID)
	r.Header.Set(HeaderClient, "203.0.113.9 https")
	r.Header.Set(HeaderOrigins, "http://127.0.0.1:7990")
	peer := signer{secret: n.sign.secret, node: "n2", now: time.Now}
	peer.sign(r.Header, http.MethodGet, r.URL.Path)
	w := httptest.NewRecorder()
	n.Signal().ServeHTTP(w, r)
	if w.Code != http.StatusTeapot || local.last() != "203.0.113.9" {
		t.Fatalf("a signed node's connection: status %d, served as %q, want the client it named", w.Code, local.last())
	}

	r = signalRequest(roomID)
	r.Header.Set(HeaderClient, "203.0.113.9 https")
	other := signer{secret: []byte("another cluster's secret"), node: "n2", now: time.Now}
	other.sign(r.Header, http.MethodGet, r.URL.Path)
	w = httptest.NewRecorder()
	n.Signal().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("a node of another cluster got %d, want 403", w.Code)
	}
}

// TestNodeCallsNeedTheSecret: the node-to-node calls answer only a signed
// request.
func TestNodeCallsNeedTheSecret(t *testing.T) {
	n, _, _ := testNode(t)
	body := `{"op":"participants","room":"` + room.NewID() + `"}`
	r := httptest.NewRequest(http.MethodPost, RPCPath, strings.NewReader(body))
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("an unsigned node call got %d, want 403", w.Code)
	}
	r = httptest.NewRequest(http.MethodPost, RPCPath, strings.NewReader(body))
	n.sign.sign(r.Header, http.MethodPost, RPCPath)
	w = httptest.NewRecorder()
	n.Handler().ServeHTTP(w, r)
	var out rpcReply
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil {
		t.Fatalf("a signed node call got %d %s", w.Code, w.Body.String())
	}
}

// TestSignerRefusesTampering: each signed part matters, and so does the
// time.
func TestSignerRefusesTampering(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := signer{secret: []byte("k"), node: "n1", now: func() time.Time { return now }}
	mk := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/r/abcdefghjkmn", nil)
		r.Header.Set(HeaderClient, "192.0.2.1 http")
		r.Header.Set(HeaderOrigins, "http://a")
		s.sign(r.Header, http.MethodGet, "/r/abcdefghjkmn")
		return r
	}
	if node, err := s.verify(mk()); err != nil || node != "n1" {
		t.Fatalf("a good signature: %q, %v", node, err)
	}
	for name, change := range map[string]func(*http.Request){
		"client":  func(r *http.Request) { r.Header.Set(HeaderClient, "192.0.2.2 http") },
		"origins": func(r *http.Request) { r.Header.Set(HeaderOrigins, "http://b") },
		"path":    func(r *http.Request) { r.URL.Path = "/r/bcdefghjkmnp" },
		"method":  func(r *http.Request) { r.Method = http.MethodPost },
		"node": func(r *http.Request) {
			r.Header.Set(HeaderAuth, strings.Replace(r.Header.Get(HeaderAuth), "n1 ", "n2 ", 1))
		},
	} {
		r := mk()
		change(r)
		if _, err := s.verify(r); err != errBadAuth {
			t.Errorf("%s changed: %v, want errBadAuth", name, err)
		}
	}
	r := mk()
	now = now.Add(authSkew + time.Second)
	if _, err := s.verify(r); err != errBadAuth {
		t.Errorf("a signature %v old: %v, want errBadAuth", authSkew+time.Second, err)
	}
}
