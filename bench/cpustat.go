package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ on Linux: the unit of the CPU times in /proc/<pid>/stat.
const clockTicks = 100

// procStat is what the benchmark reads of one /proc/<pid>/stat line: the parent, and the CPU
// time (user plus system) of the process and of its children that it has waited for.
type procStat struct {
	pid, ppid int
	self      time.Duration // utime + stime
	reaped    time.Duration // cutime + cstime: children that ended and were waited for
}

// parseStat reads a /proc/<pid>/stat line. The command name is in parentheses and may hold
// spaces and parentheses, so the fields are counted from its last ')'.
func parseStat(line string) (procStat, error) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 1 || end < open || end+2 > len(line) {
		return procStat{}, fmt.Errorf("parse /proc stat %q: no (command)", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc stat %q: pid: %w", line, err)
	}
	// After the name: state (field 3), ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
	f := strings.Fields(line[end+2:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("parse /proc stat %q: %d fields after the command, want at least 15", line, len(f))
	}
	var n [5]int64
	for i, k := range []int{1, 11, 12, 13, 14} {
		if n[i], err = strconv.ParseInt(f[k], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("parse /proc stat %q: field %d: %w", line, k+3, err)
		}
	}
	tick := func(v int64) time.Duration { return time.Duration(v) * time.Second / clockTicks }
	return procStat{pid: pid, ppid: int(n[0]), self: tick(n[1] + n[2]), reaped: tick(n[3] + n[4])}, nil
}

// treeCPU is the CPU time of root and all its descendants in stats: each live process's own
// time, plus the time of the children they have already reaped (a PostgreSQL backend that
// ended is counted in its postmaster's reaped time). Zero if root is not in stats.
func treeCPU(root int, stats []procStat) time.Duration {
	children := map[int][]procStat{}
	var top *procStat
	for i, s := range stats {
		children[s.ppid] = append(children[s.ppid], s)
		if s.pid == root {
			top = &stats[i]
		}
	}
	if top == nil {
		return 0
	}
	var sum time.Duration
	seen := map[int]bool{}
	queue := []procStat{*top}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if seen[s.pid] {
			continue
		}
		seen[s.pid] = true
		sum += s.self + s.reaped
		queue = append(queue, children[s.pid]...)
	}
	return sum
}

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(strings.TrimSpace(string(b)))
}

// pidCPU is a process's CPU time so far, zero if it cannot be read (it has ended).
func pidCPU(pid int) time.Duration {
	s, err := readStat(pid)
	if err != nil {
		return 0
	}
	return s.self
}

// processTreeCPU is the CPU time so far of the process root and every process below it.
func processTreeCPU(root int) time.Duration {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	stats := make([]procStat, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // ended meanwhile
		}
		if s, err := parseStat(strings.TrimSpace(string(b))); err == nil {
			stats = append(stats, s)
		}
	}
	return treeCPU(root, stats)
}

// pidRSSMiB is a process's resident set size, zero if it cannot be read.
func pidRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// readPIDFile reads the pid in the first line of a pid file (PostgreSQL's postmaster.pid has
// more lines after it).
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no pid in its first line %q", path, first)
	}
	return pid, nil
}

// loadAverage is the machine's one-minute load average, from /proc/loadavg; -1 if unreadable.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	return parseLoadAverage(string(b))
}

// parseLoadAverage reads the first field of /proc/loadavg; -1 if it is not a number.
func parseLoadAverage(s string) float64 {
	f := strings.Fields(s)
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
