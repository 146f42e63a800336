package tui

import (
	"fmt"
	"slices"

	"github.com/rooms-dev/rooms/pkg/api"
)

// knocked adds a knock on the locked room (hosts get them), once per id.
func (m Model) knocked(k api.Knock) Model {
	if slices.ContainsFunc(m.knocks, func(o api.Knock) bool { return o.ID == k.ID }) {
		return m
	}
	m.knocks = append(slices.Clone(m.knocks), k)
	m.say(k.Name + " asks to join: a admits, d declines")
	return m
}

// knockEnded drops a knock that stopped waiting.
func (m Model) knockEnded(e api.KnockEnded) Model {
	m.knocks = slices.DeleteFunc(slices.Clone(m.knocks), func(k api.Knock) bool { return k.ID == e.ID })
	return m
}

// knockLine is what the status bar says while people knock: the first,
// whom a and d answer, and how many more wait.
func (m Model) knockLine() string {
	if !m.me.Host || len(m.knocks) == 0 {
		return ""
	}
	s := "🚪 " + m.knocks[0].Name + " asks to join: a admit · d decline"
	if n := len(m.knocks) - 1; n > 0 {
		s += fmt.Sprintf(" (%d more waiting)", n)
	}
	return s
}
