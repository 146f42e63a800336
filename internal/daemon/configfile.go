package daemon

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/rooms-dev/rooms/internal/server"
)

// configFlag names the file of settings (--config, ROOMSD_CONFIG). It is
// not a key of the file itself.
const configFlag = "config"

// loaded is one reading of roomsd's settings: the command line, then the
// ROOMSD_* variables, then the --config file, over the defaults.
type loaded struct {
	cfg server.Config
	fs  *pflag.FlagSet // bound to cfg: each setting's value by its flag name
	// from says where each setting not at its default came from: "--name",
	// "ROOMSD_NAME" or "FILE:LINE".
	from map[string]string
	path string // the --config file, "" for none
	// cmdline is the command line read, for a reload to read again.
	cmdline *pflag.FlagSet
}

// load reads the settings afresh: the flags set on cmdline, then the
// variables lookup finds, then the file, each only for settings the ones
// before left alone (flag > variable > file > default). A reload calls it
// again with the same command line.
func load(cmdline *pflag.FlagSet, lookup func(string) (string, bool)) (*loaded, error) {
	ld := &loaded{cfg: server.Defaults(), from: map[string]string{}, cmdline: cmdline}
	ld.fs = pflag.NewFlagSet("roomsd", pflag.ContinueOnError)
	ld.fs.SortFlags = false // config check prints them in serve's order
	serveFlags(ld.fs, &ld.cfg)
	var err error
	cmdline.Visit(func(f *pflag.Flag) {
		to := ld.fs.Lookup(f.Name)
		if to == nil || err != nil {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			err = to.Value.(pflag.SliceValue).Replace(sv.GetSlice())
			to.Changed = true
		} else {
			err = ld.fs.Set(f.Name, f.Value.String())
		}
		ld.from[f.Name] = "--" + f.Name
	})
	if err != nil {
		return nil, err
	}
	if err := bindEnvFrom(ld.fs, lookup, ld.from); err != nil {
		return nil, err
	}
	if ld.path = ld.fs.Lookup(configFlag).Value.String(); ld.path != "" {
		if err := loadFile(ld.fs, ld.path, ld.from); err != nil {
			return nil, err
		}
	}
	// Under systemd, StateDirectory= is the data directory unless a flag,
	// a variable or the file says otherwise.
	if ld.cfg.DataDir == "" {
		if v, _ := lookup("STATE_DIRECTORY"); v != "" {
			ld.cfg.DataDir = stateDirectory(v)
		}
	}
	return ld, nil
}

// loadFile sets, from the YAML file at path, every setting not set yet.
// Its keys are the flags' names; an unknown key, a list for a setting of
// one value or a bad value is an error naming the file and the line.
func loadFile(fs *pflag.FlagSet, path string, from map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: not YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: want settings as key: value lines (roomsd config example shows them)", path, top.Line)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		where := fmt.Sprintf("%s:%d", path, k.Line)
		f := fs.Lookup(k.Value)
		if f == nil || k.Value == configFlag {
			return fmt.Errorf("%s: unknown key %q%s; the keys are the flags of roomsd serve without their dashes (roomsd config example lists them)", where, k.Value, suggest(fs, k.Value))
		}
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("%s: %q is set twice (first on line %d); keep one", where, k.Value, line)
		}
		seen[k.Value] = k.Line
		values, err := nodeValues(v, f)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, k.Value, err)
		}
		if f.Changed {
			continue // a flag or a variable set it
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			err = sv.Replace(values)
			f.Changed = true
		} else {
			err = fs.Set(f.Name, values[0])
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, k.Value, err)
		}
		from[f.Name] = where
	}
	return nil
}

// nodeValues are the text values of a key: one, or a list for the
// settings that take several (--webhook, --public-ip, ...).
func nodeValues(v *yaml.Node, f *pflag.Flag) ([]string, error) {
	_, many := f.Value.(pflag.SliceValue)
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil, errors.New("no value; give one or remove the line")
	case v.Kind == yaml.ScalarNode:
		return []string{v.Value}, nil
	case v.Kind == yaml.SequenceNode && many:
		out := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				return nil, fmt.Errorf("line %d: each item of the list is one value", item.Line)
			}
			out = append(out, item.Value)
		}
		return out, nil
	case v.Kind == yaml.SequenceNode:
		return nil, errors.New("takes one value, not a list")
	}
	return nil, errors.New("want a value (or, for the repeatable settings, a list of values), not a mapping")
}

// suggest names the key closest to an unknown one, when one is close.
func suggest(fs *pflag.FlagSet, key string) string {
	best, dist := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag {
			return
		}
		if d := editDistance(strings.ReplaceAll(key, "_", "-"), f.Name); d < dist {
			best, dist = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// changed names the settings whose values differ between a and b, sorted.
func changed(a, b *loaded) []string {
	var out []string
	a.fs.VisitAll(func(f *pflag.Flag) {
		if g := b.fs.Lookup(f.Name); g != nil && f.Name != configFlag && f.Value.String() != g.Value.String() {
			out = append(out, f.Name)
		}
	})
	sort.Strings(out)
	return out
}
