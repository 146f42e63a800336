package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of node-to-node requests. A node honours the Client and
// Origins headers only on a request whose Auth verifies with the cluster
// secret; a client cannot set them for itself.
const (
	HeaderAuth    = "Rooms-Node-Auth"
	HeaderClient  = "Rooms-Node-Client"
	HeaderOrigins = "Rooms-Node-Origins"
)

// authSkew bounds how old (or early) a signed node request may be.
const authSkew = 30 * time.Second

// signer signs and checks node-to-node requests with the cluster secret:
// HMAC-SHA256 over the node, the time, the method, the path and the
// forwarded client and origins, so none of them can be swapped.
type signer struct {
	secret []byte
	node   string
	now    func() time.Time
}

func (s signer) mac(node, ts, method, path, client, origins string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(strings.Join([]string{"rooms-node-v1", node, ts, method, path, client, origins}, "\n")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sign sets the Auth header of a request to another node.
func (s signer) sign(h http.Header, method, path string) {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	h.Set(HeaderAuth, s.node+" "+ts+" "+s.mac(s.node, ts, method, path, h.Get(HeaderClient), h.Get(HeaderOrigins)))
}

var (
	errNoAuth  = errors.New("not a node-to-node request")
	errBadAuth = errors.New("the Rooms-Node-Auth signature does not verify with this cluster's secret (is this node on another database, or its clock far off?)")
)

// verify says which node signed r, errNoAuth when r is not signed.
func (s signer) verify(r *http.Request) (string, error) {
	v := r.Header.Get(HeaderAuth)
	if v == "" {
		return "", errNoAuth
	}
	parts := strings.Fields(v)
	if len(parts) != 3 {
		return "", errBadAuth
	}
	node, ts, sig := parts[0], parts[1], parts[2]
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errBadAuth
	}
	if d := s.now().Sub(time.Unix(t, 0)); d > authSkew || d < -authSkew {
		return "", errBadAuth
	}
	want := s.mac(node, ts, r.Method, r.URL.Path, r.Header.Get(HeaderClient), r.Header.Get(HeaderOrigins))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "", errBadAuth
	}
	return node, nil
}
