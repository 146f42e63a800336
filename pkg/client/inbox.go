package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Login claims a handle on the server for this client's key.
func (c *Client) Login(ctx context.Context, handle string) error {
	return c.do(ctx, http.MethodPost, "/v1/handles", api.Handle{Handle: handle}, "", nil)
}

// Whoami is this client's handle on the server, or "".
func (c *Client) Whoami(ctx context.Context) (string, error) {
	var h api.Handle
	err := c.do(ctx, http.MethodGet, "/v1/me", nil, "", &h)
	return h.Handle, err
}

// Logout gives the handle up.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/v1/me/handle", nil, "", nil)
}

// Inbox lists this client's notifications after an id.
func (c *Client) Inbox(ctx context.Context, after int64) ([]api.Notification, error) {
	var out api.NotificationList
	path := "/v1/inbox"
	if after > 0 {
		path += "?after=" + strconv.FormatInt(after, 10)
	}
	err := c.do(ctx, http.MethodGet, path, nil, "", &out)
	return out.Notifications, err
}

// Deliveries lists a room's notifications and how their delivery went.
func (c *Client) Deliveries(ctx context.Context, id, hostKey string) ([]api.Delivery, error) {
	var out api.DeliveryList
	err := c.do(ctx, http.MethodGet, "/v1/rooms/"+url.PathEscape(id)+"/deliveries", nil, hostKey, &out)
	return out.Deliveries, err
}

// Redeliver has one of a room's webhook deliveries (deliveryID, as
// Deliveries lists them) or, with 0, every dead one sent again now, on a
// fresh retry schedule; it says how many.
func (c *Client) Redeliver(ctx context.Context, id, hostKey string, deliveryID int64) (int, error) {
	var out api.RedeliverResult
	err := c.do(ctx, http.MethodPost, "/v1/rooms/"+url.PathEscape(id)+"/redeliver", api.RedeliverRequest{ID: deliveryID}, hostKey, &out)
	return out.Redelivered, err
}

// FollowInbox streams notifications after an id until ctx ends, calling fn
// for each. A dropped stream is resumed from the last id seen (nothing lost,
// nothing repeated); onRetry, if set, hears about each drop.
func (c *Client) FollowInbox(ctx context.Context, after int64, fn func(api.Notification), onRetry func(error)) error {
	delay := 500 * time.Millisecond
	for {
		err := c.stream(ctx, &after, fn)
		if ctx.Err() != nil {
			return nil
		}
		var p *api.Problem
		if errors.As(err, &p) {
			return p // refused (no handle, bad signature): retrying will not help
		}
		if errors.Is(err, errStreamEnded) {
			// The server ended the stream (a signature lasts AuthWindow):
			// sign anew and resume, without calling it a drop.
			delay = 500 * time.Millisecond
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(delay):
			}
			continue
		}
		if onRetry != nil {
			onRetry(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

func (c *Client) stream(ctx context.Context, after *int64, fn func(api.Notification)) error {
	u := *c.base
	u.Path += "/v1/inbox/stream"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", c.userAgent)
	if *after > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*after, 10))
	}
	c.sign(req, nil)
	// No client timeout: a stream lasts; the server's keepalives show it lives.
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p := &api.Problem{}
		if json.NewDecoder(resp.Body).Decode(p) == nil && p.Code != "" {
			p.Status = resp.StatusCode
			return p
		}
		return fmt.Errorf("inbox stream: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id int64
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 {
				var n api.Notification
				if err := json.Unmarshal([]byte(data.String()), &n); err == nil {
					if id > 0 {
						n.ID = id
					}
					fn(n)
					if n.ID > *after {
						*after = n.ID
					}
				}
			}
			data.Reset()
			id = 0
		case strings.HasPrefix(line, "id: "):
			id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "data: "):
			data.WriteString(strings.TrimPrefix(line, "data: "))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("inbox stream: %w", err)
	}
	return errStreamEnded
}

// errStreamEnded is a stream the server closed cleanly: it ends streams
// when their signature expires, and the client signs again and resumes.
var errStreamEnded = errors.New("inbox stream: the server closed it")

// Calendar returns a room's calendar file (RFC 5545).
func (c *Client) Calendar(ctx context.Context, id string) ([]byte, error) {
	u := *c.base
	u.Path += "/r/" + url.PathEscape(id) + ".ics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p := &api.Problem{}
		if json.NewDecoder(resp.Body).Decode(p) == nil && p.Code != "" {
			p.Status = resp.StatusCode
			return nil, p
		}
		return nil, fmt.Errorf("calendar: HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}
