package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 document of the HTTP API, written by
// hand next to the handlers and served as it is: openapi_test.go checks
// it lists every route, every problem code on its status, and that real
// answers validate against it.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(openAPIDocument)
	return err
}
