package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/server"
)

// healthPath is the liveness probe `roomsd healthcheck` asks for.
const healthPath = "/healthz"

// newCmdHealthcheck is the probe a container runs: the image has no shell
// and no curl, so roomsd checks itself.
func newCmdHealthcheck(stdout io.Writer) *cobra.Command {
	var (
		addr    string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Check that a roomsd answers " + healthPath + " (for container health checks)",
		Long: `Ask the roomsd listening on --listen (default $ROOMSD_LISTEN, else ` + server.Defaults().Listen + `)
for ` + healthPath + `; exit 0 when it answers 200, 1 otherwise. An address of all
interfaces (0.0.0.0, ::) is asked on loopback.`,
		Example: `  roomsd healthcheck
  roomsd healthcheck --listen 127.0.0.1:7880 --timeout 2s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if addr == "" {
				addr = os.Getenv("ROOMSD_LISTEN")
			}
			if addr == "" {
				addr = server.Defaults().Listen
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			url, err := healthURL(addr)
			if err != nil {
				return err
			}
			if err := probe(ctx, url); err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, "ok")
			return err
		},
	}
	cmd.Flags().StringVar(&addr, "listen", "", "address roomsd listens on (host:port)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}

// healthURL is the probe's URL for a listen address.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w; give host:port, e.g. 127.0.0.1:7880", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + healthPath, nil
}

// probe GETs url and wants a 200.
func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("roomsd is not answering at %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("roomsd at %s answered HTTP %d, not 200", url, resp.StatusCode)
	}
	return nil
}
