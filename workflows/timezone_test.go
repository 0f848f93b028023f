package workflows

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// utcTZif is a TZif (version 1) file of a zone that is UTC all year.
func utcTZif() []byte {
	b := append([]byte("TZif"), make([]byte, 16)...) // version 1, reserved
	for _, n := range []uint32{0, 0, 0, 0, 1, 4} {   // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = append(b, 0, 0, 0, 0, 0, 0) // one type: offset 0, not DST, name at 0
	return append(b, "UTC\x00"...)
}

// TestTimeZonesComeFromTheWorker runs a cron source in Europe/Paris on a machine whose
// zoneinfo says Paris is UTC: its ticks still follow the zone in the worker's own database,
// as they do on every other worker.
func TestTimeZonesComeFromTheWorker(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "Europe"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Europe", "Paris"), utcTZif(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZONEINFO", dir)
	machine, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := t0.In(machine).Zone(); off != 0 {
		t.Fatalf("time.LoadLocation did not take the machine's false zone (offset %d): the test proves nothing", off)
	}

	h := newHarness(t, answer{})
	h.run(t, Input{Config: Config{Cron: "0 9 * * *", Timezone: "Europe/Paris", ContinueAsNewAfter: 2}})
	// 09:00 in Paris in January is 08:00 UTC.
	checkSent(t, h.sent(), []sentTick{{1, 8 * time.Hour, 8 * time.Hour}, {2, 32 * time.Hour, 32 * time.Hour}})
}
