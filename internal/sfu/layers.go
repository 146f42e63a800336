package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// Simulcast: a publisher may send one video track as several encodings of
// different sizes (layers), each its own RTP stream named by a RID. The
// forwarder keeps them side by side and each subscriber gets exactly one,
// the smallest that fills the tile it shows the track in (the view's
// sizes), switching only at a keyframe of the layer it moves to so its
// decoder never sees a frame it cannot decode. What a subscriber receives
// stays one stream: its sequence numbers and timestamps continue across a
// switch (binding.switchTo).

// maxLayers bounds the layers of one track; a fourth RID is refused.
const maxLayers = 3

// layerStale: a layer with no packet for this long counts as stopped (a
// browser drops its top layer when its CPU or uplink cannot keep up), and
// its subscribers move to another.
const layerStale = 1500 * time.Millisecond

// ridSlots places the RIDs rooms' clients use, smallest first; other
// names take the free slots in the order they arrive.
var ridSlots = map[string]int{"q": 0, "h": 1, "f": 2}

// layer is one encoding of a published track. Its reader (the
// forwarder's read) writes what it sees; the track's owner (owner.go)
// reads it and decides.
type layer struct {
	rid    string
	remote *webrtc.TrackRemote
	// hist answers subscribers' NACKs (video only: audio negotiates none).
	hist *history
	// w and h are the size of the last keyframe (0 until one is seen: a
	// subscriber can start or switch only at a keyframe).
	w, h atomic.Int32
	// lastAt (unix ns) and lastTS are the arrival time and RTP timestamp
	// of the newest packet: a switch continues timestamps from them.
	lastAt atomic.Int64
	lastTS atomic.Uint32
	// suspended (the owner's, read by the reader): the publisher was told
	// nobody receives this layer, so it may send nothing, and its packets
	// are not kept for retransmission.
	suspended atomic.Bool
	// keyed: a keyframe of it was seen; tsSeen: lastTS holds a packet's
	// timestamp (both the reader's own).
	keyed, tsSeen bool
	// bytes counts what arrived (RTP header and payload), and meter turns
	// it into the layer's cost for the subscribers' allocation
	// (allocate.go).
	bytes atomic.Uint64
	meter rateMeter
	// held is the frame its reader holds (sendpath.go), nil until then.
	held *heldFrame
}

// suspendAfter is how long a layer nobody receives keeps being asked for,
// so a tile resized back and forth does not stop and restart an encoder.
const suspendAfter = 3 * time.Second

// tileSize is how large, in pixels, a subscriber shows a track; zero: not
// said (the best layer).
type tileSize struct{ w, h int32 }

// vp8Keyframe says whether a VP8 RTP payload starts a keyframe and, if so,
// the picture's size from its frame header (RFC 7741 §4.1 descriptor,
// RFC 6386 §9.1 frame tag). It reads a few bytes and allocates nothing.
func vp8Keyframe(payload []byte) (key bool, w, h int32) {
	if len(payload) < 1 {
		return false, 0, 0
	}
	d := payload[0]
	if d&0x10 == 0 || d&0x0f != 0 {
		return false, 0, 0 // not the start of partition 0
	}
	i := 1
	if d&0x80 != 0 { // X: extensions follow
		if len(payload) < 2 {
			return false, 0, 0
		}
		x := payload[1]
		i = 2
		if x&0x80 != 0 { // I: picture id, 7 or 15 bits
			if len(payload) <= i {
				return false, 0, 0
			}
			if payload[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX
			i++
		}
	}
	f := payload[min(i, len(payload)):]
	if len(f) < 10 || f[0]&0x01 != 0 {
		return false, 0, 0 // P bit set: an interframe
	}
	if f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return false, 0, 0
	}
	w = int32(f[6]) | int32(f[7]&0x3f)<<8
	h = int32(f[8]) | int32(f[9]&0x3f)<<8
	if w == 0 || h == 0 {
		return false, 0, 0 // not a picture: do not let it count as one
	}
	return true, w, h
}
