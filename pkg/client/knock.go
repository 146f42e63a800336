package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Knocks lists who knocks on a locked room's door, oldest first, as its
// host.
func (c *Client) Knocks(ctx context.Context, id, hostKey string) ([]api.Knock, error) {
	var out api.KnockList
	err := c.do(ctx, http.MethodGet, "/v1/rooms/"+url.PathEscape(id)+"/knocks", nil, hostKey, &out)
	return out.Knocks, err
}

// AnswerKnock admits (admit true) or declines someone knocking on a room,
// named by the knock's id or the knocker's name, as its host. A declined
// key cannot knock on the room again.
func (c *Client) AnswerKnock(ctx context.Context, id, hostKey, who string, admit bool) (api.Knock, error) {
	answer := "deny"
	if admit {
		answer = "admit"
	}
	var out api.Knock
	err := c.do(ctx, http.MethodPost, "/v1/rooms/"+url.PathEscape(id)+"/knocks/"+url.PathEscape(who)+"/"+answer, nil, hostKey, &out)
	return out, err
}

// Admit lets someone knocking in, as the host in the call; a refusal
// arrives as a ServerError event.
func (call *Call) Admit(knockID string) error {
	return call.send(api.MsgHost, api.HostAction{Action: "admit", KnockID: knockID})
}

// Deny declines someone knocking, as the host in the call; their key
// cannot knock on the room again.
func (call *Call) Deny(knockID string) error {
	return call.send(api.MsgHost, api.HostAction{Action: "deny", KnockID: knockID})
}

// Knock: someone knocks on the locked room (hosts only). A host joining
// gets one for every knock still waiting.
type Knock struct{ api.Knock }

// KnockEnded: a knock stopped waiting (admitted, declined, left, timeout).
type KnockEnded struct{ api.KnockEnded }

func (Knock) isEvent()      {}
func (KnockEnded) isEvent() {}

// readJoined reads the answer to a join: joined, or an error; a knocking
// answer is passed to OnKnocking and the wait goes on, bounded by ctx
// (and the server's api.KnockWait) instead of dctx.
func (call *Call) readJoined(ctx, dctx context.Context, ws *websocket.Conn, joined *api.Joined) error {
	for {
		m, err := read(dctx, ws)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		switch m.Type {
		case api.MsgJoined:
			return json.Unmarshal(m.Data, joined)
		case api.MsgError:
			se := &api.SignalError{}
			if err := json.Unmarshal(m.Data, se); err != nil {
				return fmt.Errorf("read error message: %w", err)
			}
			return se
		case api.MsgKnocking:
			var k api.Knocking
			if err := json.Unmarshal(m.Data, &k); err != nil {
				return fmt.Errorf("read knocking: %w", err)
			}
			if call.opts.OnKnocking != nil {
				call.opts.OnKnocking(k)
			}
			dctx = ctx // the host answers in their own time
		}
	}
}
