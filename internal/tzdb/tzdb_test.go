package tzdb

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	winter := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name                 string
		summerOff, winterOff int // seconds east of UTC
	}{
		{"", 0, 0},
		{"UTC", 0, 0},
		{"Europe/Paris", 2 * 3600, 3600},
		{"America/New_York", -4 * 3600, -5 * 3600},
		{"Asia/Kolkata", 19800, 19800},
		{"Australia/Lord_Howe", 10*3600 + 1800, 11 * 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := Load(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, off := summer.In(loc).Zone(); off != tt.summerOff {
				t.Errorf("offset in July %d, want %d", off, tt.summerOff)
			}
			if _, off := winter.In(loc).Zone(); off != tt.winterOff {
				t.Errorf("offset in January %d, want %d", off, tt.winterOff)
			}
		})
	}
}

func TestLoadRefusesWhatIsNotAZone(t *testing.T) {
	for _, name := range []string{"Local", "Europe", "Europe/", "../Europe/Paris", "Europe/../Europe/Paris", "/etc/localtime", "Mars/Olympus_Mons"} {
		if loc, err := Load(name); !errors.Is(err, ErrUnknown) {
			t.Errorf("Load(%q) = %v, %v; want ErrUnknown", name, loc, err)
		}
	}
}

// TestLoadIgnoresTheMachine puts a false Europe/Paris (UTC all year) where time.LoadLocation
// looks first: Load must still give the embedded zone, so that two workers with different
// zoneinfo compute the same fire times.
func TestLoadIgnoresTheMachine(t *testing.T) {
	dir := t.TempDir()
	fake, err := fixedZoneTZif()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "Europe"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Europe", "Paris"), fake, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZONEINFO", dir)
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	if machine, err := time.LoadLocation("Europe/Paris"); err == nil {
		if _, off := summer.In(machine).Zone(); off != 0 {
			t.Fatalf("the fake zone was not picked up by time.LoadLocation (offset %d): the test proves nothing", off)
		}
	}
	loc, err := Load("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := summer.In(loc).Zone(); off != 2*3600 {
		t.Errorf("Load took the machine's zone: offset %d in July, want 7200", off)
	}
}

// fixedZoneTZif is the embedded database's Etc/UTC file: a zone with no transitions.
func fixedZoneTZif() ([]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		return nil, err
	}
	f, err := z.Open("Etc/UTC")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
