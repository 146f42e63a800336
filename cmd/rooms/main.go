// Command rooms is the rooms CLI: create, schedule, list, lock and end rooms.
package main

import (
	"os"
	_ "time/tzdata" // zones work on machines without tzdata installed

	"github.com/rooms-dev/rooms/internal/cli"
)

func main() {
	os.Exit(cli.Main(cli.NewFactory(), os.Args[1:]))
}
