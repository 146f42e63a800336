package termgfx

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// Kitty reads a picture from POSIX shared memory (t=s) when it runs on the
// same machine, and removes it once read: a 320×240 frame is then a
// hundred bytes through the terminal instead of 300 kB of base64, which
// is what a terminal's line can take of video. On Linux a POSIX shared
// memory object is a file in /dev/shm.

// shmDir is where POSIX shared memory objects live.
const shmDir = "/dev/shm"

// shmQueryID is the image id of the shared-memory query.
const shmQueryID = 32

var shmSeq atomic.Uint64

// shmName is a new object name for this process.
func shmName() string {
	return "rooms-tgp-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(shmSeq.Add(1), 10)
}

// writeShm puts data in a new shared memory object and returns its name.
func writeShm(data []byte) (string, error) {
	name := shmName()
	if err := os.WriteFile(filepath.Join(shmDir, name), data, 0o600); err != nil {
		return "", fmt.Errorf("write a picture to shared memory: %w", err)
	}
	return name, nil
}

// shmQuery is the query of a 1×1 picture in shared memory, and what
// removes the object if the terminal did not.
func shmQuery() (string, func(), error) {
	name, err := writeShm([]byte{0, 0, 0})
	if err != nil {
		return "", nil, err
	}
	q := "\x1b_Gi=" + strconv.Itoa(shmQueryID) + ",s=1,v=1,a=q,t=s,f=24;" + base64.StdEncoding.EncodeToString([]byte(name)) + "\x1b\\"
	return q, func() { _ = os.Remove(filepath.Join(shmDir, name)) }, nil
}

// removeStaleShm removes the objects of processes that are gone (killed
// before they could remove what the terminal had not read yet).
func removeStaleShm() {
	matches, _ := filepath.Glob(filepath.Join(shmDir, "rooms-tgp-*-*"))
	for _, m := range matches {
		var pid, n int
		if _, err := fmt.Sscanf(filepath.Base(m), "rooms-tgp-%d-%d", &pid, &n); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			_ = os.Remove(m)
		}
	}
}

// removeShm removes this process's objects the terminal did not read.
func removeShm() {
	matches, _ := filepath.Glob(filepath.Join(shmDir, "rooms-tgp-"+strconv.Itoa(os.Getpid())+"-*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// AppendKittyShm appends the command that shows the RGB picture in the
// shared memory object name (size bytes) like AppendKittyImage.
func AppendKittyShm(b []byte, id uint32, col, row, cols, rows int, name string, size, w, h, z int) []byte {
	b = append(b, "\x1b7"...)
	b = appendCUP(b, col, row)
	b = append(b, "\x1b_Ga=T,f=24,t=s,q=2,C=1,s="...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, ",v="...)
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, ",S="...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, ",i="...)
	b = strconv.AppendUint(b, uint64(id), 10)
	b = append(b, ",p=1,c="...)
	b = strconv.AppendInt(b, int64(cols), 10)
	b = append(b, ",r="...)
	b = strconv.AppendInt(b, int64(rows), 10)
	if z != 0 {
		b = append(b, ",z="...)
		b = strconv.AppendInt(b, int64(z), 10)
	}
	b = append(b, ';')
	b = base64.StdEncoding.AppendEncode(b, []byte(name))
	b = append(b, "\x1b\\"...)
	return append(b, "\x1b8"...)
}
