//go:build !linux

package sfu

import "net"

// batchConn batches sends on Linux only (sendmmsg); elsewhere fan-outs
// write datagram by datagram.
type batchConn struct{}

func (*batchConn) begin() {}
func (*batchConn) end()   {}

func (*batchConn) counts() (calls, datagrams uint64) { return 0, 0 }

func batchMedia(c *net.UDPConn) (net.PacketConn, *batchConn) { return c, nil }
