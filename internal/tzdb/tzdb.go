// Package tzdb loads time zones from the IANA time zone database embedded in this package, and
// from nowhere else: not the machine's zoneinfo, nor $ZONEINFO, nor the database that the Go
// toolchain embeds. Every worker of one build therefore computes the same fire times for a
// history, whatever its host has installed, and a new database comes only with a deliberate
// change to this package (zoneinfo.zip, IANA tzdata 2025c, as Go 1.26.8 ships it).
package tzdb

import (
	"archive/zip"
	"bytes"
	_ "embed" // the database
	"errors"
	"fmt"
	"io"
	"time"
)

// Version is the IANA release of the embedded database.
const Version = "2025c"

//go:embed zoneinfo.zip
var zoneinfo []byte // read-only

// ErrUnknown is the error of a name that is not a zone of the database.
var ErrUnknown = errors.New("unknown time zone")

// Load returns the zone called name. "" and "UTC" are UTC. "Local", which means the machine's
// zone to the time package, is unknown here.
func Load(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	z, err := zip.NewReader(bytes.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		return nil, fmt.Errorf("read the embedded time zone database: %w", err)
	}
	f, err := z.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || info.IsDir() {
		return nil, fmt.Errorf("%w %q", ErrUnknown, name) // a folder of zones, such as Europe
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read time zone %q: %w", name, err)
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", name, err)
	}
	return loc, nil
}
