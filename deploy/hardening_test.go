package deploy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// hardening is what every container of every workload must have; the probe rule skips init
// containers, which run to completion instead.
var hardening = []struct {
	name     string
	longOnly bool // not for init containers
	check    func(pod corev1.PodSpec, c corev1.Container) error
}{
	{"runAsNonRoot", false, func(pod corev1.PodSpec, c corev1.Container) error {
		if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil {
			return want(*c.SecurityContext.RunAsNonRoot, "securityContext.runAsNonRoot true")
		}
		return want(pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil &&
			*pod.SecurityContext.RunAsNonRoot, "runAsNonRoot true in the container's or the pod's securityContext")
	}},
	{"readOnlyRootFilesystem", false, func(_ corev1.PodSpec, c corev1.Container) error {
		sc := c.SecurityContext
		return want(sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
			"securityContext.readOnlyRootFilesystem true")
	}},
	{"allowPrivilegeEscalation", false, func(_ corev1.PodSpec, c corev1.Container) error {
		sc := c.SecurityContext
		return want(sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
			"securityContext.allowPrivilegeEscalation false")
	}},
	{"capabilities", false, func(_ corev1.PodSpec, c corev1.Container) error {
		sc := c.SecurityContext
		return want(sc != nil && sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL") &&
			len(sc.Capabilities.Add) == 0, "securityContext.capabilities.drop [ALL] and nothing added")
	}},
	{"seccompProfile", false, func(pod corev1.PodSpec, c corev1.Container) error {
		profile := func(p *corev1.SeccompProfile) bool {
			return p != nil && p.Type == corev1.SeccompProfileTypeRuntimeDefault
		}
		return want(c.SecurityContext != nil && profile(c.SecurityContext.SeccompProfile) ||
			pod.SecurityContext != nil && profile(pod.SecurityContext.SeccompProfile),
			"seccompProfile RuntimeDefault in the container's or the pod's securityContext")
	}},
	{"resources", false, func(_ corev1.PodSpec, c corev1.Container) error {
		var errs []error
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			_, req := c.Resources.Requests[r]
			_, lim := c.Resources.Limits[r]
			errs = append(errs, want(req, "resources.requests."+string(r)), want(lim, "resources.limits."+string(r)))
		}
		return errors.Join(errs...)
	}},
	{"probes", true, func(_ corev1.PodSpec, c corev1.Container) error {
		return errors.Join(want(c.LivenessProbe != nil, "livenessProbe"), want(c.ReadinessProbe != nil, "readinessProbe"))
	}},
}

// want returns an error saying what is missing unless ok.
func want(ok bool, what string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("want %s", what)
}

// hardeningErrors runs every hardening check that applies to c.
func hardeningErrors(pod corev1.PodSpec, c corev1.Container, init bool) []error {
	var errs []error
	for _, h := range hardening {
		if h.longOnly && init {
			continue
		}
		if err := h.check(pod, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.name, err))
		}
	}
	return errs
}

func TestContainersAreHardened(t *testing.T) {
	for _, dir := range outputs {
		for _, w := range workloads(t, render(t, dir)) {
			pod := w.pod.Spec
			if len(pod.Containers) == 0 {
				t.Errorf("%s/%s: no containers", dir, w.id)
			}
			for i, c := range slices.Concat(pod.InitContainers, pod.Containers) {
				init := i < len(pod.InitContainers)
				t.Run(dir+"/"+w.id+"/"+c.Name, func(t *testing.T) {
					for _, err := range hardeningErrors(pod, c, init) {
						t.Error(err)
					}
				})
			}
		}
	}
}

func TestHardeningChecksRejectBareContainer(t *testing.T) {
	errs := hardeningErrors(corev1.PodSpec{}, corev1.Container{Name: "bare"}, false)
	if len(errs) != len(hardening) {
		t.Errorf("a bare container failed %d of %d checks: %v", len(errs), len(hardening), errs)
	}
}

