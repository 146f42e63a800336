//go:build !linux

package sfu

import "net"

// socketBuffers is not known here.
func socketBuffers(*net.UDPConn) (recv, send int, ok bool) { return 0, 0, false }
