// Package version says which build of rooms is running: the version, the
// commit, the build date and the Go version, set by the Makefile's -ldflags
// or read from the module's build information (VCS settings) otherwise.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X github.com/rooms-dev/rooms/internal/version.Version=v1.2.3"
// (and .Commit, .Date); otherwise they come from the module's build
// information.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Unknown stands for a field nothing told this build.
const Unknown = "unknown"

// Info is a build's identity.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get returns this build's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, Date, bi)
}

// resolve fills what -ldflags left empty from the build information.
func resolve(v, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: v, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if info.Commit == "" {
			info.Commit = settings["vcs.revision"]
			if info.Commit != "" && settings["vcs.modified"] == "true" {
				info.Commit += "-dirty"
			}
		}
		if info.Date == "" {
			info.Date = settings["vcs.time"]
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	if info.Date == "" {
		info.Date = Unknown
	}
	return info
}

// String returns the version, "devel" when nothing better is known.
func String() string { return Get().Version }

// Long is the version in a few words for `--version`: name, version,
// commit, build date, Go version and platform.
func (i Info) Long(name string) string {
	return fmt.Sprintf("%s %s (commit %s, built %s, %s %s)", name, i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}
