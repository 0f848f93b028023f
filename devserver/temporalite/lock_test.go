package temporalite

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// openTest opens the database at path, or fails the test; it is closed when the test ends.
func openTest(t *testing.T, path string) *database {
	t.Helper()
	db, err := openDatabase(path, false, false)
	if err != nil {
		t.Fatalf("openDatabase(%s): %v", path, err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestLockIsOnTheFileNotThePath(t *testing.T) {
	tests := []struct {
		name  string
		alias func(db, alias string) error
	}{
		{name: "same path", alias: func(string, string) error { return nil }},
		{name: "symlink", alias: os.Symlink},
		{name: "hard link", alias: os.Link},
		{name: "symlink to the folder", alias: func(db, alias string) error {
			return os.Symlink(filepath.Dir(db), filepath.Dir(alias))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "data", "temporal.db")
			alias := filepath.Join(dir, "other", "temporal.db")
			switch tt.name {
			case "same path":
				alias = db
			case "symlink to the folder":
			default:
				if err := os.MkdirAll(filepath.Dir(alias), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			first := openTest(t, db)
			if err := tt.alias(db, alias); err != nil {
				t.Fatal(err)
			}

			second, err := openDatabase(alias, false, false)
			if err == nil {
				second.Close()
				t.Fatalf("second open through %s while the first holds it: no error", alias)
			}
			if want := "database " + alias + " is in use by another devserver"; err.Error() != want {
				t.Fatalf("second open through %s: %q, want %q", alias, err, want)
			}

			first.Close()
			third := openTest(t, alias)
			third.Close()
		})
	}
}

// Devservers that start at once on a new file: exactly one sets it up and gets it.
func TestFirstStartsRacingOneWins(t *testing.T) {
	for round := range 3 {
		db := filepath.Join(t.TempDir(), "temporal.db")
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				d, err := openDatabase(db, false, false)
				if err == nil {
					t.Cleanup(d.Close)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !strings.Contains(err.Error(), "is in use by another devserver"):
				t.Errorf("round %d: %v, want success or 'in use'", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of %d opens won, want 1: %v", round, won, n, errs)
		}
		if problem, err := quickCheck(db); err != nil || problem != "" {
			t.Fatalf("round %d: quick_check of the new database: %q, %v", round, problem, err)
		}
		if _, err := os.Stat(db + ".new"); !os.IsNotExist(err) {
			t.Errorf("round %d: %s.new is left: %v", round, db, err)
		}
	}
}

// A start that crashed while setting up the schema leaves the database file empty and a
// half-made side file; the next start must set it up, not take the empty file for a database.
func TestCrashedSetUpIsDoneAgain(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+".new", []byte("SQLite format 3\x00 and then the crash"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := openTest(t, db)
	if err := d.createNamespaces([]string{"default"}, nil); err != nil {
		t.Fatalf("the set-up database has no schema: %v", err)
	}
	if _, err := os.Stat(db + ".new"); !os.IsNotExist(err) {
		t.Errorf("%s.new is left: %v", db, err)
	}
}

// SQLite would apply the log of an older database, left beside a missing one, to the new one.
func TestNewDatabaseBesideAnOldLogIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	if err := os.WriteFile(db+"-wal", []byte("an older database's log"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := openDatabase(db, false, false)
	if err == nil {
		d.Close()
		t.Fatal("openDatabase: no error")
	}
	if want := "database " + db + " is missing or empty but " + db + "-wal is not"; !strings.Contains(err.Error(), want) {
		t.Fatalf("openDatabase: %q, want it to say %q", err, want)
	}
}
