package workflows

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestWorkflowsDependOnNoIO keeps I/O out of workflow code: no package of this module that
// workflows depends on, workflows included, may import net/http, crypto/tls, os/exec or os. Such
// a package does I/O, and workflow code must be deterministic; the I/O belongs in activities,
// which workflows knows only through activities/contract.
//
// It cannot check that net/http is nowhere among the dependencies: the SDK's own workflow
// package links it (go list -deps go.temporal.io/sdk/workflow | grep net/http). So it checks
// what we control, the direct imports of our own packages, as go list -deps reports them for
// this package's non-test build (test files may import activities to mock it).
func TestWorkflowsDependOnNoIO(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to list the dependencies with: %v", err)
	}
	forbidden := map[string]bool{"net/http": true, "crypto/tls": true, "os/exec": true, "os": true}
	// Only our packages: those of the main module.
	const format = `{{if and .Module .Module.Main}}{{.ImportPath}} {{join .Imports " "}}{{end}}`
	out, err := exec.CommandContext(t.Context(), goCmd, "list", "-deps", "-f", format, ".").Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("go list -deps: %v\n%s", err, exitErr.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	var ours []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := fields[0]
		ours = append(ours, pkg)
		for _, imp := range fields[1:] {
			if forbidden[imp] {
				t.Errorf("%s imports %s: workflows must depend on no package of ours that does I/O", pkg, imp)
			}
		}
	}
	if !slices.ContainsFunc(ours, func(pkg string) bool { return strings.HasSuffix(pkg, "/workflows") }) {
		t.Fatalf("go list -deps listed %q, not workflows itself: the check looked at nothing", ours)
	}
}
