package safetext

import (
	"strings"
	"testing"
)

// The cost of the rules on what passes through them most: a plain name
// (the ASCII fast path), a name in another script with an emoji, and a
// hostile chat message of the largest size the server relays.
func BenchmarkLine(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii-name", "Ann Lee"},
		{"unicode-name", "José 张三 👩\u200D💻"},
		{"hostile-chat-1000", strings.Repeat("\x1b]52;c;eA==\x07hi\u202E\u009b\n", 1000/14)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Line(c.s)
			}
		})
	}
}
