// Package cluster_test runs scripts/cluster.sh, the local multi-node Temporal cluster on
// PostgreSQL, and checks it: that it serves through every node, keeps serving while a node is
// killed, takes the node back, and stops leaving no process behind; and that the dynamic config
// we ship (deploy/temporal/dynamicconfig.yaml) is valid for Temporal's server at our version.
// Then it runs our worker and starter on it: every source's stream stays whole through the
// starter's controls on either node, a node's kill -9, PostgreSQL's restart and a rolling
// restart (sources_test.go), and ticks' lateness is measured with our dynamic config and with
// Temporal's stock one (lateness_test.go).
package cluster_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// binDir holds temporal-server, temporal-sql-tool and cluster-setup, and our worker and starter,
// built for this run.
var binDir string

// pgMissing says why the cluster cannot run here, if PostgreSQL's initdb and pg_ctl are absent.
var pgMissing string

const (
	script        = "../../scripts/cluster.sh"
	dynamicConfig = "../../deploy/temporal/dynamicconfig.yaml"
)

func TestMain(m *testing.M) {
	pgMissing = findPostgres()
	dir, err := os.MkdirTemp("", "cluster-bin")
	if err != nil {
		panic(err)
	}
	for bin, pkg := range map[string]string{
		"temporal-server":   "go.temporal.io/server/cmd/server",
		"temporal-sql-tool": "go.temporal.io/server/cmd/tools/sql",
		"cluster-setup":     "../../scripts/clustersetup",
		"worker":            "../../worker",
		"starter":           "../../starter",
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, bin), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", bin, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// findPostgres looks for initdb and pg_ctl where scripts/cluster.sh does: $PG_BIN, PATH, then
// Debian's /usr/lib/postgresql/*/bin, which is not on PATH. It returns why the cluster cannot
// run, or "".
func findPostgres() string {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		if isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "pg_ctl")) {
			return ""
		}
		return fmt.Sprintf("PG_BIN=%s has no initdb and pg_ctl", dir)
	}
	_, errInit := exec.LookPath("initdb")
	_, errCtl := exec.LookPath("pg_ctl")
	if errInit == nil && errCtl == nil {
		return ""
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for _, dir := range dirs {
		if isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "pg_ctl")) {
			return ""
		}
	}
	return "PostgreSQL is not installed: no initdb and pg_ctl on PATH nor in /usr/lib/postgresql/*/bin (apt-get install -y postgresql; .ci/run does)"
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
