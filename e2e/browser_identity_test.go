//go:build e2e

package e2e

// The browser's identity key (web/static/identity.js): WebCrypto Ed25519
// first; where the browser has none, the vendored noble libraries
// (web/static/ed25519.js), loaded only then. Either way the join is signed
// and accepted, and a key stored by one is the same key for the other.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
)

// noEd25519JS makes WebCrypto refuse Ed25519, as browsers without it do
// (NotSupportedError), leaving every other algorithm alone.
const noEd25519JS = `(() => {
  const isEd = (a) => a === 'Ed25519' || (a && typeof a === 'object' && a.name === 'Ed25519');
  for (const m of ['generateKey', 'importKey', 'exportKey', 'sign', 'verify']) {
    const orig = SubtleCrypto.prototype[m];
    SubtleCrypto.prototype[m] = function (...args) {
      if (args.some((a) => isEd(a) || (a && a.algorithm && isEd(a.algorithm)))) {
        return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
      }
      return orig.apply(this, args);
    };
  }
})()`

// noSubtleJS removes crypto.subtle altogether, as on a page that is not
// a secure context (http:// on a LAN address).
const noSubtleJS = `Object.defineProperty(Crypto.prototype, 'subtle', { get() { return undefined }, configurable: true })`

// identityJS reports the page's identity: how it signs and its public key,
// from the same module instance the page uses.
const identityJS = `(async () => {
  const m = await import('/static/identity.js');
  const id = await m.identity();
  return JSON.stringify({ kind: id.kind, publicKey: id.publicKey });
})()`

// fallbackLoadedJS is whether the page fetched the JS fallback.
const fallbackLoadedJS = `performance.getEntriesByType('resource').some((e) => /\/static\/(ed25519\.js|vendor\/)/.test(e.name))`

type pageIdentity struct {
	Kind      string `json:"kind"`
	PublicKey string `json:"publicKey"`
}

func (b *browser) identity() pageIdentity {
	b.t.Helper()
	var id pageIdentity
	if err := json.Unmarshal([]byte(b.eval(identityJS)), &id); err != nil {
		b.t.Fatalf("the page's identity: %v", err)
	}
	return id
}

func (b *browser) addInitScript(js string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) fallbackLoaded() bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fallbackLoadedJS))
	if err != nil {
		b.t.Fatal(err)
	}
	return ok
}

const joinedJS = `window.roomsDebug.state().you !== null && window.roomsDebug.state().phase === 'joined'`

// The default path: WebCrypto signs, the fallback is never fetched.
func TestBrowserIdentityWebCrypto(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "WebCrypto"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600)
	b.open(r.Link + "?autojoin=1&name=Web&mic=0")
	b.waitJS("the call", joinedJS)
	if id := b.identity(); id.Kind != "webcrypto" || len(id.PublicKey) != 43 {
		t.Fatalf("identity %+v, want a WebCrypto key", id)
	}
	if b.fallbackLoaded() {
		t.Fatal("the page fetched the JS fallback although WebCrypto has Ed25519")
	}
}

// Without Ed25519 in WebCrypto the fallback signs, the server accepts the
// join, and the key the browser stored with WebCrypto is the same key:
// the room, locked meanwhile, lets it back in as a returning member,
// while a newcomer (a fresh fallback key) is kept out.
func TestBrowserIdentityFallbackKeepsTheKey(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	r, err := s.c.CreateRoom(ctx, api.CreateRoomRequest{Name: "Fallback"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600)
	b.open(r.Link + "?autojoin=1&name=Ann&mic=0")
	b.waitJS("the call", joinedJS)
	before := b.identity()
	if before.Kind != "webcrypto" {
		t.Fatalf("identity %+v, want WebCrypto first", before)
	}
	locked := true
	if _, err := s.c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{Locked: &locked}); err != nil {
		t.Fatal(err)
	}

	b.addInitScript(noEd25519JS)
	b.open(r.Link + "?autojoin=1&name=Ann&mic=0")
	b.waitJS("the call again, through the lock", joinedJS)
	after := b.identity()
	if after.Kind != "js" || after.PublicKey != before.PublicKey {
		t.Fatalf("without WebCrypto Ed25519 the identity is %+v, want the JS fallback with the same key %s", after, before.PublicKey)
	}
	if !b.fallbackLoaded() {
		t.Fatal("the page signed without fetching the fallback")
	}

	newcomer := newBrowser(t, 800, 600)
	newcomer.addInitScript(noEd25519JS)
	newcomer.open(r.Link + "?autojoin=1&name=Bo&mic=0")
	newcomer.waitJS("the lock", `window.roomsDebug.state().end && (window.roomsDebug.state().end.reason === 'room_locked' || window.roomsDebug.state().end.code === 'room_locked')`)
	if id := newcomer.identity(); id.Kind != "js" || id.PublicKey == before.PublicKey || len(id.PublicKey) != 43 {
		t.Fatalf("the newcomer's identity is %+v, want a new JS key", id)
	}
}

