// Package media is the client's media: local sources (test pattern, tone,
// camera), their VP8/Opus encoders packaged as WebRTC tracks, and decoders
// that turn received RTP back into pictures and PCM.
//
// It links libvpx and libopus through cgo, so only the rooms client imports
// it: roomsd must stay CGO-free and pkg/ pure Go. It knows nothing of
// terminals, signalling or rooms.
//
// The microphone and the speaker go through miniaudio (malgo) directly, not
// mediadevices' microphone driver: see microphone.go for why.
//
// Building needs the Debian packages pkg-config, libvpx-dev, libopus-dev and
// libopusfile-dev (scripts/bootstrap installs them).
package media