// sinkBoundsErrors checks the hello-events Knative Service against the bounds events-service
// enforces: containerConcurrency set (0 is unlimited) and at most MAX_IN_FLIGHT, so the
// queue-proxy holds what the container would refuse; MAX_BUFFERED_BYTES set; and a memory
// limit with at least 64 MiB above it for the Go runtime and the copies of events in progress.
func sinkBoundsErrors(o object, pod corev1.PodSpec) []error {
	const headroom = 64 << 20
	var errs []error
	cc, _ := field(o.Fields, "spec", "template", "spec", "containerConcurrency").(float64)
	if cc < 1 {
		errs = append(errs, fmt.Errorf("containerConcurrency %v: want it set, 1 or more", cc))
	}
	for _, c := range pod.Containers {
		envInt := func(name string) (int64, error) {
			i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
			if i < 0 {
				return 0, fmt.Errorf("container %s: want env %s set", c.Name, name)
			}
			v, err := strconv.ParseInt(c.Env[i].Value, 10, 64)
			if err != nil || v < 1 {
				return 0, fmt.Errorf("container %s: env %s %q: want a positive integer", c.Name, name, c.Env[i].Value)
			}
			return v, nil
		}
		if maxInFlight, err := envInt("MAX_IN_FLIGHT"); err != nil {
			errs = append(errs, err)
		} else if int64(cc) > maxInFlight {
			errs = append(errs, fmt.Errorf("containerConcurrency %v: want at most MAX_IN_FLIGHT %d", cc, maxInFlight))
		}
		maxBuffered, err := envInt("MAX_BUFFERED_BYTES")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		limit, ok := c.Resources.Limits[corev1.ResourceMemory]
		if !ok || limit.Value() < maxBuffered+headroom {
			errs = append(errs, fmt.Errorf("container %s: memory limit %s: want at least MAX_BUFFERED_BYTES %d + %d MiB",
				c.Name, limit.String(), maxBuffered, headroom>>20))
		}
	}
	return errs
}

func TestSinkWithinItsBounds(t *testing.T) {
	for _, dir := range outputs {
		t.Run(dir, func(t *testing.T) {
			o := one(t, render(t, dir), helloEvents.apiVersion, helloEvents.kind, helloEvents.name)
			tmpl, _, err := podTemplate(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range sinkBoundsErrors(o, tmpl.Spec) {
				t.Error(err)
			}
		})
	}
}

func TestSinkBoundsChecksReject(t *testing.T) {
	tests := []struct {
		name, spec string
		wantErr    string
	}{
		{"no containerConcurrency", `{"containers": [{"name": "c", "env": [{"name": "MAX_IN_FLIGHT", "value": "64"},
			{"name": "MAX_BUFFERED_BYTES", "value": "33554432"}], "resources": {"limits": {"memory": "128Mi"}}}]}`,
			"containerConcurrency 0: want it set"},
		{"containerConcurrency over MAX_IN_FLIGHT", `{"containerConcurrency": 65, "containers": [{"name": "c",
			"env": [{"name": "MAX_IN_FLIGHT", "value": "64"}, {"name": "MAX_BUFFERED_BYTES", "value": "33554432"}],
			"resources": {"limits": {"memory": "128Mi"}}}]}`, "containerConcurrency 65: want at most MAX_IN_FLIGHT 64"},
		{"no MAX_IN_FLIGHT", `{"containerConcurrency": 64, "containers": [{"name": "c",
			"env": [{"name": "MAX_BUFFERED_BYTES", "value": "33554432"}], "resources": {"limits": {"memory": "128Mi"}}}]}`,
			"want env MAX_IN_FLIGHT set"},
		{"memory limit without headroom", `{"containerConcurrency": 64, "containers": [{"name": "c",
			"env": [{"name": "MAX_IN_FLIGHT", "value": "64"}, {"name": "MAX_BUFFERED_BYTES", "value": "100000000"}],
			"resources": {"limits": {"memory": "128Mi"}}}]}`, "memory limit 128Mi: want at least MAX_BUFFERED_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := object{APIVersion: helloEvents.apiVersion, Kind: helloEvents.kind, Name: helloEvents.name}
			data := fmt.Sprintf(`{"spec": {"template": {"spec": %s}}}`, tt.spec)
			if err := json.Unmarshal([]byte(data), &o.Fields); err != nil {
				t.Fatal(err)
			}
			tmpl, _, err := podTemplate(o)
			if err != nil {
				t.Fatal(err)
			}
			errs := sinkBoundsErrors(o, tmpl.Spec)
			if !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), tt.wantErr) }) {
				t.Errorf("errors %v, want one containing %q", errs, tt.wantErr)
			}
		})
	}
}
