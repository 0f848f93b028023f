package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// proc is one of our binaries, run by the benchmark.
type proc struct {
	cmd  *exec.Cmd
	name string
}

// startProc runs binDir/name with its output in a log file under logDir.
func startProc(logDir, binDir, name string, args ...string) (*proc, error) {
	return startExe(logDir, filepath.Join(binDir, name), name, args...)
}

// startExe runs the executable at path, called name in its log file's name.
func startExe(logDir, path, name string, args ...string) (*proc, error) {
	cmd := exec.Command(path, args...)
	log, err := os.CreateTemp(logDir, name+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &proc{cmd: cmd, name: name}, nil
}

// stop sends sig and waits for the process to exit.
func (p *proc) stop(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	_, _ = p.cmd.Process.Wait()
}

// cpu is the process's user plus system CPU time so far.
func (p *proc) cpu() time.Duration { return pidCPU(p.cmd.Process.Pid) }

// rssMiB is the process's resident set size.
func (p *proc) rssMiB() float64 { return pidRSSMiB(p.cmd.Process.Pid) }

// stack is a devserver on a fresh file and a worker posting to sink: our worker, or the bench's
// own worker of the Schedules baseline.
type stack struct {
	dir    string
	binDir string
	addr   string
	port   int
	stock  bool
	shift  string // the devserver's --timer-shift, empty for its default
	sink   string
	// baselineWorker runs the bench's baseline-worker instead of our worker.
	baselineWorker bool
	// devFlags and workerFlags are extra flags of the devserver and of our worker.
	devFlags, workerFlags []string
	// metrics serves our worker's /metrics at metricsURL (off otherwise: it costs CPU).
	metrics    bool
	metricsURL string
	dev        *proc
	worker     *proc
	client     client.Client
}

// startStack starts a devserver and our worker.
func startStack(ctx context.Context, binDir, sink string, stock bool, shift string) (*stack, error) {
	return launchStack(ctx, &stack{binDir: binDir, stock: stock, shift: shift, sink: sink})
}

// launchStack starts s's devserver on a fresh file and a free port, and its worker.
func launchStack(ctx context.Context, s *stack) (*stack, error) {
	dir, err := os.MkdirTemp("", "bench-stack-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.dir, s.port, s.addr = dir, port, fmt.Sprintf("127.0.0.1:%d", port)
	if err := s.startDev(); err != nil {
		return nil, err
	}
	if err := s.startWorker(); err != nil {
		return nil, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		s.client, err = client.DialContext(dialCtx, client.Options{HostPort: s.addr, Logger: quietLogger()})
		if err == nil {
			return s, nil
		}
		if dialCtx.Err() != nil {
			s.close()
			return nil, fmt.Errorf("devserver at %s: %w", s.addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *stack) startDev() error {
	// --headless: the measured devserver is the server alone, as in the earlier results.
	args := []string{"--db-filename", filepath.Join(s.dir, "temporal.db"), "--port", strconv.Itoa(s.port), "--log-level", "error", "--headless"}
	if s.stock {
		args = append(args, "--stock-settings")
	} else if s.shift != "" {
		args = append(args, "--timer-shift", s.shift)
	}
	var err error
	s.dev, err = startProc(s.dir, s.binDir, "devserver", append(args, s.devFlags...)...)
	return err
}

func (s *stack) startWorker() error {
	var err error
	if s.baselineWorker {
		// The bench binary itself, so that the bench workflows stay out of the product's worker.
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the bench executable: %w", err)
		}
		s.worker, err = startExe(s.dir, exe, baselineWorkerCommand, baselineWorkerCommand, "--address", s.addr,
			"--task-queue", baselineTaskQueue, "--sink", s.sink, "--log-level", "error")
		return err
	}
	metricsAddr := ""
	if s.metrics {
		port, err := freePort()
		if err != nil {
			return err
		}
		metricsAddr = fmt.Sprintf("127.0.0.1:%d", port)
		s.metricsURL = "http://" + metricsAddr + "/metrics"
	}
	args := append([]string{"--address", s.addr, "--sink", s.sink, "--metrics-addr", metricsAddr, "--log-level", "error"}, s.workerFlags...)
	s.worker, err = startProc(s.dir, s.binDir, "worker", args...)
	return err
}

// cpu is the devserver's and the worker's CPU time so far, by process.
func (s *stack) cpu() map[string]time.Duration {
	return map[string]time.Duration{"devserver": s.dev.cpu(), "worker": s.worker.cpu()}
}

// rss is the resident memory of the devserver and the worker.
func (s *stack) rss() map[string]float64 {
	return map[string]float64{"worker": s.worker.rssMiB(), "devserver": s.dev.rssMiB()}
}

func (s *stack) close() {
	if s.client != nil {
		s.client.Close()
	}
	if s.worker != nil {
		s.worker.stop(syscall.SIGTERM)
	}
	if s.dev != nil {
		s.dev.stop(syscall.SIGTERM)
	}
	_ = os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
