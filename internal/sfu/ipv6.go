package sfu

import (
	"net"

	"github.com/pion/webrtc/v4"
)

// IPv6 beside IPv4: a media address with no host (":7882", every
// interface) is one dual-stack socket, UDP and TCP, and the server offers
// host candidates of both families, so a client on an IPv6-only network
// reaches it. pion's muxes tell the families apart by the sender's address
// (IPv4 arrives v4-mapped on the dual-stack socket; pion unmaps it). A
// media address naming an IPv4 host (loopback, tests) stays IPv4. With
// --public-ip (IPv4 addresses for a 1:1 NAT) the server offers IPv4 only:
// an IPv6 address is not NATed that way, and pion's rewrite would otherwise
// put the IPv4 address on IPv6 candidates.

// mediaNetworks are the networks the media sockets listen on for addr:
// dual-stack ("udp", "tcp") when it names no host, else IPv4.
func mediaNetworks(addr *net.UDPAddr) (udp, tcp string) {
	if dualStack(addr) {
		return "udp", "tcp"
	}
	return "udp4", "tcp4"
}

// dualStack says whether media at addr listens on both families.
func dualStack(addr *net.UDPAddr) bool {
	return addr.IP == nil || addr.IP.IsUnspecified() && addr.IP.To4() == nil
}

// iceNetworks are the candidate networks the server offers.
func iceNetworks(addr *net.UDPAddr, tcp, publicIPs bool) []webrtc.NetworkType {
	nets := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if tcp {
		nets = append(nets, webrtc.NetworkTypeTCP4)
	}
	if !dualStack(addr) || publicIPs {
		return nets
	}
	nets = append(nets, webrtc.NetworkTypeUDP6)
	if tcp {
		nets = append(nets, webrtc.NetworkTypeTCP6)
	}
	return nets
}
