package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A second devserver reaching a running one's database by another name is refused, in one
// line naming the flag; one killed with SIGKILL leaves no lock behind, and its database, WAL
// and all, can be backed up and passes the check at the next start.
func TestDatabaseLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "temporal.db")
	dev := startDevserver(t, "--db-filename", db, "--port", "0", "--headless")
	addr := dev.addr(t) // the restarts below take the same port, as after a crash
	_, port, _ := net.SplitHostPort(addr)
	startWorkflow(t, addr, "kept")

	symlink, hardlink := filepath.Join(dir, "symlink.db"), filepath.Join(dir, "hardlink.db")
	if err := os.Symlink(db, symlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(db, hardlink); err != nil {
		t.Fatal(err)
	}
	for _, alias := range []string{db, symlink, hardlink} {
		_, stderr, code := runDevserver(t, "--db-filename", alias, "--port", "0", "--headless")
		want := fmt.Sprintf("devserver: invalid --db-filename %s: database %s is in use by another devserver\n", alias, alias)
		if code != 1 || stderr != want {
			t.Errorf("second devserver on %s: exit %d, stderr %q; want 1 and %q", alias, code, stderr, want)
		}
	}

	dev.kill(t)
	// A backup of a database left by a crash, its WAL not yet recovered: it has what was committed.
	backup := filepath.Join(dir, "after-crash.db")
	if _, stderr, code := runDevserver(t, "backup", "--db-filename", db, "--to", backup); code != 0 {
		t.Fatalf("devserver backup after SIGKILL: exit %d: %s", code, stderr)
	}
	start := time.Now()
	dev = startDevserver(t, "--db-filename", symlink, "--port", port, "--headless")
	t.Logf("restart after SIGKILL ready in %v", time.Since(start))
	if !workflowExists(t, addr, "kept") {
		t.Error("the devserver restarted after SIGKILL lost workflow kept")
	}
	dev.stop(t)
	dev = startDevserver(t, "--db-filename", backup, "--port", port, "--headless")
	if !workflowExists(t, addr, "kept") {
		t.Error("the backup taken after SIGKILL lacks workflow kept")
	}
	dev.stop(t)
	if _, err := os.Stat(db + ".lock"); !os.IsNotExist(err) {
		t.Errorf("%s.lock exists: %v; the lock is on the database itself", db, err)
	}
	if out := dev.stdout.String(); !strings.Contains(out, "devserver stopped") {
		t.Errorf("devserver output after SIGTERM has no 'devserver stopped': %q", out)
	}
}
