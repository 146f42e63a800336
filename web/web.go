// Package web is the browser client: plain JavaScript modules, CSS and
// HTML with no build step, embedded into roomsd and served at the server
// root (the public directory) and at every room link.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Static is the browser client's files, rooted at static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
