package termgfx

import (
	"os"

	"golang.org/x/sys/unix"
)

type winsize struct{ cols, rows, xpix, ypix int }

// getWinsize is TIOCGWINSZ: the size in cells and, where the terminal
// sets it, in pixels.
func getWinsize(f *os.File) (winsize, error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return winsize{}, err
	}
	return winsize{cols: int(ws.Col), rows: int(ws.Row), xpix: int(ws.Xpixel), ypix: int(ws.Ypixel)}, nil
}
