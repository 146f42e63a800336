package sfu

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
)

// ICE over TCP (RFC 6544): the SFU listens on TCP on the media port's
// number too and offers passive TCP host candidates, so a client whose UDP
// is blocked connects out to it (clients are active; the server, ICE-lite,
// never connects anywhere).
//
// What bounds a TCP client: pion's mux drops a connection whose first
// STUN binding request does not come within tcpFirstSTUN, and one whose
// ufrag names no PeerConnection within tcpUnknownAlive; each connection
// queues at most tcpReadPackets packets (pion drops the rest) and buffers
// at most tcpWriteBuffer bytes of writes (pion drops past it). pion puts
// no cap on connections per address: the signalling caps (calls per
// address, in all) bound how many PeerConnections a TCP client can match.
const (
	tcpReadPackets  = 64
	tcpWriteBuffer  = 4 << 20
	tcpFirstSTUN    = 5 * time.Second
	tcpUnknownAlive = 10 * time.Second
	// portAttempts is how many free UDP ports New tries when the port
	// is 0 and the same number is taken on TCP.
	portAttempts = 8
)

// listenMedia opens the UDP media socket at addr and, when tcp is set, a
// TCP listener on the same address and port number. With port 0 it picks
// a port free on both.
func listenMedia(addr *net.UDPAddr, tcp bool) (*net.UDPConn, *net.TCPListener, error) {
	attempts := 1
	if addr.Port == 0 && tcp {
		attempts = portAttempts
	}
	var lastErr error
	udp, tcpNet := mediaNetworks(addr)
	for range attempts {
		conn, err := net.ListenUDP(udp, addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen for media on UDP %s: %w (is another roomsd running? pick another with --udp-port)", addr, err)
		}
		if !tcp {
			return conn, nil, nil
		}
		port := conn.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.ListenTCP(tcpNet, &net.TCPAddr{IP: addr.IP, Port: port, Zone: addr.Zone})
		if err == nil {
			return conn, ln, nil
		}
		conn.Close()
		lastErr = fmt.Errorf("listen for media on TCP %s: %w (is another program using TCP port %d? pick another --udp-port, or turn ICE over TCP off with --ice-tcp=false)",
			net.JoinHostPort(addr.IP.String(), strconv.Itoa(port)), err, port)
		if addr.Port != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, nil, lastErr
}

// newTCPMux wraps the media TCP listener in pion's ICE TCP mux, bounded.
func newTCPMux(ln net.Listener, logger logging.LeveledLogger) *ice.TCPMuxDefault {
	return ice.NewTCPMuxDefault(ice.TCPMuxParams{
		Listener:                     ln,
		Logger:                       logger,
		ReadBufferSize:               tcpReadPackets,
		WriteBufferSize:              tcpWriteBuffer,
		FirstStunBindTimeout:         tcpFirstSTUN,
		AliveDurationForConnFromStun: tcpUnknownAlive,
	})
}
