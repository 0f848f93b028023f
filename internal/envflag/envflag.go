// Package envflag lets a command-line flag fall back to environment variables, so that a flag
// that is set beats its env var, which beats the flag's default. Each bound flag names its
// variables in its help text.
package envflag

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

const annotation = "envflag/vars"

// Bind records that the flag called name falls back to vars, first set one wins, and appends
// them to the flag's help text. It panics if the flag does not exist: that is a programming error.
func Bind(fs *pflag.FlagSet, name string, vars ...string) {
	f := fs.Lookup(name)
	if f == nil {
		panic(fmt.Sprintf("envflag: no flag --%s", name))
	}
	f.Usage += " [$" + strings.Join(vars, ", $") + "]"
	if err := fs.SetAnnotation(name, annotation, vars); err != nil {
		panic(err)
	}
}

// Apply sets every bound flag that was not given on the command line from the first of its
// variables that lookup finds non-empty. The error names the variable and its value.
func Apply(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		for _, name := range f.Annotations[annotation] {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue
			}
			if setErr := f.Value.Set(v); setErr != nil {
				err = fmt.Errorf("invalid %s %q: %w", name, v, setErr)
			}
			return
		}
	})
	return err
}

// Source says where a bound flag's value came from, for messages: "--name", "$VAR" or "default".
func Source(fs *pflag.FlagSet, name string, lookup func(string) (string, bool)) string {
	f := fs.Lookup(name)
	if f == nil || f.Changed {
		return "--" + name
	}
	for _, v := range f.Annotations[annotation] {
		if s, ok := lookup(v); ok && s != "" {
			return v
		}
	}
	return "--" + name
}
