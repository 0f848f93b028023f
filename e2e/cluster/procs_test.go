package cluster_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// What /proc says of the cluster's processes (Linux only, as is scripts/cluster.sh).

// stat returns a process's state letter and parent pid; ok is false if it does not exist.
func stat(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0], ppid, true
}

// alive reports whether pid runs: a zombie, which only waits for its parent to reap it, does not.
func alive(pid int) bool {
	state, _, ok := stat(pid)
	return ok && state != "Z"
}

// pids lists every process.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var list []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			list = append(list, pid)
		}
	}
	return list
}

// children lists the running children of parent.
func children(parent int) []int {
	var list []int
	for _, pid := range pids() {
		if state, ppid, ok := stat(pid); ok && ppid == parent && state != "Z" {
			list = append(list, pid)
		}
	}
	return list
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// mentioning lists the running processes whose command line holds dir: the servers (their
// config file) and the postmaster (its data folder).
func mentioning(dir string) []int {
	var list []int
	for _, pid := range pids() {
		if pid != os.Getpid() && alive(pid) && strings.Contains(cmdline(pid), dir) {
			list = append(list, pid)
		}
	}
	return list
}

// memory returns a process's resident and proportional set sizes in kB.
func memory(pid int) (rss, pss int) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "Rss:":
			rss, _ = strconv.Atoi(fields[1])
		case "Pss:":
			pss, _ = strconv.Atoi(fields[1])
		}
	}
	return rss, pss
}

// cpuTime is the CPU time (user and system) that a process has used, 0 if it is gone. The kernel
// counts it in USER_HZ, 100 a second on Linux.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	// cmajflt utime stime ...
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
