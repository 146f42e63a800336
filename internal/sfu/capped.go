package sfu

import (
	"time"
)

// A subscriber whose receiver reports show it losing packets gets a
// smaller simulcast layer for a while: the SFU keeps no bandwidth estimate
// of its own towards subscribers, and loss is what too much for the link
// looks like from here. After capFor it may climb again, one step at a time
// since each loss caps it one layer below what it had. The track's policy
// decides it (layerPolicy.loss, policy.go), on a report the subscriber's
// RTCP reader posts to the track's owner.
const (
	// lossCap is the fraction lost (of 256, as RTCP reports it) past which
	// a subscriber's layer is capped: about 10 %.
	lossCap = 26
	capFor  = 10 * time.Second
)
