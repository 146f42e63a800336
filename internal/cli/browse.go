package cli

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// openInBrowser opens link in the user's browser: $BROWSER (a command,
// with arguments if any; the link goes last) or else xdg-open. Only an
// http(s) URL is opened: the link is the server's word.
func (f *Factory) openInBrowser(ctx context.Context, link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the room's link %q is not an http(s) URL: not opening it", safetext.Line(link))
	}
	argv := strings.Fields(f.Getenv("BROWSER"))
	if len(argv) == 0 {
		argv = []string{"xdg-open"}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("cannot open a browser: %w; set BROWSER to your browser's command, or open %s yourself", err, safetext.Line(u.String()))
	}
	shown := *u
	shown.Fragment, shown.RawFragment = "", "" // a host key stays off the screen
	fmt.Fprintf(f.IO.ErrOut, "Opening %s in your browser.\n", safetext.Line(shown.Redacted()))
	cmd := exec.CommandContext(ctx, path, append(argv[1:], u.String())...)
	cmd.Stdout, cmd.Stderr = f.IO.ErrOut, f.IO.ErrOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("open the browser (%s): %w", argv[0], err)
	}
	return nil
}
