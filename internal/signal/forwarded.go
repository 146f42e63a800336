package signal

import (
	"context"
	"net/http"
)

type originsKey struct{}

// WithOrigins returns ctx saying which origins a join on this connection
// may be signed over, in place of the policy's own candidates: a call
// connection another node of the cluster proxied here is checked against
// the origins of the node the client dialled (internal/cluster), which
// that node vouched for with the cluster secret.
func WithOrigins(ctx context.Context, origins []string) context.Context {
	return context.WithValue(ctx, originsKey{}, origins)
}

// candidates are the origins a join on r may name.
func (h *Handler) candidates(r *http.Request) []string {
	if o, ok := r.Context().Value(originsKey{}).([]string); ok {
		return o
	}
	return h.Origins.Candidates(r)
}
