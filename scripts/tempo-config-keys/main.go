// Prints every key path of Tempo's app.Config as yaml.v2's UnmarshalStrict
// (cmd/tempo/main.go loadConfig) accepts it: one line per path,
// "path<TAB>kind<TAB>go type", in struct order. Kinds: section (a struct:
// its keys follow), scalar, seq, map (free-form keys), custom (the type has
// its own UnmarshalYAML; scripts/gen-tempo-keys.py says what shape it takes),
// any (an interface). yaml.v2 rules: a field without a tag is its lowercased
// name, ",inline" merges the struct, "-" and unexported fields are skipped.
//
// Run it inside a checkout of Tempo (vendored dependencies, no network):
//   git -C TEMPO_GIT archive v1.5.0 | tar -x -C /tmp/tempo
//   mkdir /tmp/tempo/cmd/tckeys && cp main.go /tmp/tempo/cmd/tckeys/
//   cd /tmp/tempo && go build -mod=vendor -o tckeys ./cmd/tckeys
//   ./tckeys > tempo-v1.5.0.tsv
// then scripts/gen-tempo-keys.py (docs/CONFIG.md). With -defaults it
// prints instead Tempo's whole default config as YAML, as Tempo's
// /status/config shows it (tests/data/tempo-configs/tempo-1.5-defaults.yaml).
package main

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/grafana/tempo/cmd/tempo/app"
	yaml "gopkg.in/yaml.v2"
)

var unmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
var duration = reflect.TypeOf(time.Duration(0))

type row struct{ path, kind, typ string }

var rows []row

func emit(path, kind string, t reflect.Type) {
	rows = append(rows, row{path, kind, t.String()})
}

func walk(path string, t reflect.Type, depth int) {
	if depth > 30 {
		panic("too deep at " + path)
	}
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if reflect.PtrTo(t).Implements(unmarshaler) || t.Implements(unmarshaler) {
		emit(path, "custom", t)
		return
	}
	if t == duration {
		emit(path, "scalar", t)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		emit(path, "section", t)
		fields(path, t, depth)
	case reflect.Map:
		emit(path, "map", t)
	case reflect.Slice, reflect.Array:
		emit(path, "seq", t)
	case reflect.Interface:
		emit(path, "any", t)
	default:
		emit(path, "scalar", t)
	}
}

func fields(path string, t reflect.Type, depth int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue // unexported
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name := tag
		opts := ""
		if j := strings.Index(tag, ","); j >= 0 {
			name, opts = tag[:j], tag[j+1:]
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Ptr {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				emit(path+".*", "map", ft)
				continue
			}
			fields(path, ft, depth+1)
			continue
		}
		if f.PkgPath != "" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		p := name
		if path != "" {
			p = path + "." + name
		}
		walk(p, f.Type, depth+1)
	}
}

func main() {
	defaults := flag.Bool("defaults", false, "print Tempo's default config as YAML")
	flag.Parse()
	if *defaults {
		c := &app.Config{}
		c.RegisterFlagsAndApplyDefaults("", flag.NewFlagSet("", flag.PanicOnError))
		out, err := yaml.Marshal(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(out)
		return
	}
	fields("", reflect.TypeOf(app.Config{}), 0)
	for _, r := range rows {
		fmt.Printf("%s\t%s\t%s\n", r.path, r.kind, r.typ)
	}
}
