// Package theme holds the built-in room themes: an emoji, a title and a
// palette that the terminal and browser clients colour a call with.
package theme

import (
	"sort"
	"strings"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Default is the theme of a room whose creator picks none.
const Default = "classic"

var themes = []api.Theme{
	{Name: "classic", Emoji: "💬", Title: "Classic", Description: "A plain room for any call.",
		Palette: api.Palette{Accent: "#4f8cff", Background: "#14161c", Text: "#e8eaf0", TileBorder: "#2c3140"}},
	{Name: "aperitivo", Emoji: "🍹", Title: "Aperitivo", Description: "Drinks and small talk at golden hour.",
		Palette: api.Palette{Accent: "#ff7a3d", Background: "#2a1410", Text: "#fff1e6", TileBorder: "#8a3b1f"}},
	{Name: "coffee", Emoji: "☕", Title: "Coffee break", Description: "A quick catch-up over a cup.",
		Palette: api.Palette{Accent: "#c08552", Background: "#1e1510", Text: "#f3e9dc", TileBorder: "#5e3b24"}},
	{Name: "birthday", Emoji: "🎂", Title: "Birthday", Description: "Candles, cake and everyone singing off key.",
		Palette: api.Palette{Accent: "#ff4fa3", Background: "#1f1029", Text: "#fde8f4", TileBorder: "#7a2e69"}},
	{Name: "movie-night", Emoji: "🍿", Title: "Movie night", Description: "Watch together, talk over the credits.",
		Palette: api.Palette{Accent: "#e5c449", Background: "#0d0d14", Text: "#f2f2f2", TileBorder: "#3a3550"}},
	{Name: "study", Emoji: "📚", Title: "Study group", Description: "Heads down, cameras on, questions welcome.",
		Palette: api.Palette{Accent: "#3fb68b", Background: "#0f1a17", Text: "#e3f4ee", TileBorder: "#24584a"}},
	{Name: "game-night", Emoji: "🎲", Title: "Game night", Description: "Cards, dice and friendly trash talk.",
		Palette: api.Palette{Accent: "#9b5cff", Background: "#150f24", Text: "#efe8ff", TileBorder: "#4a2e85"}},
	{Name: "book-club", Emoji: "📖", Title: "Book club", Description: "This month's chapter, no spoilers past it.",
		Palette: api.Palette{Accent: "#d9534f", Background: "#1c1212", Text: "#f7ecec", TileBorder: "#6b2b29"}},
	{Name: "dinner", Emoji: "🍝", Title: "Dinner", Description: "Eat together from different kitchens.",
		Palette: api.Palette{Accent: "#f2a541", Background: "#1d1609", Text: "#fbf1e0", TileBorder: "#6e4f1c"}},
}

// All returns every built-in theme, the default first, the rest by name.
func All() []api.Theme {
	out := make([]api.Theme, len(themes))
	copy(out, themes)
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Name < out[1+j].Name })
	return out
}

// Names returns the names of every theme in the order of All.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	return names
}

// Lookup finds a theme by name, ignoring case and surrounding spaces.
func Lookup(name string) (api.Theme, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, t := range themes {
		if t.Name == name {
			return t, true
		}
	}
	return api.Theme{}, false
}
