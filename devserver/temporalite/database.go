package temporalite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// database is the server's SQLite store, held exclusively by this process.
type database struct {
	sql  *config.SQL
	lock *os.File // nil when ephemeral
}

// openDatabase prepares the store. For a file it creates missing parent folders, takes an
// exclusive lock so that no second server uses the same file, and sets up the schema if the
// file does not exist yet. The file runs in WAL mode with synchronous=NORMAL: a crash of the
// process (kill -9) loses no committed transaction and cannot corrupt the file.
func openDatabase(path string, ephemeral, stock bool) (*database, error) {
	if ephemeral {
		return &database{sql: &config.SQL{
			PluginName:        sqliteplugin.PluginName,
			DatabaseName:      strconv.Itoa(rand.IntN(1 << 30)),
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create the database folder: %w", err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the database lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("database %s is in use by another devserver", path)
	}
	pragmas := map[string]string{"journal_mode": "wal", "synchronous": "NORMAL", "busy_timeout": "10000"}
	if stock {
		pragmas = map[string]string{"busy_timeout": "10000"} // SQLite's rollback journal, synchronous=FULL
	}
	db := &database{lock: lock, sql: fileConfig(path, pragmas)}
	if err := setUpSchema(path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func fileConfig(path string, pragmas map[string]string) *config.SQL {
	attrs := map[string]string{"mode": "rwc"}
	for k, v := range pragmas {
		attrs[k] = v
	}
	return &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: path, ConnectAttributes: attrs}
}

// setUpSchema creates the schema in a new file beside path and renames it into place, so that a
// crash during set-up never leaves a half-made database behind.
func setUpSchema(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check the database: %w", err)
	}
	tmp := path + ".new"
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		if err := os.Remove(tmp + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove a leftover of an earlier set-up: %w", err)
		}
	}
	// No journal and no fsync per statement: a crash here only leaves a side file that the next
	// start removes. The finished file is synced once, then renamed into place.
	if err := sqliteschema.SetupSchema(fileConfig(tmp, map[string]string{"journal_mode": "off", "synchronous": "off"})); err != nil {
		return fmt.Errorf("set up the database schema: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("sync the new database: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("move the new database into place: %w", err)
	}
	if err := syncFile(filepath.Dir(path)); err != nil {
		return fmt.Errorf("sync the database folder: %w", err)
	}
	return nil
}

// syncFile flushes a file, or a folder's entries, to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// createNamespaces creates those of names that do not exist, with the custom search attributes.
func (db *database) createNamespaces(names []string, searchAttributes map[string]enumspb.IndexedValueType) error {
	var nss []*sqliteschema.NamespaceConfig
	for _, name := range names {
		ns, err := sqliteschema.NewNamespaceConfig("active", name, false, searchAttributes)
		if err != nil {
			return fmt.Errorf("namespace %q: %w", name, err)
		}
		nss = append(nss, ns)
	}
	if err := sqliteschema.CreateNamespaces(db.sql, nss...); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	return nil
}

// Close releases the lock.
func (db *database) Close() {
	if db.lock != nil {
		db.lock.Close()
	}
}
