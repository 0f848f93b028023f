package deploy_test

import (
	"errors"
	"fmt"
	"slices"
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
