package deploy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
)

// decodeStrict decodes data into v and fails on any field v does not have, on a field whose
// case differs and on a duplicate field: the strict decoding of the API server's field validation.
func decodeStrict(data []byte, v any) error {
	strict, err := kjson.UnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// coreTypes are the Go types of the Kubernetes objects the manifests may hold.
var coreTypes = map[string]func() any{
	"v1 Namespace":             func() any { return new(corev1.Namespace) },
	"v1 Service":               func() any { return new(corev1.Service) },
	"v1 PersistentVolumeClaim": func() any { return new(corev1.PersistentVolumeClaim) },
	"v1 ConfigMap":             func() any { return new(corev1.ConfigMap) },
	"v1 Secret":                func() any { return new(corev1.Secret) },
	"apps/v1 Deployment":       func() any { return new(appsv1.Deployment) },
}

// podTemplate returns the pod template of a workload (a Deployment, a ContainerSource or a
// Knative Service), strictly decoded; ok is false for other objects.
func podTemplate(o object) (tmpl corev1.PodTemplateSpec, ok bool, err error) {
	switch o.APIVersion + " " + o.Kind {
	case "apps/v1 Deployment":
		var d appsv1.Deployment
		err := decodeStrict(o.JSON, &d)
		return d.Spec.Template, true, err
	case "sources.knative.dev/v1 ContainerSource", "serving.knative.dev/v1 Service":
		data, err := json.Marshal(field(o.Fields, "spec", "template"))
		if err != nil {
			return tmpl, true, err
		}
		if o.Kind == "Service" {
			// The Knative Service's template is a RevisionTemplateSpec: a pod template plus
			// Revision fields (containerConcurrency, timeoutSeconds, ...), which the CRD schema
			// checks; the pod template is decoded without them.
			if data, err = withoutRevisionFields(data); err != nil {
				return tmpl, true, err
			}
		}
		err = decodeStrict(data, &tmpl)
		return tmpl, true, err
	}
	return tmpl, false, nil
}

// revisionFields are the fields of a Knative RevisionSpec that a PodSpec does not have.
var revisionFields = []string{"containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds", "idleTimeoutSeconds"}

// withoutRevisionFields returns the template in data with revisionFields removed from its spec.
func withoutRevisionFields(data []byte) ([]byte, error) {
	var tmpl map[string]any
	if err := json.Unmarshal(data, &tmpl); err != nil {
		return nil, err
	}
	if spec, ok := tmpl["spec"].(map[string]any); ok {
		for _, f := range revisionFields {
			delete(spec, f)
		}
	}
	return json.Marshal(tmpl)
}

// workload is a rendered object that runs pods.
type workload struct {
	id  string // Kind/name
	pod corev1.PodTemplateSpec
}

// workloads returns the workloads in objs with their strictly decoded pod templates.
func workloads(t *testing.T, objs []object) []workload {
	t.Helper()
	var ws []workload
	for _, o := range objs {
		tmpl, ok, err := podTemplate(o)
		if err != nil {
			t.Fatalf("%s: pod template: %v", o.id(), err)
		}
		if ok {
			ws = append(ws, workload{o.Kind + "/" + o.Name, tmpl})
		}
	}
	return ws
}

func TestObjectsDecodeStrictly(t *testing.T) {
	for _, dir := range outputs {
		for _, o := range render(t, dir) {
			t.Run(dir+"/"+o.Kind+"/"+o.Name, func(t *testing.T) {
				if _, ok, err := podTemplate(o); ok && err != nil {
					t.Errorf("%s: pod template: %v", o.id(), err)
				}
				if isKnative(o) {
					return // validated against its CRD
				}
				newType, ok := coreTypes[o.APIVersion+" "+o.Kind]
				if !ok {
					t.Fatalf("%s: no Go type to check it against; add one to coreTypes", o.id())
				}
				if err := decodeStrict(o.JSON, newType()); err != nil {
					t.Errorf("%s: %v", o.id(), err)
				}
			})
		}
	}
}

func TestPodTemplateDecoderRejects(t *testing.T) {
	for _, tt := range []struct{ name, container string }{
		{"unknown field", `{"name": "worker", "image": "hello-cron/worker", "imagePullPolice": "Always"}`},
		{"field in the wrong case", `{"name": "worker", "image": "hello-cron/worker",
			"securityContext": {"readonlyRootFilesystem": true}}`},
		{"wrong type", `{"name": "worker", "image": "hello-cron/worker", "args": "start"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := object{APIVersion: "sources.knative.dev/v1", Kind: "ContainerSource", Name: "broken"}
			data := fmt.Sprintf(`{"spec": {"template": {"spec": {"containers": [%s]}}}}`, tt.container)
			if err := json.Unmarshal([]byte(data), &o.Fields); err != nil {
				t.Fatal(err)
			}
			if _, _, err := podTemplate(o); err == nil {
				t.Errorf("container %s decoded without error", tt.container)
			} else {
				t.Logf("rejected as it should be: %v", err)
			}
		})
	}
}
