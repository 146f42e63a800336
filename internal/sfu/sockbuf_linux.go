package sfu

import (
	"net"
	"syscall"
)

// socketBuffers reads the receive and send buffer sizes the kernel gave
// conn (Linux reports twice what was granted, its bookkeeping included).
func socketBuffers(conn *net.UDPConn) (recv, send int, ok bool) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var rerr, serr error
	if err := raw.Control(func(fd uintptr) {
		recv, rerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		send, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	}); err != nil || rerr != nil || serr != nil {
		return 0, 0, false
	}
	return recv / 2, send / 2, true
}
