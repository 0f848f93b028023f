package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"
)

// crdDir is the folder of upstream Knative CRDs: $KNATIVE_CRDS, by default ../shared/knative-crds
// next to the project root.
func crdDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KNATIVE_CRDS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "knative-crds")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Knative CRDs to validate against: %v (set KNATIVE_CRDS to a folder of "+
			"Knative CustomResourceDefinition YAML files)", err)
	}
	return dir
}

// crd is the part of a CustomResourceDefinition that validation needs.
type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// loadSchemas reads every CRD in crdDir, keyed by "<group>/<version> <Kind>" like an object's
// apiVersion and kind.
func loadSchemas(t *testing.T) map[string]*spec.Schema {
	t.Helper()
	dir := crdDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*spec.Schema{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c crd
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range c.Spec.Versions {
			s := new(spec.Schema)
			if err := json.Unmarshal(v.Schema.OpenAPIV3Schema, s); err != nil {
				t.Fatalf("%s: version %s: openAPIV3Schema: %v", f, v.Name, err)
			}
			schemas[c.Spec.Group+"/"+v.Name+" "+c.Spec.Names.Kind] = s
		}
	}
	if len(schemas) == 0 {
		t.Fatalf("no CRD schemas in %s", dir)
	}
	return schemas
}

// isKnative says whether o belongs to a Knative API group (*.knative.dev).
func isKnative(o object) bool {
	group, _, _ := strings.Cut(o.APIVersion, "/")
	return strings.HasSuffix(group, ".knative.dev")
}

// validateCR checks a custom resource the way the API server does with strict field validation
// (kubectl's default): metadata as ObjectMeta, the rest against the CRD's schema, and no field
// the schema does not know (where the server would prune it). It returns one line per problem.
func validateCR(s *spec.Schema, obj map[string]any) []string {
	var problems []string
	if meta, err := json.Marshal(obj["metadata"]); err != nil {
		problems = append(problems, "metadata: "+err.Error())
	} else if err := decodeStrict(meta, new(metav1.ObjectMeta)); err != nil {
		problems = append(problems, "metadata: "+err.Error())
	}
	res := validate.NewSchemaValidator(s, nil, "", strfmt.Default).Validate(obj)
	for _, err := range res.Errors {
		problems = append(problems, err.Error())
	}
	body := map[string]any{}
	for k, v := range obj {
		if k != "apiVersion" && k != "kind" && k != "metadata" {
			body[k] = v
		}
	}
	return append(problems, unknownFields(s, body, "")...)
}

// unknownFields lists the fields of v that s neither declares nor preserves: OpenAPI validation
// alone allows them, the API server's structural pruning does not.
func unknownFields(s *spec.Schema, v any, path string) []string {
	var problems []string
	switch v := v.(type) {
	case map[string]any:
		preserve, _ := s.Extensions.GetBool("x-kubernetes-preserve-unknown-fields")
		embedded, _ := s.Extensions.GetBool("x-kubernetes-embedded-resource")
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			switch prop, known := s.Properties[k]; {
			case known:
				problems = append(problems, unknownFields(&prop, v[k], p)...)
			case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
				problems = append(problems, unknownFields(s.AdditionalProperties.Schema, v[k], p)...)
			case s.AdditionalProperties != nil && s.AdditionalProperties.Allows, preserve,
				embedded && (k == "apiVersion" || k == "kind" || k == "metadata"):
			default:
				problems = append(problems, fmt.Sprintf("%s: unknown field", strings.TrimPrefix(p, ".")))
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for i, item := range v {
				problems = append(problems, unknownFields(s.Items.Schema, item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return problems
}

func TestKnativeObjectsMatchCRDs(t *testing.T) {
	schemas := loadSchemas(t)
	for _, dir := range outputs {
		for _, o := range render(t, dir) {
			if !isKnative(o) {
				continue
			}
			t.Run(dir+"/"+o.Kind+"/"+o.Name, func(t *testing.T) {
				s, err := schemaFor(schemas, o)
				if err != nil {
					t.Fatalf("%v in %s", err, crdDir(t))
				}
				for _, p := range validateCR(s, o.Fields) {
					t.Errorf("%s: %s", o.id(), p)
				}
			})
		}
	}
}

// schemaFor returns the schema of o's kind at o's apiVersion.
func schemaFor(schemas map[string]*spec.Schema, o object) (*spec.Schema, error) {
	s, ok := schemas[o.APIVersion+" "+o.Kind]
	if !ok {
		return nil, fmt.Errorf("%s: no CRD for %s %s", o.id(), o.APIVersion, o.Kind)
	}
	return s, nil
}

func TestCRDValidatorRejects(t *testing.T) {
	schemas := loadSchemas(t)
	for _, tt := range []struct{ name, manifest string }{
		{"sink as a string", `{"apiVersion": "sources.knative.dev/v1", "kind": "ContainerSource",
			"metadata": {"name": "broken"}, "spec": {"sink": "http://hello-events", "template": {}}}`},
		{"misspelt field", `{"apiVersion": "sources.knative.dev/v1", "kind": "ContainerSource",
			"metadata": {"name": "broken"}, "spec": {"sink": {"ref": {"apiVersion": "serving.knative.dev/v1",
			"kind": "Service", "name": "hello-events"}}, "sinkRef": {}, "template": {}}}`},
		{"labels as a list", `{"apiVersion": "sources.knative.dev/v1", "kind": "ContainerSource",
			"metadata": {"name": "broken", "labels": ["a"]}, "spec": {"template": {}}}`},
		{"version without a CRD", `{"apiVersion": "sources.knative.dev/v1alpha1", "kind": "ContainerSource",
			"metadata": {"name": "broken"}, "spec": {"template": {}}}`},
		{"trigger filter as a string", `{"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
			"metadata": {"name": "broken"}, "spec": {"broker": "default", "filter": "type=com.hello.cron-event"}}`},
		{"unknown container field in a Knative Service", `{"apiVersion": "serving.knative.dev/v1",
			"kind": "Service", "metadata": {"name": "broken"}, "spec": {"template": {"spec": {"containers":
			[{"image": "hello-cron/events-service", "imagePullPolice": "Always"}]}}}}`},
		{"probe port of the wrong type", `{"apiVersion": "serving.knative.dev/v1", "kind": "Service",
			"metadata": {"name": "broken"}, "spec": {"template": {"spec": {"containers": [{"image": "x",
			"readinessProbe": {"httpGet": {"path": "/readyz", "port": true}}}]}}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var o object
			if err := json.Unmarshal([]byte(tt.manifest), &o.Fields); err != nil {
				t.Fatal(err)
			}
			o.APIVersion, _ = o.Fields["apiVersion"].(string)
			o.Kind, _ = o.Fields["kind"].(string)
			s, err := schemaFor(schemas, o)
			if err != nil {
				t.Logf("rejected as it should be: %v", err)
				return
			}
			problems := validateCR(s, o.Fields)
			if len(problems) == 0 {
				t.Fatalf("%s validated without error", tt.manifest)
			}
			t.Logf("rejected as it should be: %s", strings.Join(problems, "; "))
		})
	}
}
