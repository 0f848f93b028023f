package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

func TestBackupBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "temporal.db")
	empty := filepath.Join(dir, "empty.db")
	taken := filepath.Join(dir, "taken.db")
	for _, f := range []struct{ path, content string }{{db, "not checked here"}, {empty, ""}, {taken, "x"}} {
		if err := os.WriteFile(f.path, []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no --to", args: []string{"--db-filename", db},
			want: "invalid --to: required, the new file to write the copy to"},
		{name: "empty --to", args: []string{"--db-filename", db, "--to", ""},
			want: "invalid --to: required, the new file to write the copy to"},
		{name: "--to exists", args: []string{"--db-filename", db, "--to", taken},
			want: "invalid --to " + taken + ": the file exists; a backup never replaces a file, so name a new one"},
		{name: "--to is the database", args: []string{"--db-filename", db, "--to", db},
			want: "invalid --to " + db + ": the file exists"},
		{name: "no database", args: []string{"--db-filename", filepath.Join(dir, "none.db"), "--to", filepath.Join(dir, "b.db")},
			want: "invalid --db-filename " + filepath.Join(dir, "none.db") + ": no such file"},
		{name: "default database missing", args: []string{"--to", filepath.Join(dir, "b.db")},
			want: "invalid --db-filename .data/temporal.db: no such file"},
		{name: "empty database", args: []string{"--db-filename", empty, "--to", filepath.Join(dir, "b.db")},
			want: "invalid --db-filename " + empty + ": empty, a devserver has not set it up yet"},
		{name: "database is a folder", args: []string{"--db-filename", dir, "--to", filepath.Join(dir, "b.db")},
			want: "invalid --db-filename " + dir + ": not a file"},
		{name: "an argument", args: []string{"--to", filepath.Join(dir, "b.db"), "extra"},
			want: `unknown command "extra" for "devserver backup"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(dir) // the default --db-filename is relative
			var stdout bytes.Buffer
			cmd := newCommand(&stdout, io.Discard)
			cmd.SetArgs(append([]string{"backup"}, tt.args...))
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("devserver backup %v: %v; want one line starting %q", tt.args, err, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q, want nothing", stdout.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "b.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("b.db was written: %v", err)
			}
		})
	}
}

// workflowExists asks the devserver at addr whether it has the workflow.
func workflowExists(t *testing.T, addr, id string) bool {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &notFound):
		return false
	}
	t.Fatalf("describe %s: %v", id, err)
	return false
}

// startWorkflow starts a workflow that stays open: no worker serves its task queue.
func startWorkflow(t *testing.T, addr, id string) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody"}, "Held"); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
}

// A backup is taken from beside a running devserver, in another process, without disturbing
// it; the restore that docs/operating.md describes then brings back what the backup holds.
func TestBackupAndRestoreBesideRunningDevserver(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "temporal.db")
	dev := startDevserver(t, "--db-filename", db, "--port", "0", "--headless")
	addr := dev.addr(t)
	startWorkflow(t, addr, "before-backup")

	backup := filepath.Join(dir, "backups", "temporal-1.db")
	stdout, stderr, code := runDevserver(t, "backup", "--db-filename", db, "--to", backup)
	if code != 0 || stdout != fmt.Sprintf("devserver backup: %s copied to %s\n", db, backup) {
		t.Fatalf("devserver backup: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Again to the same file, beside the same running devserver: refused, one line, exit 1.
	_, stderr, code = runDevserver(t, "backup", "--db-filename", db, "--to", backup)
	if want := "devserver: invalid --to " + backup + ": the file exists"; code != 1 ||
		!strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("second devserver backup to %s: exit %d, stderr %q; want 1 and one line starting %q", backup, code, stderr, want)
	}
	// The devserver did not notice.
	startWorkflow(t, addr, "after-backup")
	if !workflowExists(t, addr, "before-backup") {
		t.Fatal("the devserver lost before-backup")
	}
	dev.stop(t)

	// Restore: move the database and its -wal and -shm aside, copy the backup into place, start.
	aside := filepath.Join(dir, "damaged")
	if err := os.Mkdir(aside, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(db+suffix, filepath.Join(aside, filepath.Base(db)+suffix))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, db)
	dev = startDevserver(t, "--db-filename", db, "--port", "0", "--headless")
	if addr = dev.addr(t); !workflowExists(t, addr, "before-backup") {
		t.Error("the restored devserver has no before-backup")
	}
	if workflowExists(t, addr, "after-backup") {
		t.Error("the restored devserver has after-backup, started after the backup")
	}
	dev.stop(t)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
