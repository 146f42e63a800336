package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/logging"
)

// pionLogs hands pion's logging to roomsd's logger, one logger per scope
// for the whole process. pion asks for a logger per component of every
// PeerConnection (ICE, DTLS, SCTP, SRTP, the connection itself...), and its
// default builds each from five log.Loggers: about 70 KB of heap per
// PeerConnection at 25 people, for logs that are off by default.
//
// pion's errors become warnings (most are a peer going away, or a packet
// the SFU cannot place), its warnings debug lines; the rest is dropped, so
// nothing pion traces (ICE credentials among it) reaches the log.
type pionLogs struct {
	log     *slog.Logger
	loggers sync.Map // scope → *pionLogger
}

func (f *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	if l, ok := f.loggers.Load(scope); ok {
		return l.(*pionLogger)
	}
	l, _ := f.loggers.LoadOrStore(scope, &pionLogger{log: f.log.With("pion", scope)})
	return l.(*pionLogger)
}

// pionLogger is one scope's logger.
type pionLogger struct{ log *slog.Logger }

func (l *pionLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l *pionLogger) emitf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l *pionLogger) Trace(string)          {}
func (l *pionLogger) Tracef(string, ...any) {}
func (l *pionLogger) Debug(string)          {}
func (l *pionLogger) Debugf(string, ...any) {}
func (l *pionLogger) Info(string)           {}
func (l *pionLogger) Infof(string, ...any)  {}
func (l *pionLogger) Warn(msg string)       { l.emit(slog.LevelDebug, msg) }
func (l *pionLogger) Warnf(format string, args ...any) {
	l.emitf(slog.LevelDebug, format, args...)
}
func (l *pionLogger) Error(msg string) { l.emit(slog.LevelWarn, msg) }
func (l *pionLogger) Errorf(format string, args ...any) {
	l.emitf(slog.LevelWarn, format, args...)
}
