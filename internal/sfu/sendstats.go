package sfu

// SendCalls counts the system calls that sent media datagrams on the UDP
// socket (sendto, or sendmmsg for a fan-out's batch; batchsend_linux.go),
// and SentDatagrams what they carried: their ratio is datagrams per call.
// Both stay 0 where sends are not batched (not Linux).
func (s *SFU) SendCalls() uint64 { c, _ := s.batch.counts(); return c }

// SentDatagrams: see SendCalls.
func (s *SFU) SentDatagrams() uint64 { _, d := s.batch.counts(); return d }
