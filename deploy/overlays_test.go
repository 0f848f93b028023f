package deploy_test

import (
	"reflect"
	"regexp"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// ref is an object reference: a sink, a Trigger's subscriber.
type ref struct{ apiVersion, kind, name string }

var (
	helloEvents = ref{"serving.knative.dev/v1", "Service", "hello-events"}
	broker      = ref{"eventing.knative.dev/v1", "Broker", "default"}
)

// refAt reads the reference at path in o.
func refAt(o object, path ...string) ref {
	m, _ := field(o.Fields, path...).(map[string]any)
	s := func(k string) string { v, _ := m[k].(string); return v }
	return ref{s("apiVersion"), s("kind"), s("name")}
}

// source returns the one ContainerSource, hello-cron, and its pod spec.
func source(t *testing.T, objs []object) (object, corev1.PodSpec) {
	t.Helper()
	var n int
	for _, o := range objs {
		if o.Kind == "ContainerSource" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("want one ContainerSource, found %d", n)
	}
	o := one(t, objs, "sources.knative.dev/v1", "ContainerSource", "hello-cron")
	tmpl, _, err := podTemplate(o)
	if err != nil {
		t.Fatal(err)
	}
	return o, tmpl.Spec
}

// container returns the container called name.
func container(t *testing.T, cs []corev1.Container, name string) corev1.Container {
	t.Helper()
	i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no container %q", name)
	}
	return cs[i]
}

// env returns c's environment variable called name.
func env(t *testing.T, c corev1.Container, name string) corev1.EnvVar {
	t.Helper()
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
	if i < 0 {
		t.Fatalf("container %s: no env %s", c.Name, name)
	}
	return c.Env[i]
}

func TestBaseAppliesTheSourceBeforeTheWorker(t *testing.T) {
	objs := render(t, "base")
	cs, pod := source(t, objs)
	if got := refAt(cs, "spec", "sink", "ref"); got != helloEvents {
		t.Errorf("sink %v, want %v", got, helloEvents)
	}
	one(t, objs, helloEvents.apiVersion, helloEvents.kind, helloEvents.name)

	if len(pod.InitContainers) != 1 {
		t.Fatalf("want one init container, the starter; found %d", len(pod.InitContainers))
	}
	starter := container(t, pod.InitContainers, "starter")
	wantArgs := []string{"apply", "--workflow-id", "hello-cron", "--interval", "10s", "--connect-timeout", "5m"}
	if !slices.Equal(starter.Args, wantArgs) {
		t.Errorf("starter args %q, want %q", starter.Args, wantArgs)
	}
	worker := container(t, pod.Containers, "worker")
	for name, value := range map[string]string{
		"TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "default", "TEMPORAL_TASK_QUEUE": "hello-cron",
		"ALLOWED_SINKS": "http://hello-events.hello-cron.svc.cluster.local", // no source posts elsewhere
	} {
		for _, c := range []corev1.Container{starter, worker} {
			if got := env(t, c, name).Value; got != value {
				t.Errorf("%s: %s=%q, want %q", c.Name, name, got, value)
			}
		}
	}
}

func TestBaseRunsOneDevServerOnItsVolume(t *testing.T) {
	objs := render(t, "base")
	var d appsv1.Deployment
	if err := decodeStrict(one(t, objs, "apps/v1", "Deployment", "temporal").JSON, &d); err != nil {
		t.Fatal(err)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("want 1 replica and the Recreate strategy, never two servers on one file")
	}
	c := container(t, d.Spec.Template.Spec.Containers, "temporal")
	if !slices.Contains(c.Args, "/data/temporal.db") || !slices.ContainsFunc(c.VolumeMounts,
		func(m corev1.VolumeMount) bool { return m.Name == "data" && m.MountPath == "/data" }) {
		t.Errorf("want the database in /data, on the volume data: args %q, mounts %v", c.Args, c.VolumeMounts)
	}
	if !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Name == "data" && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "temporal-data"
	}) {
		t.Errorf("want the volume data from the claim temporal-data")
	}
	var pvc corev1.PersistentVolumeClaim
	if err := decodeStrict(one(t, objs, "v1", "PersistentVolumeClaim", "temporal-data").JSON, &pvc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("claim access modes %v, want ReadWriteOnce", pvc.Spec.AccessModes)
	}
	var svc corev1.Service
	if err := decodeStrict(one(t, objs, "v1", "Service", "temporal").JSON, &svc); err != nil {
		t.Fatal(err)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service temporal selects %s=%s, which the dev server's pods do not have", k, v)
		}
	}
	want := map[string]int32{"grpc": 7233, "ui": 8233}
	if len(svc.Spec.Ports) != len(want) {
		t.Errorf("Service temporal ports %v, want grpc 7233 and ui 8233", svc.Spec.Ports)
	}
	for _, p := range svc.Spec.Ports {
		if want[p.Name] != p.Port || !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
			return cp.Name == p.TargetPort.StrVal
		}) {
			t.Errorf("Service temporal port %s %d -> %v: want grpc 7233 and ui 8233 onto the container's named ports", p.Name, p.Port, p.TargetPort)
		}
	}
}

