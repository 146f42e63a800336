// Command gencodes writes web/static/codes.js from pkg/api's table of
// codes; run it with `go generate ./web`.
package main

import (
	"fmt"
	"os"

	"github.com/rooms-dev/rooms/web"
)

func main() {
	if err := os.WriteFile(web.CodesJSPath, web.CodesJS(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gencodes: write %s: %v (run it from web/, as go generate does)\n", web.CodesJSPath, err)
		os.Exit(1)
	}
}
