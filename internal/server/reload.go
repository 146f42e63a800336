package server

// Reloadable are the settings (by flag name) Reload applies while calls go
// on; a change to any other needs a restart, which ends every call.
// log-level is applied by roomsd's command line, which owns the logger.
var Reloadable = map[string]bool{
	"create-token":                true,
	"webhook":                     true,
	"webhook-secret":              true,
	"log-level":                   true,
	"rate":                        true,
	"rate-burst":                  true,
	"create-rate":                 true,
	"create-burst":                true,
	"max-connections-per-address": true,
	"max-connections":             true,
	"join-rate":                   true,
	"join-burst":                  true,
}

// Reload applies next's create token, server webhooks (with their secret)
// and rate limits while the server runs, touching no call: participants
// stay connected, requests in flight finish under the old values. next is
// resolved and checked first; on an error nothing changes. Other settings
// are kept as they were: the caller tells the operator they need a
// restart (Reloadable).
func (s *Server) Reload(next Config) error {
	if err := next.Resolve(); err != nil {
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	// The token and the secret are read (or made) in the data directory
	// in force; a new --data-dir needs a restart.
	next.DataDir, next.WebhookAllowPrivate = s.cfg.DataDir, s.cfg.WebhookAllowPrivate
	token, err := createToken(next, s.notices)
	if err != nil {
		return err
	}
	hooks, err := serverWebhooks(next, s.notices)
	if err != nil {
		return err
	}
	s.api.SetCreateToken(token)
	s.api.SetServerWebhooks(next.Webhooks)
	s.scheduler.SetServerWebhooks(next.Webhooks)
	s.deliverer.SetServerWebhooks(hooks)
	if s.https != nil && s.https.files != nil {
		// The same files read again: a renewed certificate (a new
		// --tls-cert path needs a restart).
		s.https.files.reloadAndLog(s.log)
	}
	s.api.SetRate(next.Rate)
	s.sig.SetLimits(next.Calls)

	live := s.live
	live.CreateToken, live.Webhooks, live.WebhookSecret = next.CreateToken, next.Webhooks, next.WebhookSecret
	live.Rate, live.Calls, live.LogLevel = next.Rate, next.Calls, next.LogLevel
	s.live = live
	return nil
}
