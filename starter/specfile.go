package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/workflows"
)

// maxSpecFile bounds a file of sources: 1,000 sources with the largest payload each fit.
const maxSpecFile = 64 << 20

// sourceSpec is one source to apply: its workflow id, the group that runs it ("": none) and
// its input.
type sourceSpec struct {
	id, group string
	in        workflows.Input
}

// readSpecs reads a file of sources (name is for messages): YAML or JSON, one source or a list
// of them. A source's keys are `start`'s flag names and its values what those flags take; a
// repeatable flag (extension) takes a list, and extension a map too. Each source must name
// its workflow-id, once in the file. allowed (--allowed-sinks, or empty for ALLOWED_SINKS)
// applies to every source. Every source is checked before any is applied.
func readSpecs(name string, r io.Reader, allowed string, lookupEnv func(string) (string, bool), now time.Time) ([]sourceSpec, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSpecFile+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	case len(b) > maxSpecFile:
		return nil, fmt.Errorf("invalid %s: more than %d MiB", name, maxSpecFile>>20)
	}
	items, err := decodeSpecs(b)
	if err != nil {
		return nil, fmt.Errorf("invalid %s: %w", name, err)
	}
	specs := make([]sourceSpec, 0, len(items))
	seen := map[[2]string]int{}
	for i, item := range items {
		spec, err := specOf(item, allowed, lookupEnv, now)
		if err != nil {
			return nil, fmt.Errorf("invalid %s: source %d%s: %w", name, i+1, idOf(item), err)
		}
		if first, dup := seen[[2]string{spec.group, spec.id}]; dup {
			return nil, fmt.Errorf("invalid %s: source %d: workflow-id %q%s is source %d's too", name, i+1, spec.id, inGroup(spec.group), first)
		}
		seen[[2]string{spec.group, spec.id}] = i + 1
		specs = append(specs, spec)
	}
	return specs, nil
}

// decodeSpecs decodes YAML or JSON into its sources' fields.
func decodeSpecs(b []byte) ([]map[string]any, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("neither YAML nor JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var items []any
	switch d := doc.(type) {
	case map[string]any:
		items = []any{d}
	case []any:
		items = d
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no source in it: give one source's fields, or a list of sources")
	}
	out := make([]map[string]any, len(items))
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("source %d: must be a map of fields, not %s", i+1, jsonKind(item))
		}
		out[i] = m
	}
	return out, nil
}

// specOf sets a fresh set of `start`'s flags from one source's fields.
func specOf(fields map[string]any, allowed string, lookupEnv func(string) (string, bool), now time.Time) (sourceSpec, error) {
	var src sourceFlags
	fs := pflag.NewFlagSet("apply", pflag.ContinueOnError)
	src.add(fs)
	if _, ok := fields["workflow-id"]; !ok {
		return sourceSpec{}, fmt.Errorf("workflow-id is required")
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		if key == "allowed-sinks" || fs.Lookup(key) == nil {
			return sourceSpec{}, fmt.Errorf("unknown field %q: a source's fields are the flags of `starter start`", key)
		}
		_, repeatable := fs.Lookup(key).Value.(pflag.SliceValue)
		values, err := flagValues(key, fields[key], repeatable)
		if err != nil {
			return sourceSpec{}, err
		}
		for _, v := range values {
			if err := fs.Set(key, v); err != nil {
				_, reason, _ := strings.Cut(err.Error(), " flag: ") // pflag's own prefix names the flag as a flag
				return sourceSpec{}, fmt.Errorf("invalid %s %q: %s", key, v, reason)
			}
		}
	}
	if allowed != "" {
		if err := fs.Set("allowed-sinks", allowed); err != nil {
			return sourceSpec{}, err
		}
	}
	if err := envflag.Apply(fs, lookupEnv); err != nil {
		return sourceSpec{}, err
	}
	if err := checkID("workflow-id", src.id); err != nil {
		return sourceSpec{}, err
	}
	if _, ok := fields["group"]; ok {
		if err := checkID("group", src.group); err != nil {
			return sourceSpec{}, err
		}
	}
	in, err := src.input(fs, lookupEnv, now)
	return sourceSpec{id: src.id, group: src.group, in: in}, err
}

// flagValues turns a field's value into the strings its flag takes: a scalar, or for a
// repeatable flag a list, and for extension a map of names to values too.
func flagValues(key string, v any, repeatable bool) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case json.Number:
		return []string{v.String()}, nil
	case bool:
		return []string{strconv.FormatBool(v)}, nil
	case []any:
		if repeatable {
			out := make([]string, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("invalid %s: each must be a string, not %s", key, jsonKind(e))
				}
				out[i] = s
			}
			return out, nil
		}
	case map[string]any:
		if key == "extension" {
			var out []string
			for _, name := range slices.Sorted(maps.Keys(v)) {
				value, err := flagValues("", v[name], false)
				if err != nil || len(value) != 1 {
					return nil, fmt.Errorf("invalid extension %s: its value must be a string, not %s", name, jsonKind(v[name]))
				}
				out = append(out, name+"="+value[0])
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("invalid %s: must be a string, number or boolean, not %s", key, jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}

// idOf names a source in a message by its workflow-id, if it has a usable one.
func idOf(fields map[string]any) string {
	if id, ok := fields["workflow-id"].(string); ok && checkID("workflow-id", id) == nil {
		return fmt.Sprintf(" (%s)", id)
	}
	return ""
}
