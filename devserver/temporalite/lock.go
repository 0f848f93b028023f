package temporalite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// The database is locked by its identity, not its path: each devserver holds a BSD flock on an
// open descriptor of the database file itself, so that a second one reaching the same file
// through a symlink or a hard link is refused too. SQLite's own locks do not interfere: its unix
// VFS (modernc.org/sqlite, SQLITE_ENABLE_LOCKING_STYLE=0) takes POSIX fcntl(F_SETLK) byte-range
// locks, which Linux keeps apart from flock on local file systems (devserver's
// TestBackupAndRestoreBesideRunningDevserver reads from another process beside a running
// devserver). On NFS, where Linux emulates flock with a whole-file fcntl lock, such a reader
// would get SQLITE_BUSY; SQLite is not safe on NFS anyway.
//
// One POSIX rule binds the order of work: closing any descriptor of a file drops every fcntl
// lock that the process holds on it, SQLite's included. The lock is therefore released only
// after the server has stopped, just before the process exits.

// lockDatabase opens the database file at path, creating it empty if it does not exist, and
// takes an exclusive flock on it. It fails with the "in use" error if another devserver holds
// it. A file replaced while it was being locked (a first start renames its new database into
// place) is opened again, so the lock is always on the file that path names now.
func lockDatabase(path string) (*os.File, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open the database: %w", err)
		}
		if err := flockExclusive(f); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, inUse(path)
			}
			return nil, fmt.Errorf("lock the database: %w", err)
		}
		same, err := isFileAt(f, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if same {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock the database: %s keeps being replaced", path)
}

func inUse(path string) error {
	return fmt.Errorf("database %s is in use by another devserver", path)
}

// flockExclusive takes an exclusive flock on f without waiting.
func flockExclusive(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// isFileAt reports whether f is the file that path names now.
func isFileAt(f *os.File, path string) (bool, error) {
	held, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("check the database: %w", err)
	}
	now, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check the database: %w", err)
	}
	return os.SameFile(held, now), nil
}

// placeNewDatabase renames the finished, synced database at tmp to path (no symlink), in place
// of the empty, locked file held, and returns the new file, locked. The new file is locked
// before it is renamed, so no second devserver can take it in between.
func placeNewDatabase(held *os.File, tmp, path string) (*os.File, error) {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open the new database: %w", err)
	}
	if err := flockExclusive(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the new database: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		return nil, fmt.Errorf("move the new database into place: %w", err)
	}
	if err := syncFile(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync the database folder: %w", err)
	}
	held.Close() // the empty file it replaced, now unlinked
	return f, nil
}
