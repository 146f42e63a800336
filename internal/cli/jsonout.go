package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/itchyny/gojq"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// jsonFilter is --jq or --template: what becomes of the JSON a command
// would print.
type jsonFilter struct {
	jq  *gojq.Code
	tpl *template.Template
}

// newJSONFilter compiles --jq or --template; both empty is no filter.
func newJSONFilter(jq, tpl string) (*jsonFilter, error) {
	switch {
	case jq != "" && tpl != "":
		return nil, usageErr("--jq and --template: pass one of them")
	case jq != "":
		q, err := gojq.Parse(jq)
		if err != nil {
			return nil, usageErr("--jq %q: %w", jq, err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, usageErr("--jq %q: %w", jq, err)
		}
		return &jsonFilter{jq: code}, nil
	case tpl != "":
		t, err := template.New("--template").Option("missingkey=zero").Funcs(templateFuncs).Parse(tpl)
		if err != nil {
			return nil, usageErr("--template: %w", err)
		}
		return &jsonFilter{tpl: t}, nil
	}
	return nil, nil
}

// templateFuncs are the functions a --template may call besides
// text/template's own.
var templateFuncs = template.FuncMap{
	// join SEP LIST joins a list's items, as strings.
	"join": func(sep string, list []any) string {
		s := make([]string, len(list))
		for i, v := range list {
			s[i] = fmt.Sprint(v)
		}
		return strings.Join(s, sep)
	},
	// json V is V as compact JSON.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(safetext.EscapeJSON(b)), err
	},
}

// apply writes v through the filter. v is first the JSON the command
// would print, decoded: field names are the JSON's. What the server said
// goes to a terminal safely: a string result of --jq through
// safetext.Line, any other result as JSON through safetext.EscapeJSON, and
// every string a --template reads through safetext.Line before the
// template sees it (the template's own text and layout stay).
func (jf *jsonFilter) apply(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return err
	}
	if jf.tpl != nil {
		var out bytes.Buffer
		if err := jf.tpl.Execute(&out, sanitize(data)); err != nil {
			return fmt.Errorf("--template: %w", err)
		}
		_, err := w.Write(out.Bytes())
		return err
	}
	var out bytes.Buffer
	iter := jf.jq.Run(data)
	for {
		r, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := r.(error); ok {
			if h, ok := err.(*gojq.HaltError); ok && h.Value() == nil {
				break
			}
			_, _ = w.Write(out.Bytes()) // what came before the error
			return fmt.Errorf("--jq: %w", err)
		}
		if s, ok := r.(string); ok {
			out.WriteString(safetext.Line(s))
			out.WriteByte('\n')
			continue
		}
		j, err := gojq.Marshal(r)
		if err != nil {
			return fmt.Errorf("--jq: %w", err)
		}
		if len(j) > 0 && (j[0] == '{' || j[0] == '[') {
			var ind bytes.Buffer
			if json.Indent(&ind, j, "", "  ") == nil {
				j = ind.Bytes()
			}
		}
		out.Write(safetext.EscapeJSON(j))
		out.WriteByte('\n')
	}
	_, err = w.Write(out.Bytes())
	return err
}

// sanitize returns v with every string, keys too, made safe for one line
// of a terminal.
func sanitize(v any) any {
	switch v := v.(type) {
	case string:
		return safetext.Line(v)
	case []any:
		for i := range v {
			v[i] = sanitize(v[i])
		}
		return v
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[safetext.Line(k)] = sanitize(e)
		}
		return m
	}
	return v
}
