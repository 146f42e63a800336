package store

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// acquireLock takes an exclusive flock on dbPath+".lock" so that a second
// roomsd on the same data directory fails at start instead of sharing the
// database. The kernel drops the lock when the process dies, so a killed
// roomsd never leaves a stale lock behind.
func acquireLock(dbPath string) (*os.File, error) {
	lockPath := dbPath + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if isNotWritable(err) {
			return nil, notWritableDirError(lockPath, err)
		}
		return nil, fmt.Errorf("open store: open lock file: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &openError{
				msg:  fmt.Sprintf("another roomsd is using %s (lock %s held); stop it or use a different --data-dir", dbPath, lockPath),
				kind: ErrLocked,
			}
		}
		return nil, fmt.Errorf("open store: lock %s: %w", lockPath, err)
	}
	return f, nil
}

// releaseLock drops the lock. The file stays: removing it would let a
// process that opened it just before the removal lock an unlinked inode
// while a third locks a new file of the same name.
func releaseLock(f *os.File) error {
	uerr := unix.Flock(int(f.Fd()), unix.LOCK_UN)
	cerr := f.Close()
	if uerr != nil {
		return fmt.Errorf("unlock: %w", uerr)
	}
	return cerr
}