// rfc8032Test1 is RFC 8032's TEST 1: a seed, its public key and the
// signature of the empty message.
var rfc8032Test1 = struct{ seed, pub, sig string }{
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
}

// On a page without crypto.subtle at all, a seed stored in this browser
// (PKCS #8, as identity.js and the earlier fallback stored it) gives the
// public key Go's crypto/ed25519 derives from it, the join it signs is
// accepted, and the fallback's keys and signatures are Go's for RFC 8032's
// first vector and for random seeds and messages.
func TestBrowserIdentityFallbackReadsAStoredSeed(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Stored"})
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(rfc8032Test1.seed)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != rfc8032Test1.pub {
		t.Fatalf("Go derives %x from RFC 8032's TEST 1 seed", pub)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	pkcs8 := append([]byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20}, seed...)
	stored, _ := json.Marshal(map[string]string{"pkcs8": b64(pkcs8), "pub": b64(pub)})

	b := newBrowser(t, 800, 600)
	b.addInitScript(noSubtleJS)
	b.open(s.url + "/")
	b.eval(`(localStorage.setItem('rooms.identity.v1', ` + strings.ReplaceAll(string(mustJSON(t, string(stored))), "</", `<\/`) + `), 'ok')`)
	b.open(r.Link + "?autojoin=1&name=Stored&mic=0")
	b.waitJS("the call", joinedJS)
	if has := b.eval(`String(!!(window.crypto && window.crypto.subtle))`); has != "false" {
		t.Fatalf("crypto.subtle is still there (%s): the test does not test the insecure page", has)
	}
	if id := b.identity(); id.Kind != "js" || id.PublicKey != b64(pub) {
		t.Fatalf("identity %+v, want the JS fallback with the stored key %s", id, b64(pub))
	}

	// The fallback against Go: RFC 8032 TEST 1, then random seeds and
	// messages of every length up to 300 bytes.
	type vector struct{ Seed, Msg, Pub, Sig string }
	vectors := []vector{{rfc8032Test1.seed, "", rfc8032Test1.pub, rfc8032Test1.sig}}
	for i := 0; i < 40; i++ {
		seed := make([]byte, ed25519.SeedSize)
		msg := make([]byte, i*7%301)
		_, _ = rand.Read(seed)
		_, _ = rand.Read(msg)
		k := ed25519.NewKeyFromSeed(seed)
		vectors = append(vectors, vector{hex.EncodeToString(seed), hex.EncodeToString(msg), hex.EncodeToString(k.Public().(ed25519.PublicKey)), hex.EncodeToString(ed25519.Sign(k, msg))})
	}
	got := b.eval(`(async () => {
	  const ed = await import('/static/ed25519.js');
	  const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
	  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
	  const bad = [];
	  for (const v of ` + string(mustJSON(t, vectors)) + `) {
	    const pub = hex(ed.publicKey(unhex(v.Seed)));
	    const sig = hex(await ed.sign(unhex(v.Seed), unhex(v.Msg)));
	    if (pub !== v.Pub || sig !== v.Sig) bad.push(v.Seed + ': ' + pub + ' ' + sig);
	  }
	  return bad.join('\n');
	})()`)
	if got != "" {
		t.Fatalf("the fallback differs from Go's crypto/ed25519:\n%s", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
