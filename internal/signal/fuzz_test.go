package signal

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/pkg/api"
)

const (
	fuzzOrigin    = "https://rooms.example.com"
	fuzzRoom      = "zcox7e33heoy2matzgxlepdcaa"
	fuzzChallenge = "ltjAex8zwFKama6apvF1YpV4XyM88P1d0mOmgmsz8Hw"
)

// fuzzKey signs joins the fuzzer asks to be signed, so the checks past
// the signature are reached too.
var fuzzKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// FuzzJoin: a client's first message, decoded and checked as a join,
// never panics, and a join that passes holds every bound of a name and
// a key.
func FuzzJoin(f *testing.F) {
	pub := base64.RawURLEncoding.EncodeToString(fuzzKey.Public().(ed25519.PublicKey))
	for _, seed := range []struct {
		msg  string
		sign bool
	}{
		{`{"type":"join","data":{"name":"Ann","public_key":"` + pub + `"}}`, true},
		{`{"type":"join","data":{"name":"  \u009b31m  ","public_key":"` + pub + `"}}`, true},
		{`{"type":"join","data":{"name":"Bo","public_key":"x","signature":"y"}}`, false},
		{`{"type":"offer","data":{"pc":"publish","sdp":"v=0"}}`, false},
		{`{"type":""}`, false},
		{`[1,2]`, false},
	} {
		f.Add([]byte(seed.msg), seed.sign, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, sign, text bool) {
		typ := websocket.MessageBinary
		if text {
			typ = websocket.MessageText
		}
		m, err := decode(typ, data)
		if err != nil {
			return
		}
		if m.Type == "" {
			t.Fatal("a message without a type was decoded")
		}
		if m.Type != api.MsgJoin {
			return
		}
		var j api.Join
		if json.Unmarshal(m.Data, &j) != nil {
			return
		}
		if sign {
			j.Signature = base64.RawURLEncoding.EncodeToString(ed25519.Sign(fuzzKey, api.JoinSignedText(fuzzOrigin, fuzzRoom, fuzzChallenge)))
		}
		if checkJoin([]string{fuzzOrigin}, fuzzRoom, fuzzChallenge, &j) != nil {
			return
		}
		n := utf8.RuneCountInString(j.Name)
		if n == 0 || n > api.MaxNameRunes || !utf8.ValidString(j.Name) {
			t.Fatalf("name %q passed", j.Name)
		}
		for _, r := range j.Name {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("name %q with a control character passed", j.Name)
			}
		}
		if k, err := base64.RawURLEncoding.DecodeString(j.PublicKey); err != nil || len(k) != ed25519.PublicKeySize {
			t.Fatalf("public key %q passed", j.PublicKey)
		}
	})
}
