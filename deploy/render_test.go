package deploy_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// outputs are the kustomizations users apply with `kubectl apply -k deploy/<dir>`.
var outputs = []string{"base", "overlays/fanout", "overlays/external-temporal", "overlays/kind"}

// object is one rendered manifest, as kubectl would send it.
type object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	JSON       []byte         // the whole object
	Fields     map[string]any // JSON decoded into maps, for schema validation
}

// id names an object in test output: "Kind apiVersion/name".
func (o object) id() string { return o.Kind + " " + o.APIVersion + "/" + o.Name }

// render builds the kustomization in dir (relative to deploy/) the way `kubectl apply -k` does.
func render(t *testing.T, dir string) []object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.FromSlash(dir))
	if err != nil {
		t.Fatalf("render %s: %v", dir, err)
	}
	var objs []object
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("render %s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil {
			t.Fatalf("render %s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		objs = append(objs, object{
			APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Name: r.GetName(),
			Namespace: r.GetNamespace(), JSON: data, Fields: fields,
		})
	}
	if len(objs) == 0 {
		t.Fatalf("render %s: no objects", dir)
	}
	return objs
}

// find returns the objects of kind (and apiVersion, if not empty) named name.
func find(objs []object, apiVersion, kind, name string) []object {
	var found []object
	for _, o := range objs {
		if o.Kind == kind && o.Name == name && (apiVersion == "" || o.APIVersion == apiVersion) {
			found = append(found, o)
		}
	}
	return found
}

// one returns the single object find matches, or fails the test.
func one(t *testing.T, objs []object, apiVersion, kind, name string) object {
	t.Helper()
	found := find(objs, apiVersion, kind, name)
	if len(found) != 1 {
		t.Fatalf("want one %s %s/%s, found %d", kind, apiVersion, name, len(found))
	}
	return found[0]
}

// field returns the value at path in o, or nil.
func field(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestOutputsRender(t *testing.T) {
	for _, dir := range outputs {
		t.Run(dir, func(t *testing.T) {
			for _, o := range render(t, dir) {
				if o.Kind != "Namespace" && o.Namespace != "hello-cron" {
					t.Errorf("%s: namespace %q, want hello-cron", o.id(), o.Namespace)
				}
			}
		})
	}
}
