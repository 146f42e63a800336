package notify

// PublishAll wakes every stream, for when notifications may have been
// missed (the node's listener for other nodes' deliveries reconnected):
// each re-reads its inbox, which repeats nothing.
func (b *Broker) PublishAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, subs := range b.subs {
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Streams is how many streams of handle are open now.
func (b *Broker) Streams(handle string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[handle])
}
