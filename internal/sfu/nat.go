package sfu

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/stun/v4"
)

// A server behind a 1:1 NAT announces the NAT's public address instead of
// its own (Config.PublicIPs, roomsd --public-ip). With Config.STUNServer
// (roomsd --stun-server host:port) it asks a STUN server what that address
// is at start: a binding request from the media socket itself, before the
// ICE mux takes the socket over, so the answer is the address the media
// port is seen from outside.

// stunTries and stunWait bound the discovery: a request every stunWait,
// stunTries times, then roomsd does not start.
const (
	stunTries = 3
	stunWait  = time.Second
)

// discoverPublicIP asks server (host:port) for conn's address as the
// server sees it, and returns it.
func discoverPublicIP(conn *net.UDPConn, server string) (*net.UDPAddr, error) {
	to, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		return nil, fmt.Errorf("--stun-server %q: %w (give host:port, e.g. stun.example.net:3478)", server, err)
	}
	defer conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 1500)
	for range stunTries {
		req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
		if err != nil {
			return nil, fmt.Errorf("build a STUN request: %w", err)
		}
		if _, err := conn.WriteTo(req.Raw, to); err != nil {
			return nil, fmt.Errorf("ask the STUN server %s for this host's public address: %w", to, err)
		}
		deadline := time.Now().Add(stunWait)
		if err := conn.SetReadDeadline(deadline); err != nil {
			return nil, fmt.Errorf("ask the STUN server %s: %w", to, err)
		}
		for {
			n, from, err := conn.ReadFromUDP(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read the STUN server's answer: %w", err)
			}
			if !from.IP.Equal(to.IP) || from.Port != to.Port {
				continue // not the STUN server: media cannot come before we start
			}
			res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if res.Decode() != nil || res.TransactionID != req.TransactionID || res.Type != stun.BindingSuccess {
				continue
			}
			var xor stun.XORMappedAddress
			if err := xor.GetFrom(res); err != nil {
				return nil, fmt.Errorf("the STUN server %s answered without a mapped address: %w", to, err)
			}
			return &net.UDPAddr{IP: xor.IP, Port: xor.Port}, nil
		}
	}
	return nil, fmt.Errorf("the STUN server %s did not answer in %s: check the address and that this host may send UDP to it, or give the address with --public-ip instead",
		to, stunTries*stunWait)
}
