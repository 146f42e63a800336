package api_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// openAPIFile is the document roomsd embeds and serves.
const openAPIFile = "openapi.json"

// spec is the OpenAPI document loaded three ways: as plain JSON for the
// structural checks, as libopenapi's model, and as a validator of real
// requests and answers.
type spec struct {
	raw   []byte
	doc   map[string]any
	model *v3.Document
	v     validator.Validator
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	return specOf(t, raw)
}

// specOf loads the document raw (the file, or what roomsd serves).
func specOf(t *testing.T, raw []byte) *spec {
	t.Helper()
	s := &spec{raw: raw}
	if err := json.Unmarshal(raw, &s.doc); err != nil {
		t.Fatalf("%s is not JSON: %v", openAPIFile, err)
	}
	d, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("libopenapi cannot read %s: %v", openAPIFile, err)
	}
	m, err := d.BuildV3Model()
	if err != nil {
		t.Fatalf("libopenapi cannot build the model of %s: %v", openAPIFile, err)
	}
	s.model = &m.Model
	v, errs := validator.NewValidator(d, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("validator over %s: %v", openAPIFile, errs)
	}
	s.v = v
	return s
}

// obj walks the plain JSON document along keys.
func (s *spec) obj(keys ...string) map[string]any {
	var cur any = s.doc
	for _, k := range keys {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	m, _ := cur.(map[string]any)
	return m
}

// TestOpenAPIDocumentIsValid: the document is OpenAPI 3.1 and valid
// against the 3.1 meta-schema, as libopenapi-validator checks it.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	s := loadSpec(t)
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	if ok, errs := s.v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s (%s)", openAPIFile, e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  at %s (%s, line %d): %s", f.FieldPath, f.KeywordLocation, f.Line, f.Reason)
			}
		}
	}
}

// notInOpenAPI are the routes the document leaves out, and why.
var notInOpenAPI = map[string]string{
	"GET /static/{file...}": "the browser client's scripts and styles",
	"GET /{$}":              "the public directory page, for browsers",
	"/":                     "what no route takes: 404 not_found or 405 method_not_allowed, described as Problem404 and Problem405",
}

// registeredRoutes reads the patterns routes() in api.go registers, by
// parsing it: s.handle("PATTERN", …) and s.mux.Handle("PATTERN", …).
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "routes" {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "handle" && sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("routes() registers a pattern that is not a string literal at %v; the OpenAPI test cannot read it", lit)
				return true
			}
			p, _ := strconv.Unquote(lit.Value)
			routes = append(routes, p)
			return true
		})
	}
	if len(routes) < 10 {
		t.Fatalf("found %d routes in routes(); the parser lost them: %v", len(routes), routes)
	}
	return routes
}

// TestOpenAPICoversEveryRoute: every route routes() registers is in the
// document with its method (but those notInOpenAPI), and the document
// lists no operation roomsd does not serve. A route added to api.go
// without its operation in openapi.json fails here.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := loadSpec(t)
	documented := map[string]bool{}
	for path, item := range s.obj("paths") {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range registeredRoutes(t) {
		served[r] = true
		if _, ok := notInOpenAPI[r]; ok {
			continue
		}
		if !documented[r] {
			t.Errorf("routes() registers %q but %s has no such operation: add it to the document", r, openAPIFile)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s documents %q, which routes() does not register", openAPIFile, op)
		}
	}
	for r := range notInOpenAPI {
		if !served[r] {
			t.Errorf("notInOpenAPI names %q, which routes() no longer registers", r)
		}
	}
}

// documentedStatusExceptions are the codes the API sends with another
// status than the table's, as docs/api.md says.
var documentedStatusExceptions = map[int][]apitypes.Code{
	409: {apitypes.CodeInvalidArgument, apitypes.CodeUnavailable}, // a handle or name taken; a delivery being attempted
	503: {apitypes.CodeTooManyConnections},                        // the whole server holds as many call connections as it may
}

// problemCodes is the code enum of the problem schema of one status
// (Problem400…), or of the base Problem schema for status 0.
func (s *spec) problemCodes(t *testing.T, status int) []apitypes.Code {
	t.Helper()
	var props map[string]any
	if status == 0 {
		props, _ = s.obj("components", "schemas", "Problem")["properties"].(map[string]any)
	} else {
		sch := s.obj("components", "schemas", fmt.Sprintf("Problem%d", status))
		all, _ := sch["allOf"].([]any)
		if len(all) != 2 {
			return nil
		}
		props, _ = all[1].(map[string]any)["properties"].(map[string]any)
	}
	code, _ := props["code"].(map[string]any)
	var out []apitypes.Code
	for _, c := range code["enum"].([]any) {
		out = append(out, apitypes.Code(c.(string)))
	}
	return out
}

