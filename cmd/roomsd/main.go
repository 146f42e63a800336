// Command roomsd is the rooms server.
package main

import (
	"os"
	_ "time/tzdata" // zones work on machines without tzdata installed

	"github.com/rooms-dev/rooms/internal/daemon"
)

func main() {
	os.Exit(daemon.Main(os.Args[1:], os.Stdout, os.Stderr))
}
