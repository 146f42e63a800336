package call

// Release closes roomID's call on this server without ending the room:
// every participant's connection is closed with reason (not a final
// code, so clients reconnect, as after a restart) and the call is
// forgotten, so the next join starts afresh. A cluster node uses it for
// a call it has lost the lease of (paused past its lease while another
// node placed the call again): its people reconnect and find the call
// where it runs now. It reports whether there was a call to close.
func (h *Hub) Release(roomID, reason string) bool {
	c := h.lookup(roomID)
	if c == nil {
		return false
	}
	parts, ok := c.stop()
	if !ok {
		return false
	}
	h.forget(c)
	for _, s := range parts {
		s.finish(reason)
	}
	c.router.Close()
	c.log.Warn("call released: its people reconnect to where it runs now", "reason", reason, "participants", len(parts))
	return true
}
