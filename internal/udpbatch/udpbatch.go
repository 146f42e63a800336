// Package udpbatch is a UDP socket that sends a burst of datagrams in few
// system calls. Between Begin and End the datagrams written to it are
// queued; at End (or when the queue is full) they leave in one sendmmsg,
// and runs of datagrams to one address whose sizes allow it (equal, the
// last no larger) leave as one UDP GSO message (UDP_SEGMENT): the kernel
// builds one buffer for them and cuts it into datagrams at the device.
//
// It is made for an SFU's media socket, which pion's UDP mux shares among
// every connection: a fan-out writes one packet to many subscribers, or a
// frame's packets to each subscriber in turn, between Begin and End. Writes
// from elsewhere while a burst is open (RTCP, another fan-out) join the
// queue and leave with it, microseconds later; with no burst open a write
// goes straight out. Nothing is allocated per datagram once the queues
// exist. Batching is Linux only; elsewhere every write goes straight out.
package udpbatch

import "sync/atomic"

// Batch is the most datagrams one sendmmsg carries, and the most one GSO
// message does.
const Batch = 64

// MaxDatagram bounds what is queued; a larger datagram goes straight out.
const MaxDatagram = 1500

// Stats counts what a Conn sent.
type Stats struct {
	// Calls are system calls that sent datagrams (sendto or sendmmsg).
	Calls uint64
	// Datagrams are the datagrams those calls carried.
	Datagrams uint64
	// Segmented are the datagrams among them that left in a GSO message
	// of two or more.
	Segmented uint64
}

type counters struct {
	calls, datagrams, segmented atomic.Uint64
}

func (c *counters) stats() Stats {
	return Stats{Calls: c.calls.Load(), Datagrams: c.datagrams.Load(), Segmented: c.segmented.Load()}
}
