// Package web is the browser client: plain JavaScript modules, CSS and
// HTML with no build step, embedded into roomsd and served at the server
// root (the public directory) and at every room link.
package web

import (
	"embed"
	"io/fs"
)

// A directory pattern leaves out names starting with "_", so the vendored
// modules that are named so (noble-hashes' _md.js, _u64.js) are named.
//
//go:embed static static/vendor/*/_*.js
var files embed.FS

// Static is the browser client's files, rooted at static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
