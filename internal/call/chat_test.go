package call

import "testing"

// TestChatText checks what the server relays of a chat message: nothing a
// terminal would obey and nothing that reorders or hides text, line breaks
// as "\n".
func TestChatText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello", "hello"},
		{"spaces at the ends go", "  hi \n", "hi"},
		{"OSC 52 loses its ESC and BEL", "\x1b]52;c;ZXZpbA==\x07hi", "]52;c;ZXZpbA==hi"},
		{"the 8-bit CSI goes", "a\u009b2Jb", "a2Jb"},
		{"a right-to-left override goes", "see \u202Egnp.exe", "see gnp.exe"},
		{"a zero-width space goes", "h\u200Bi", "hi"},
		{"line breaks stay as LF", "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"at most one empty line", "a\n\n\n\nb", "a\n\nb"},
		{"tabs stay", "a\tb", "a\tb"},
		{"emoji sequences stay", "👩\u200D💻", "👩\u200D💻"},
		{"invalid UTF-8 is U+FFFD", "a\xffb", "a\uFFFDb"},
		{"only controls is nothing", "\x1b\x07\u202E", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chatText(tt.in); got != tt.want {
				t.Errorf("chatText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
