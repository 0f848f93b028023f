package temporalite

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/server/common/log"
)

// newDatabase sets up a database at path with a few namespaces in it, and releases it.
func newDatabase(t *testing.T, path string) {
	t.Helper()
	db := openTest(t, path)
	if err := db.createNamespaces([]string{"default", "team-a", "team-b", "team-c"}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	checkpoint(t, path)
}

// checkpoint moves every page in the database's WAL into the file itself, as closing the last
// connection does: the server's connections stay open (Temporal's SQLite plugin pools them).
func checkpoint(t *testing.T, path string) {
	t.Helper()
	db, err := openSQLite(path, "rw")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, logged, moved int
	if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil || busy != 0 {
		t.Fatalf("checkpoint %s: busy %d, %v", path, busy, err)
	}
}

// overwrite writes n random bytes (always the same ones) at off in the file at path.
func overwrite(t *testing.T, path string, off int64, n int) {
	t.Helper()
	junk := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedDatabaseIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
		want   string // part of the error; empty: it starts
	}{
		{name: "healthy", damage: func(*testing.T, string, int64) {}},
		{name: "4 KiB of random bytes over its middle", want: "is damaged (quick_check: ",
			damage: func(t *testing.T, path string, size int64) { overwrite(t, path, size/2/4096*4096, 4096) }},
		{name: "random bytes over its header", want: "is damaged (quick_check: file is not a database",
			damage: func(t *testing.T, path string, _ int64) { overwrite(t, path, 0, 100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "temporal.db")
			newDatabase(t, path)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, path, info.Size())

			if tt.want == "" {
				openTest(t, path).Close()
				return
			}
			port, err := freePort(loopback)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := Start(Config{DBFilename: path, IP: loopback, Port: port, Logger: log.NewNoopLogger()})
			if err == nil {
				srv.Stop()
				t.Fatalf("Start on a damaged %d-byte database: no error", info.Size())
			}
			msg := err.Error()
			t.Logf("Start on a damaged %d-byte database: %s", info.Size(), msg)
			for _, want := range []string{"database " + path + " " + tt.want, "restore a copy made with `devserver backup`",
				"move it and its -wal and -shm files aside"} {
				if !strings.Contains(msg, want) {
					t.Errorf("Start: %q\nwant it to say %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("Start: %q is more than one line", msg)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the damaged file is gone: %v", err)
			}
		})
	}
}
