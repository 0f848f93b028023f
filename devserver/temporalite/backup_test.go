package temporalite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countRows is the number of rows in table of the database at path.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := openSQLite(path, "ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s in %s: %v", table, path, err)
	}
	return n
}

// leftovers are the files in dir besides want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if !strings.Contains(" "+strings.Join(want, " ")+" ", " "+e.Name()+" ") {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestBackup(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, db, to string)
		want    string // part of the error; empty: the copy is made
	}{
		{name: "database held by a devserver", prepare: func(t *testing.T, db, _ string) { openTest(t, db) }},
		{name: "target exists", want: "exists: a backup never replaces a file",
			prepare: func(t *testing.T, _, to string) {
				if err := os.WriteFile(to, []byte("keep me"), 0o644); err != nil {
					t.Fatal(err)
				}
			}},
		// A damaged index need not fail: VACUUM INTO builds the copy's indexes from its tables.
		{name: "damaged database", want: "is damaged (quick_check: file is not a database",
			prepare: func(t *testing.T, db, _ string) { overwrite(t, db, 0, 100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "temporal.db")
			newDatabase(t, db)
			backups := t.TempDir()
			to := filepath.Join(backups, "copy.db")
			tt.prepare(t, db, to)

			err := Backup(context.Background(), db, to)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Backup: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Backup: %v, want an error saying %q", err, tt.want)
			case tt.want == "":
				if problem, err := quickCheck(to); err != nil || problem != "" {
					t.Errorf("quick_check of the copy: %q, %v", problem, err)
				}
				if got, want := countRows(t, to, "namespaces"), countRows(t, db, "namespaces"); got != want || got < 4 {
					t.Errorf("the copy has %d namespaces, the database %d; want the same, at least 4", got, want)
				}
			}
			keep := []string{"copy.db"}
			if tt.want != "" && tt.name != "target exists" {
				keep = nil
			}
			if extra := leftovers(t, backups, keep...); len(extra) > 0 {
				t.Errorf("files left beside the target: %v", extra)
			}
			if tt.name == "target exists" {
				if b, _ := os.ReadFile(to); string(b) != "keep me" {
					t.Errorf("the existing target was changed: %q", b)
				}
			}
		})
	}
}
