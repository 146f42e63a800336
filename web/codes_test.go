package web

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestCodesJSIsGenerated: the checked-in module is what the table makes
// now, so the browser cannot drift from pkg/api.
func TestCodesJSIsGenerated(t *testing.T) {
	got, err := os.ReadFile(CodesJSPath)
	if err != nil {
		t.Fatalf("%v; run go generate ./web", err)
	}
	if !bytes.Equal(got, CodesJS()) {
		t.Fatalf("%s is not what pkg/api's table of codes makes; run go generate ./web and commit it", CodesJSPath)
	}
	embedded, err := fs.ReadFile(Static(), "codes.js")
	if err != nil || !bytes.Equal(embedded, got) {
		t.Fatalf("codes.js is not embedded as generated: %v", err)
	}
}

// TestCodesJSHasEveryCode: every code is a key of CODES, and FINAL_CODES
// lists exactly the final ones.
func TestCodesJSHasEveryCode(t *testing.T) {
	js := string(CodesJS())
	_, finals, ok := strings.Cut(js, "export const FINAL_CODES")
	if !ok {
		t.Fatal("no FINAL_CODES")
	}
	for _, c := range api.Codes() {
		if !strings.Contains(js, "\n  "+string(c.Code)+": Object.freeze({ ") {
			t.Errorf("CODES has no %s", c.Code)
		}
		if got := strings.Contains(finals, `"`+string(c.Code)+`"`); got != c.Final {
			t.Errorf("%s in FINAL_CODES: %v, final: %v", c.Code, got, c.Final)
		}
	}
}