// images matches the images of an output: hello-cron/<binary>:dev, with a prefix in the kind overlay.
var images = map[string]*regexp.Regexp{
	"base":                       regexp.MustCompile(`^hello-cron/(devserver|worker|starter|events-service):dev$`),
	"overlays/fanout":            regexp.MustCompile(`^hello-cron/(devserver|worker|starter|events-service):dev$`),
	"overlays/external-temporal": regexp.MustCompile(`^hello-cron/(worker|starter|events-service):dev$`),
	"overlays/kind":              regexp.MustCompile(`^kind\.local/hello-cron/(devserver|worker|starter|events-service):dev$`),
}

func TestImagesArePinned(t *testing.T) {
	for _, dir := range outputs {
		t.Run(dir, func(t *testing.T) {
			want, ok := images[dir]
			if !ok {
				t.Fatalf("no image pattern for %s", dir)
			}
			for _, w := range workloads(t, render(t, dir)) {
				for _, c := range slices.Concat(w.pod.Spec.InitContainers, w.pod.Spec.Containers) {
					if !want.MatchString(c.Image) {
						t.Errorf("%s/%s: image %q, want %s", w.id, c.Name, c.Image, want)
					}
				}
			}
		})
	}
}

func TestFanoutSendsThroughTheBroker(t *testing.T) {
	objs := render(t, "overlays/fanout")
	cs, _ := source(t, objs)
	if got := refAt(cs, "spec", "sink", "ref"); got != broker {
		t.Errorf("sink %v, want the Broker %v", got, broker)
	}
	one(t, objs, broker.apiVersion, broker.kind, broker.name)
	tr := one(t, objs, "eventing.knative.dev/v1", "Trigger", "hello-events")
	if got := field(tr.Fields, "spec", "broker"); got != broker.name {
		t.Errorf("Trigger on broker %v, want %s", got, broker.name)
	}
	if got := field(tr.Fields, "spec", "filter", "attributes", "type"); got != "com.hello.cron-event" {
		t.Errorf("Trigger filters on type %v, want com.hello.cron-event", got)
	}
	if got := refAt(tr, "spec", "subscriber", "ref"); got != helloEvents {
		t.Errorf("Trigger subscriber %v, want %v", got, helloEvents)
	}
}

func TestExternalTemporalConnectsFromConfig(t *testing.T) {
	objs := render(t, "overlays/external-temporal")
	for _, gone := range []ref{
		{"apps/v1", "Deployment", "temporal"}, {"v1", "Service", "temporal"},
		{"v1", "PersistentVolumeClaim", "temporal-data"},
	} {
		if found := find(objs, gone.apiVersion, gone.kind, gone.name); len(found) > 0 {
			t.Errorf("%s %s/%s is still there", gone.kind, gone.apiVersion, gone.name)
		}
	}
	for _, o := range objs {
		if o.Kind == "Secret" {
			t.Errorf("%s: the overlay ships no Secret; users create theirs", o.id())
		}
	}
	cm := one(t, objs, "v1", "ConfigMap", "temporal-connection")
	for _, key := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		if field(cm.Fields, "data", key) == nil {
			t.Errorf("ConfigMap temporal-connection has no %s", key)
		}
	}

	_, pod := source(t, objs)
	fromConfig := func(key string, optional bool) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "temporal-connection"}, Key: key, Optional: opt(optional)}}
	}
	wantEnv := map[string]*corev1.EnvVarSource{
		"TEMPORAL_ADDRESS":   fromConfig("TEMPORAL_ADDRESS", false),
		"TEMPORAL_NAMESPACE": fromConfig("TEMPORAL_NAMESPACE", false),
		"TEMPORAL_API_KEY": {SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "temporal-credentials"}, Key: "api-key", Optional: opt(true)}},
		"TEMPORAL_TLS_CERT":        fromConfig("TEMPORAL_TLS_CERT", true),
		"TEMPORAL_TLS_KEY":         fromConfig("TEMPORAL_TLS_KEY", true),
		"TEMPORAL_TLS_CA":          fromConfig("TEMPORAL_TLS_CA", true),
		"TEMPORAL_TLS_SERVER_NAME": fromConfig("TEMPORAL_TLS_SERVER_NAME", true),
	}
	for _, c := range []corev1.Container{container(t, pod.InitContainers, "starter"), container(t, pod.Containers, "worker")} {
		for name, want := range wantEnv {
			if got := env(t, c, name); !reflect.DeepEqual(got.ValueFrom, want) || got.Value != "" {
				t.Errorf("%s: env %s = %+v, want it from %+v", c.Name, name, got, want)
			}
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.Name == "temporal-tls" && m.MountPath == "/etc/temporal-tls" && m.ReadOnly
		}) {
			t.Errorf("%s: temporal-tls is not mounted read-only at /etc/temporal-tls: %v", c.Name, c.VolumeMounts)
		}
	}
	if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool {
		return v.Name == "temporal-tls" && v.Secret != nil && v.Secret.SecretName == "temporal-tls" &&
			v.Secret.Optional != nil && *v.Secret.Optional
	}) {
		t.Errorf("want the volume temporal-tls from the optional Secret temporal-tls: %v", pod.Volumes)
	}
}

// opt returns a pointer to an optional flag, or nil for a required reference.
func opt(optional bool) *bool {
	if !optional {
		return nil
	}
	return &optional
}
