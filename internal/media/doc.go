// Package media is the client's media: local sources (test pattern, tone,
// camera), their VP8/Opus encoders packaged as WebRTC tracks, and decoders
// that turn received RTP back into pictures and PCM.
//
// It links libvpx and libopus through cgo, so only the rooms client imports
// it: roomsd must stay CGO-free and pkg/ pure Go. It knows nothing of
// terminals, signalling or rooms.
//
// Microphone capture is deliberately absent from this version: mediadevices'
// malgo (miniaudio) driver adds about a minute to a clean build, and on a
// machine without a sound card its ALSA "null" device panics the capture
// goroutine. A later change adds it behind a build tag; until then an audio
// source other than "testsrc" or "none" returns a clear error.
//
// Building needs the Debian packages pkg-config, libvpx-dev, libopus-dev and
// libopusfile-dev (scripts/bootstrap installs them).
package media
