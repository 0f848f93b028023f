package temporalite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// database is the server's SQLite store, held exclusively by this process.
type database struct {
	sql  *config.SQL
	lock *os.File // the database file itself, flocked; nil when ephemeral
}

// openDatabase prepares the store. For a file it creates missing parent folders, locks the file
// (see lockDatabase) so that no second server uses it, sets up the schema if the file is new, and
// otherwise refuses it if SQLite's quick_check finds it damaged. The file runs in WAL mode with
// synchronous=NORMAL: a crash of the process (kill -9) loses no committed transaction and cannot
// corrupt the file.
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
	lock, err := lockDatabase(path)
	if err != nil {
		return nil, err
	}
	db := &database{lock: lock}
	info, err := lock.Stat()
	switch {
	case err != nil:
		err = fmt.Errorf("check the database: %w", err)
	case info.Size() == 0:
		// New, or left empty by a start that crashed while setting it up: never a database.
		err = db.setUpSchema(path)
	default:
		err = checkIntegrity(path)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	pragmas := map[string]string{"journal_mode": "wal", "synchronous": "NORMAL", "busy_timeout": "10000"}
	if stock {
		pragmas = map[string]string{"busy_timeout": "10000"} // SQLite's rollback journal, synchronous=FULL
	}
	db.sql = fileConfig(path, pragmas)
	return db, nil
}

func fileConfig(path string, pragmas map[string]string) *config.SQL {
	attrs := map[string]string{"mode": "rwc"}
	for k, v := range pragmas {
		attrs[k] = v
	}
	return &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: path, ConnectAttributes: attrs}
}

// setUpSchema creates the schema in a new file beside the empty, locked database file and
// renames it into place, so that a crash during set-up leaves at most that empty file, which the
// next start sets up again, and never a half-made database. The new file is locked before it
// replaces the empty one (placeNewDatabase), so two devservers starting at once cannot both win.
func (db *database) setUpSchema(path string) error {
	target, err := filepath.EvalSymlinks(path) // a symlink stays one: the file it names is set up
	if err != nil {
		return fmt.Errorf("resolve the database path: %w", err)
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		// SQLite would apply an older database's log to the new one, and damage it.
		if info, err := os.Stat(target + suffix); err == nil && info.Size() > 0 {
			return fmt.Errorf("database %s is missing or empty but %s%s is not: it belongs to an older database; put that database back, or move %s%s aside",
				path, target, suffix, target, suffix)
		}
	}
	tmp := target + ".new"
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
	lock, err := placeNewDatabase(db.lock, tmp, target)
	if err != nil {
		return err
	}
	db.lock = lock
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

// Close releases the lock. It closes a descriptor of the database file, which drops this
// process's fcntl locks on it, SQLite's included: call it only once the server has stopped.
func (db *database) Close() {
	if db.lock != nil {
		db.lock.Close()
	}
}
