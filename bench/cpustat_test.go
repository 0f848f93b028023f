package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want procStat
	}{
		{name: "plain", line: "4242 (temporal-server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 7 3 20 0 12 0 5000",
			want: procStat{pid: 4242, ppid: 1, self: 3 * time.Second, reaped: 100 * time.Millisecond}},
		{name: "command with spaces and parentheses", line: "77 (postgres: temporal (x) idle) S 70 77 77 0 -1 0 0 0 0 0 12 8 0 0 20 0 1 0 9",
			want: procStat{pid: 77, ppid: 70, self: 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if err != nil || got != tt.want {
				t.Errorf("parseStat = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "4242 no command", "x (a) S 1 2 3", "4242 (a) S 1 2 3", "4242 (a) S 1 4242 4242 0 -1 0 0 0 0 0 x 1 0 0 20"} {
		if got, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestTreeCPU(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	stats := []procStat{
		{pid: 1, ppid: 0, self: ms(1000)},                 // init: not in the tree
		{pid: 100, ppid: 1, self: ms(50), reaped: ms(30)}, // postmaster, with backends that ended
		{pid: 101, ppid: 100, self: ms(200)},              // backends
		{pid: 102, ppid: 100, self: ms(300), reaped: ms(5)},
		{pid: 103, ppid: 102, self: ms(7)}, // a grandchild
		{pid: 200, ppid: 1, self: ms(900)}, // another program
	}
	tests := []struct {
		root int
		want time.Duration
	}{
		{root: 100, want: ms(50 + 30 + 200 + 300 + 5 + 7)},
		{root: 102, want: ms(300 + 5 + 7)},
		{root: 200, want: ms(900)},
		{root: 999, want: 0}, // gone
	}
	for _, tt := range tests {
		if got := treeCPU(tt.root, stats); got != tt.want {
			t.Errorf("treeCPU(%d) = %v, want %v", tt.root, got, tt.want)
		}
	}
	// A cycle (pid reuse between reads) ends.
	if got := treeCPU(5, []procStat{{pid: 5, ppid: 6, self: ms(1)}, {pid: 6, ppid: 5, self: ms(2)}}); got != ms(3) {
		t.Errorf("treeCPU over a cycle = %v, want 3ms", got)
	}
}

func TestProcessTreeCPUOfSelf(t *testing.T) {
	// This process has run the test binary's start and this test: some CPU, and its own stat.
	s, err := readStat(os.Getpid())
	if err != nil || s.pid != os.Getpid() {
		t.Fatalf("readStat(self) = %+v, %v", s, err)
	}
	if got := processTreeCPU(os.Getpid()); got < s.self {
		t.Errorf("processTreeCPU(self) = %v, less than its own %v", got, s.self)
	}
}

func TestReadPIDFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content string
		want    int
	}{
		{content: "123\n", want: 123},
		{content: "4567\n/var/lib/postgresql/data\n1700000000\n5432\n", want: 4567}, // postmaster.pid
		{content: " 89 ", want: 89},
		{content: "", want: 0},
		{content: "abc\n", want: 0},
		{content: "-1\n", want: 0},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, "pid"+string(rune('a'+i)))
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readPIDFile(path)
		if got != tt.want || (err != nil) != (tt.want == 0) {
			t.Errorf("readPIDFile(%q) = %d, %v; want %d", tt.content, got, err, tt.want)
		}
	}
	if _, err := readPIDFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("readPIDFile of a missing file: no error")
	}
}

func TestParseLoadAverage(t *testing.T) {
	for in, want := range map[string]float64{"1.05 1.85 2.25 3/512 4242\n": 1.05, "0.00 0 0": 0, "": -1, "x 1 2": -1} {
		if got := parseLoadAverage(in); got != want {
			t.Errorf("parseLoadAverage(%q) = %v, want %v", in, got, want)
		}
	}
}
