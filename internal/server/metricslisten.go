package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// checkMetricsAddr accepts a host:port for --metrics-listen (or none).
// Any host is allowed, as for LiveKit's Prometheus port: it is meant for a
// scraper on the operator's network, never for the reverse proxy.
func checkMetricsAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--metrics-listen %q: want host:port, such as 127.0.0.1:9090", addr)
	}
	return nil
}

// listenMetrics takes --metrics-listen's address, saying what to do when
// it is taken.
func listenMetrics(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w; pick another address", addr, err)
	}
	return ln, nil
}

// serveMetrics serves reg's /metrics on ln until ctx ends; the API's
// listener then has no /metrics (api.Config.MetricsElsewhere).
func serveMetrics(ctx context.Context, ln net.Listener, reg prometheus.Gatherer) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics listener: %w", err)
	}
	return nil
}

// MetricsAddr is where /metrics is served on its own, or nil when it is
// served with the API.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}
