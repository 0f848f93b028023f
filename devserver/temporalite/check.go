package temporalite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// checkIntegrity refuses the database at path if SQLite's quick_check finds it damaged, saying
// what to do; the devserver never deletes it.
func checkIntegrity(path string) error {
	problem, err := quickCheck(path)
	switch {
	case err != nil:
		return fmt.Errorf("check the database: %w", err)
	case problem != "":
		return damaged(path, problem)
	}
	return nil
}

// quickCheck runs SQLite's quick_check on the database at path and returns its first finding,
// or "" if there is none. quick_check reads and checks every page and b-tree, but not that the
// indexes match their tables, which keeps it to milliseconds for a few megabytes.
func quickCheck(path string) (string, error) {
	db, err := openSQLite(path, "rw")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var result string
	err = db.QueryRow("PRAGMA quick_check(1)").Scan(&result)
	switch {
	case isCorrupt(err):
		return err.Error(), nil
	case err != nil:
		return "", err
	case result != "ok":
		return result, nil
	}
	return "", nil
}

func damaged(path, finding string) error {
	return fmt.Errorf("database %s is damaged (quick_check: %s): restore a copy made with `devserver backup` (docs/operating.md, Backup and restore), or move it and its -wal and -shm files aside to start with a new one",
		path, strings.Join(strings.Fields(finding), " "))
}

// isCorrupt reports whether err is SQLite's "malformed" or "not a database".
func isCorrupt(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff // the primary code of an extended one
	return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_NOTADB
}

// openSQLite opens the database file at path in mode "ro" or "rw"; neither creates it.
func openSQLite(path, mode string) (*sql.DB, error) {
	// A URI filename: SQLite decodes %XX in the path, so escape the characters it would
	// otherwise read as the start of the query or fragment.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{"mode": {mode}, "_pragma": {"busy_timeout(10000)"}}
	db, err := sql.Open("sqlite", "file:"+escaped+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
