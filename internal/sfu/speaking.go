package sfu

import "time"

// Speaking detection from the audio-level header extension (RFC 6464):
// the level is -dBov, 0 the loudest and 127 silence. Speech sits around
// 20-40; a quiet room at 60 and below.
const (
	voiceLevel    = 50                     // this loud or louder counts as voice
	voiceToStart  = 3                      // voiced packets within startWindow to start speaking
	startWindow   = 200 * time.Millisecond // about 10 packets of 20 ms
	silenceToStop = 600 * time.Millisecond // no voice this long stops speaking
)

// speakingDetector turns per-packet levels into speaking/silent changes.
// It is used by one forwarder goroutine only.
type speakingDetector struct {
	speaking   bool
	lastVoice  time.Time
	windowFrom time.Time
	voiced     int
}

// observe takes one packet's level and says whether the state changed.
func (d *speakingDetector) observe(level uint8, now time.Time) (changed, speaking bool) {
	if level <= voiceLevel {
		d.lastVoice = now
		if now.Sub(d.windowFrom) > startWindow {
			d.windowFrom, d.voiced = now, 0
		}
		d.voiced++
		if !d.speaking && d.voiced >= voiceToStart {
			d.speaking = true
			return true, true
		}
		return false, d.speaking
	}
	if d.speaking && now.Sub(d.lastVoice) > silenceToStop {
		d.speaking = false
		d.voiced = 0
		return true, false
	}
	return false, d.speaking
}
