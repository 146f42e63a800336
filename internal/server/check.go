package server

import (
	"fmt"

	"github.com/rooms-dev/rooms/internal/notify"
)

// Check resolves c and checks what Start would check later on, without
// side effects (roomsd config check): the webhooks' addresses and secret,
// the mail server's URL, the TLS certificate files. A secret Start would make is not made.
func (c *Config) Check() error {
	if err := c.Resolve(); err != nil {
		return err
	}
	for _, u := range c.Webhooks {
		if err := notify.CheckURL(u, c.WebhookAllowPrivate); err != nil {
			return fmt.Errorf("--webhook: %w", err)
		}
	}
	if c.WebhookSecret != "" {
		if _, err := notify.ParseSecret(c.WebhookSecret); err != nil {
			return fmt.Errorf("--webhook-secret: %w", err)
		}
	}
	if c.TLS.CertFile != "" {
		if _, err := loadCertFiles(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			return err
		}
	}
	if c.SMTPURL != "" {
		if _, err := notify.NewMailer(c.SMTPURL); err != nil {
			return err
		}
	}
	return nil
}
