package api

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// Bounds on what a room's creator may ask to be told.
const (
	maxInvitees = 50
	maxWebhooks = 5
	// defaultRemind is how long before a booked room its invitees hear.
	defaultRemind = 10 * time.Minute
)

// parseInvites sorts invitees into handles and email addresses, refusing
// what is neither.
func parseInvites(list []string) ([]store.Invitee, error) {
	if len(list) > maxInvitees {
		return nil, problem(apitypes.CodeInvalidArgument, "at most %d invitees per room", maxInvitees)
	}
	var out []store.Invitee
	for _, raw := range list {
		a := strings.TrimSpace(raw)
		switch {
		case a == "":
			continue
		case strings.Contains(a, "@"):
			addr, err := mail.ParseAddress(a)
			if err != nil || addr.Name != "" || !strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@"):], ".") {
				return nil, problem(apitypes.CodeInvalidArgument, "%q is not an email address (like ann@example.com) nor a handle", a)
			}
			out = append(out, store.Invitee{Kind: "email", Address: strings.ToLower(addr.Address)})
		case handleRE.MatchString(strings.ToLower(a)):
			out = append(out, store.Invitee{Kind: "handle", Address: strings.ToLower(a)})
		default:
			return nil, problem(apitypes.CodeInvalidArgument, "%q is not a handle (lower-case letters, digits, - and _) nor an email address", a)
		}
	}
	return out, nil
}

// planNotifications works out a new room's recipients and says how each
// invitee will be told; nothing is written here (the room's creation
// writes rc). Unknown handles are not recipients: the output names them
// instead. Each webhook gets a signing secret of its own, so one
// receiver's secret cannot forge deliveries to another.
func (s *Server) planNotifications(ctx context.Context, invitees []store.Invitee, hooks []string) ([]apitypes.Invitation, store.Recipients, []apitypes.WebhookSecret, error) {
	var rc store.Recipients
	var out []apitypes.Invitation
	for _, iv := range invitees {
		inv := apitypes.Invitation{Kind: iv.Kind, Address: iv.Address}
		switch iv.Kind {
		case "handle":
			ok, err := s.cfg.Store.HandleExists(ctx, iv.Address)
			if err != nil {
				return nil, rc, nil, err
			}
			if !ok {
				inv.Delivery = "not told: nobody has the handle " + iv.Address + " on this server"
				out = append(out, inv)
				continue
			}
			inv.Delivery = "inbox"
		case "email":
			inv.Delivery = "email"
			if !s.cfg.EmailEnabled {
				inv.Delivery = "not delivered: no mail server configured (roomsd --smtp-url)"
			}
		}
		rc.Invites = append(rc.Invites, iv)
		out = append(out, inv)
	}
	var secrets []apitypes.WebhookSecret
	for i, u := range hooks {
		if slices.Contains(hooks[:i], u) {
			continue // stored once, so given one secret
		}
		secret, key := notify.NewSecret()
		rc.Webhooks = append(rc.Webhooks, store.RoomWebhook{URL: u, Secret: key})
		secrets = append(secrets, apitypes.WebhookSecret{URL: u, Secret: secret})
	}
	return out, rc, secrets, nil
}

// checkWebhooks validates webhook URLs before anything is stored.
func (s *Server) checkWebhooks(urls []string) error {
	if len(urls) > maxWebhooks {
		return problem(apitypes.CodeInvalidArgument, "at most %d webhooks per room", maxWebhooks)
	}
	for _, u := range urls {
		if err := notify.CheckURL(u, s.cfg.WebhookAllowPrivate); err != nil {
			return problem(apitypes.CodeInvalidArgument, "webhook: %s", err)
		}
	}
	return nil
}

// invitations lists a room's invitees and how each is told.
func (s *Server) invitations(ctx context.Context, roomID string) ([]apitypes.Invitation, error) {
	ivs, err := s.cfg.Store.Invites(ctx, roomID)
	if err != nil {
		return nil, err
	}
	var out []apitypes.Invitation
	for _, iv := range ivs {
		inv := apitypes.Invitation{Kind: iv.Kind, Address: iv.Address, Delivery: "inbox"}
		if iv.Kind == "email" {
			inv.Delivery = "email"
			if !s.cfg.EmailEnabled {
				inv.Delivery = "not delivered: no mail server configured (roomsd --smtp-url)"
			}
		}
		out = append(out, inv)
	}
	return out, nil
}
