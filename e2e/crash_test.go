package e2e

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestDevserverSurvivesKill9 kills the devserver mid-stream, restarts it on the same file, and
// checks that the stream goes on without a gap and that SQLite finds the file intact.
func TestDevserverSurvivesKill9(t *testing.T) {
	rec := newRecorder(t)
	db := filepath.Join(t.TempDir(), "temporal.db")
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const interval = 500 * time.Millisecond

	dev := startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	worker := startProc(t, "worker", "--address", addr, "--sink", rec.URL)
	mustStarter(t, addr, "start", "--interval", interval.String())
	rec.waitFor(t, 4, 60*time.Second)

	if err := dev.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = dev.Process.Wait()
	before := len(rec.events())

	dev = startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(port))
	rec.waitFor(t, before+4, 90*time.Second)
	stopProc(t, worker)
	stopProc(t, dev)

	checkStream(t, rec.events(), interval)
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var result string
	if err := conn.QueryRow("PRAGMA integrity_check").Scan(&result); err != nil || result != "ok" {
		t.Fatalf("integrity_check = %q, %v; want ok", result, err)
	}
}
