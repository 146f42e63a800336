package notify

import "sync"

// Broker wakes inbox streams when their handle gets a notification. It
// carries no data: a woken stream reads what is new from the store, so a
// missed wake-up loses nothing.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewBroker makes a broker.
func NewBroker() *Broker { return &Broker{subs: map[string]map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives after each notification for
// handle, and a function to stop.
func (b *Broker) Subscribe(handle string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[handle] == nil {
		b.subs[handle] = map[chan struct{}]struct{}{}
	}
	b.subs[handle][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[handle], ch)
		if len(b.subs[handle]) == 0 {
			delete(b.subs, handle)
		}
		b.mu.Unlock()
	}
}

// Publish wakes handle's streams.
func (b *Broker) Publish(handle string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[handle] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}
