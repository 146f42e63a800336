package termimg

import (
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRenderMatchesGoldenFiles pins the exact bytes for the test-like pattern,
// so a change to scaling, colour conversion or SGR spelling shows up in review.
// Rewrite them deliberately with: go test ./internal/termimg -run Golden -update
func TestRenderMatchesGoldenFiles(t *testing.T) {
	rgba := pattern(320, 240)
	yuv := toYCbCr(rgba, image.YCbCrSubsampleRatio420)
	tests := []struct {
		file string
		img  image.Image
		p    Profile
	}{
		{"pattern_40x12_truecolor.golden", rgba, TrueColor},
		{"pattern_yuv420_40x12_truecolor.golden", yuv, TrueColor},
		{"pattern_yuv420_40x12_ansi256.golden", yuv, ANSI256},
		{"pattern_yuv420_40x12_ascii.golden", yuv, ASCII},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			lines := Render(tt.img, 40, 12, tt.p, tileBg)
			checkShape(t, lines, 40, 12)
			got := strings.Join(lines, "\n") + "\n"
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (create it with -update): %v", err)
			}
			if got != string(want) {
				wantLines := strings.Split(string(want), "\n")
				for i, line := range lines {
					if i >= len(wantLines) || line != wantLines[i] {
						t.Fatalf("%s: line %d differs\n got: %q\nwant: %q", path, i, line, wantLines[min(i, len(wantLines)-1)])
					}
				}
				t.Fatalf("%s differs", path)
			}
		})
	}
}
