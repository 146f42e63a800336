package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// codeConstants parses this package's source and returns every constant
// declared with type Code, by name, with its value.
func codeConstants(t *testing.T) map[string]Code {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]Code{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: the Code constant %s is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[n.Name] = Code(v)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no Code constants; did they move?")
	}
	return out
}

// TestEveryCodeHasARow: a code is one edit. Every Code constant has a row
// in the table, every row a constant, and each row is complete.
func TestEveryCodeHasARow(t *testing.T) {
	consts := codeConstants(t)
	declared := map[Code]bool{}
	for name, c := range consts {
		declared[c] = true
		if _, ok := codeIndex[c]; !ok {
			t.Errorf("%s (%q) has no row in codeTable (pkg/api/codes.go): add its HTTP status, finality, exit class and message", name, c)
		}
	}
	seen := map[Code]bool{}
	for _, row := range codeTable {
		if seen[row.Code] {
			t.Errorf("%q has two rows", row.Code)
		}
		seen[row.Code] = true
		if !declared[row.Code] {
			t.Errorf("row %q names no Code constant", row.Code)
		}
		if row.Status != 0 && http.StatusText(row.Status) == "" {
			t.Errorf("%q: %d is no HTTP status", row.Code, row.Status)
		}
		if row.Status != 0 && row.Status < 400 {
			t.Errorf("%q: a refusal's status is 4xx or 5xx, not %d", row.Code, row.Status)
		}
		switch row.Exit {
		case ExitFailure, ExitUsage, ExitNotFound, ExitRefused:
		default:
			t.Errorf("%q: exit class %q is not one a code can have", row.Code, row.Exit)
		}
		if row.Message == "" || strings.TrimSpace(row.Message) != row.Message || strings.HasSuffix(row.Message, ".") {
			t.Errorf("%q: message %q must be a trimmed clause without a final period", row.Code, row.Message)
		}
	}
}

func TestCodeInfo(t *testing.T) {
	tests := []struct {
		code   Code
		status int
		final  bool
		exit   ExitClass
	}{
		{CodeRoomNotFound, 404, true, ExitNotFound},
		{CodeRoomFull, 0, true, ExitRefused},
		{CodeRateLimited, 429, false, ExitFailure},
		{CodeInvalidArgument, 400, true, ExitUsage},
		{"from_a_newer_server", 500, false, ExitFailure},
	}
	for _, tt := range tests {
		if got := tt.code.Status(); got != tt.status {
			t.Errorf("%s: status %d, want %d", tt.code, got, tt.status)
		}
		if got := tt.code.Final(); got != tt.final {
			t.Errorf("%s: final %v, want %v", tt.code, got, tt.final)
		}
		if got := tt.code.Exit(); got != tt.exit {
			t.Errorf("%s: exit %q, want %q", tt.code, got, tt.exit)
		}
	}
	if m := Code("from_a_newer_server").Message(); m != "" {
		t.Errorf("an unknown code has message %q", m)
	}
	c := Codes()
	c[0].Message = "changed"
	if codeTable[0].Message == "changed" {
		t.Error("Codes hands out the table itself")
	}
}

// TestDocsListEveryCode: docs/api.md's table of codes has a row per code
// whose HTTP status, finality and exit code are the table's, so the docs
// cannot drift from it.
func TestDocsListEveryCode(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	exitNumber := map[ExitClass]string{ExitFailure: "1", ExitUsage: "2", ExitNotFound: "3", ExitRefused: "4"}
	rows := map[Code][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 5 {
			continue // another table
		}
		rows[Code(strings.Trim(cells[0], "`"))] = cells
	}
	for _, c := range codeTable {
		cells, ok := rows[c.Code]
		if !ok {
			t.Errorf("docs/api.md has no row for %q in its table of codes", c.Code)
			continue
		}
		status := "—"
		if c.Status != 0 {
			status = strconv.Itoa(c.Status)
		}
		if !strings.HasPrefix(cells[1], status) {
			t.Errorf("docs/api.md: %q has HTTP %q, the table %s", c.Code, cells[1], status)
		}
		final := map[bool]string{true: "yes", false: "no"}[c.Final]
		if cells[3] != final {
			t.Errorf("docs/api.md: %q final %q, the table %s", c.Code, cells[3], final)
		}
		if cells[4] != exitNumber[c.Exit] {
			t.Errorf("docs/api.md: %q exits %q, the table %s (%s)", c.Code, cells[4], exitNumber[c.Exit], c.Exit)
		}
	}

	// Codes sent only in signalling are in docs/protocol.md's table too.
	pb, err := os.ReadFile(filepath.Join("..", "..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codeTable {
		if c.Status == 0 && !strings.Contains(string(pb), "\n| `"+string(c.Code)+"` | ") {
			t.Errorf("docs/protocol.md's table of errors has no row for %q", c.Code)
		}
	}
}
