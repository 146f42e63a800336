// Command stund is a minimal STUN server (RFC 5389 binding requests only)
// for the e2e tests' network labs: it answers each request with the
// address it came from, as any public STUN server does.
package main

import (
	"flag"
	"log"
	"net"

	"github.com/pion/stun/v4"
)

func main() {
	listen := flag.String("listen", ":3478", "UDP address to answer on")
	flag.Parse()
	conn, err := net.ListenPacket("udp4", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("stund: listening on %s", conn.LocalAddr())
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			log.Fatal(err)
		}
		req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if req.Decode() != nil || req.Type != stun.BindingRequest {
			continue
		}
		udp := from.(*net.UDPAddr)
		res, err := stun.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
			&stun.XORMappedAddress{IP: udp.IP, Port: udp.Port}, stun.Fingerprint)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := conn.WriteTo(res.Raw, from); err != nil {
			log.Printf("stund: answer %s: %v", from, err)
		}
		log.Printf("stund: %s", from)
	}
}
