package temporalite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database at from to the new file to, while a devserver
// may be running on it. It takes no devserver lock and writes nothing to from: SQLite's
// `VACUUM INTO` reads one snapshot in a read transaction, which in WAL mode does not block the
// server's writes. The copy is made in a temporary file beside to, checked with quick_check,
// synced, and only then linked into place, so a crash leaves no half copy under the name to;
// an existing to is never replaced.
func Backup(ctx context.Context, from, to string) error {
	tmp, err := os.CreateTemp(filepath.Dir(to), filepath.Base(to)+".*.partial")
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	tmp.Close() // empty: VACUUM INTO writes into an empty file
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	if err := vacuumInto(ctx, from, tmp.Name()); err != nil {
		return err
	}
	switch problem, err := quickCheck(tmp.Name()); {
	case err != nil:
		return fmt.Errorf("check the copy: %w", err)
	case problem != "":
		return fmt.Errorf("the copy of %s fails quick_check: %s", from, problem)
	}
	if err := syncFile(tmp.Name()); err != nil {
		return fmt.Errorf("sync the copy: %w", err)
	}
	// A hard link fails if to exists, where a rename would replace it.
	if err := os.Link(tmp.Name(), to); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: a backup never replaces a file", to)
		}
		return fmt.Errorf("move the copy into place: %w", err)
	}
	done = true
	os.Remove(tmp.Name())
	if err := syncFile(filepath.Dir(to)); err != nil {
		return fmt.Errorf("sync the backup's folder: %w", err)
	}
	return nil
}

// vacuumInto copies the database at from into the empty file at to.
func vacuumInto(ctx context.Context, from, to string) error {
	db, err := openSQLite(from, "ro")
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", to); err != nil {
		if isCorrupt(err) {
			return damaged(from, err.Error())
		}
		return fmt.Errorf("copy the database: %w", err)
	}
	return nil
}
