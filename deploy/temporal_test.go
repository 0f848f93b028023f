package deploy_test

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The dynamic config we ship for a Temporal cluster, and the Helm values that give it to
// Temporal's chart. e2e/cluster checks the first against the server's own validate-dynamic-config.
const (
	dynamicConfigFile = "temporal/dynamicconfig.yaml"
	helmValuesFile    = "temporal/helm-values.yaml"
)

// readYAML parses file (relative to deploy/) as sigs.k8s.io/yaml does: through JSON, so that
// numbers, booleans and strings compare the same way however they were written.
func readYAML(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

func TestHelmValuesCarryTheDynamicConfig(t *testing.T) {
	want := readYAML(t, dynamicConfigFile)
	values := readYAML(t, helmValuesFile)
	if keys := slices.Sorted(maps.Keys(values)); !slices.Equal(keys, []string{"server"}) {
		t.Errorf("%s sets %v, want only server", helmValuesFile, keys)
	}
	server, _ := values["server"].(map[string]any)
	if keys := slices.Sorted(maps.Keys(server)); !slices.Equal(keys, []string{"dynamicConfig"}) {
		t.Errorf("%s sets server.%v, want only server.dynamicConfig (the chart's key: templates/server-dynamicconfigmap.yaml)", helmValuesFile, keys)
	}
	got, _ := server["dynamicConfig"].(map[string]any)
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[key]; !ok {
			t.Errorf("%s: server.dynamicConfig lacks %s, which %s sets to %v", helmValuesFile, key, dynamicConfigFile, want[key])
		} else if !reflect.DeepEqual(g, want[key]) {
			t.Errorf("%s: server.dynamicConfig.%s is %v, %s has %v", helmValuesFile, key, g, dynamicConfigFile, want[key])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: server.dynamicConfig sets %s, which %s does not", helmValuesFile, key, dynamicConfigFile)
		}
	}
}

// TestDynamicConfigSaysWhy checks that a comment just above each key says why it is set.
func TestDynamicConfigSaysWhy(t *testing.T) {
	data, err := os.ReadFile(dynamicConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	keys := 0
	for i, line := range lines {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, " ") {
			continue
		}
		keys++
		if i == 0 || !strings.HasPrefix(lines[i-1], "#") {
			t.Errorf("%s:%d: %s has no comment just above it saying why", dynamicConfigFile, i+1, strings.TrimSuffix(line, ":"))
		}
	}
	if keys == 0 {
		t.Errorf("%s: no keys", dynamicConfigFile)
	}
}
