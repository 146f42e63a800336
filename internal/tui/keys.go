package tui

import "charm.land/bubbles/v2/key"

// keyMap declares every key once; the help line and the help panel are
// rendered from it.
type keyMap struct {
	Mic, Camera, Share, People, Chat  key.Binding
	Help, Leave                       key.Binding
	Left, Right, Up, Down, Pin, Unpin key.Binding
	PrevPage, NextPage                key.Binding
	Lock, Hide, Remove, End           key.Binding
	Admit, Deny                       key.Binding
	Confirm, Cancel                   key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Mic:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mic")),
		Camera:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "camera")),
		Share:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "share screen")),
		People:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "people")),
		Chat:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "chat")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Leave:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "leave")),
		Left:     key.NewBinding(key.WithKeys("left"), key.WithHelp("←→↑↓", "select")),
		Right:    key.NewBinding(key.WithKeys("right")),
		Up:       key.NewBinding(key.WithKeys("up")),
		Down:     key.NewBinding(key.WithKeys("down")),
		Pin:      key.NewBinding(key.WithKeys("enter", "p"), key.WithHelp("p/⏎", "pin")),
		Unpin:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "unpin")),
		PrevPage: key.NewBinding(key.WithKeys("["), key.WithHelp("[ ]", "page")),
		NextPage: key.NewBinding(key.WithKeys("]")),
		Lock:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "lock")),
		Hide:     key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hide")),
		Remove:   key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "remove")),
		End:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "end for all")),
		Admit:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "admit")),
		Deny:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "decline")),
		Confirm:  key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		Cancel:   key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}

// short is the help line under the call; the host sees its keys too.
func (k keyMap) short(host bool) []key.Binding {
	b := []key.Binding{k.Mic, k.Camera, k.Share, k.People, k.Chat, k.Pin, k.PrevPage, k.Leave}
	if host {
		b = append(b, k.Lock, k.Remove, k.End)
	}
	return append(b, k.Help)
}
