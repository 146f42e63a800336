//go:build race

package sfu

// raceEnabled: the race detector allocates on its own account.
const raceEnabled = true