// TestOpenAPIListsEveryCodeOnItsStatus: every code of pkg/api's table that
// HTTP answers carry is in the Problem schema's enum and on the problem
// answer of its status (Problem400, Problem401…), and each of those lists
// only codes of its own status or a documented exception.
func TestOpenAPIListsEveryCodeOnItsStatus(t *testing.T) {
	s := loadSpec(t)
	all := s.problemCodes(t, 0)
	var httpCodes []apitypes.Code
	for _, info := range apitypes.Codes() {
		if info.Status == 0 {
			if slices.Contains(all, info.Code) {
				t.Errorf("%s is a signalling code (no HTTP status) but the Problem schema lists it", info.Code)
			}
			continue
		}
		httpCodes = append(httpCodes, info.Code)
		if !slices.Contains(all, info.Code) {
			t.Errorf("the Problem schema's code enum lacks %s", info.Code)
		}
		if s.obj("components", "responses", fmt.Sprintf("Problem%d", info.Status)) == nil {
			t.Errorf("no problem answer Problem%d for %s", info.Status, info.Code)
		}
		if !slices.Contains(s.problemCodes(t, info.Status), info.Code) {
			t.Errorf("Problem%d does not list %s, whose status is %d", info.Status, info.Code, info.Status)
		}
	}
	for _, c := range all {
		if !slices.Contains(httpCodes, c) {
			t.Errorf("the Problem schema lists %s, which pkg/api's table does not have with an HTTP status", c)
		}
	}
	for name := range s.obj("components", "schemas") {
		n, ok := strings.CutPrefix(name, "Problem")
		status, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		for _, c := range s.problemCodes(t, status) {
			if c.Status() != status && !slices.Contains(documentedStatusExceptions[status], c) {
				t.Errorf("Problem%d lists %s, whose status is %d, and no exception says why", status, c, c.Status())
			}
		}
	}
}

// goTypes are the pkg/api types behind the document's schemas.
var goTypes = map[string]any{
	"Problem": apitypes.Problem{}, "Room": apitypes.Room{}, "Invitation": apitypes.Invitation{},
	"WebhookSecret": apitypes.WebhookSecret{}, "RoomList": apitypes.RoomList{},
	"CreateRoomRequest": apitypes.CreateRoomRequest{}, "UpdateRoomRequest": apitypes.UpdateRoomRequest{},
	"MineRequest": apitypes.MineRequest{}, "HostKeyRef": apitypes.HostKeyRef{}, "ServerInfo": apitypes.ServerInfo{},
	"Theme": apitypes.Theme{}, "Palette": apitypes.Palette{}, "ThemeList": apitypes.ThemeList{},
	"Participant": apitypes.Participant{}, "Muted": apitypes.Muted{}, "Track": apitypes.Track{},
	"ParticipantList": apitypes.ParticipantList{}, "Knock": apitypes.Knock{}, "KnockList": apitypes.KnockList{},
	"Handle": apitypes.Handle{}, "Notification": apitypes.Notification{}, "NotificationList": apitypes.NotificationList{},
	"Delivery": apitypes.Delivery{}, "DeliveryList": apitypes.DeliveryList{},
	"RedeliverRequest": apitypes.RedeliverRequest{}, "RedeliverResult": apitypes.RedeliverResult{},
}

// TestOpenAPISchemasMatchGoTypes: each object schema has exactly the JSON
// fields of its pkg/api type, and requires every field the type always
// writes (no omitempty); a field added to a type and not to the document
// fails here even when no real answer carries it yet.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	s := loadSpec(t)
	for name, v := range goTypes {
		sch := s.obj("components", "schemas", name)
		if sch == nil {
			t.Errorf("no schema %s for %T", name, v)
			continue
		}
		props, _ := sch["properties"].(map[string]any)
		var required []string
		list, _ := sch["required"].([]any)
		for _, r := range list {
			required = append(required, r.(string))
		}
		fields := map[string]bool{}
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag := rt.Field(i).Tag.Get("json")
			fname, opts, _ := strings.Cut(tag, ",")
			if fname == "" || fname == "-" {
				t.Errorf("%T.%s has no JSON name", v, rt.Field(i).Name)
				continue
			}
			fields[fname] = true
			if _, ok := props[fname]; !ok {
				t.Errorf("schema %s lacks %s (%T.%s)", name, fname, v, rt.Field(i).Name)
			}
			always := !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")
			if always && !strings.HasSuffix(name, "Request") && !slices.Contains(required, fname) {
				t.Errorf("schema %s does not require %s, which %T always has", name, fname, v)
			}
		}
		for p := range props {
			if !fields[p] {
				t.Errorf("schema %s has %s, which %T does not", name, p, v)
			}
		}
		if sch["additionalProperties"] != false {
			t.Errorf("schema %s allows other properties: a field the document lacks would pass unseen", name)
		}
	}
}
