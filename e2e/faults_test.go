package e2e

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// faultInterval is every fault scenario's tick interval.
const faultInterval = time.Second

// faultRun is one scenario's source: its own workflow id, task queue, workers and sink, on the
// shared devserver unless the scenario brings its own.
type faultRun struct {
	t       *testing.T
	name    string // workflow id (the source's id in its group) and task queue
	group   string // the group's workflow id, for a source in a group; "" for one of its own
	addr    string // Temporal frontend
	sink    *faultSink
	workers []*exec.Cmd
	// workerArgs are extra worker flags.
	workerArgs []string
	// dev and restartDev are set when the scenario has its own devserver.
	dev        *exec.Cmd
	restartDev func() *exec.Cmd
	// startArgs are extra `starter start` flags.
	startArgs []string
	// decoy, if set, is where the sink redirected ticks to; closedAt is when the source closed,
	// and final its last status, as the source answered it.
	decoy    *recorder
	closedAt time.Time
	final    *report
}

func (r *faultRun) startWorker() *exec.Cmd {
	args := append([]string{"--address", r.addr, "--task-queue", r.name, "--sink", r.sink.URL}, r.workerArgs...)
	w := startProc(r.t, "worker", args...)
	r.workers = append(r.workers, w)
	return w
}

// start runs `starter start` for this source.
func (r *faultRun) start() (string, bool) {
	return starter(r.addr, slices.Concat([]string{"start", "--task-queue", r.name, "--workflow-id", r.name,
		"--interval", faultInterval.String()}, r.groupArgs(), r.startArgs)...)
}

// workflowID is the workflow that Temporal's operations address: the source's, or its group's.
func (r *faultRun) workflowID() string { return cmp.Or(r.group, r.name) }

// groupArgs are the starter's flags that name the source's group, if it has one.
func (r *faultRun) groupArgs() []string {
	if r.group == "" {
		return nil
	}
	return []string{"--group", r.group}
}

// describe is `starter describe` of this source, with args.
func (r *faultRun) describe(args ...string) report {
	r.t.Helper()
	return describe(r.t, r.addr, r.name, append(r.groupArgs(), args...)...)
}

// history is the name under which a check records the history of a source's workflow: for a
// source in a group, its group's.
func (r *faultRun) history(name string) string {
	if r.group == "" || name == "" {
		return name
	}
	return "group-v1-" + strings.TrimPrefix(name, "source-v5-")
}

// killWorker kill -9s the oldest running worker; stopWorker stops it with SIGTERM.
func (r *faultRun) killWorker() { kill9(r.t, r.workers[0]); r.workers = r.workers[1:] }
func (r *faultRun) stopWorker() { stopProc(r.t, r.workers[0]); r.workers = r.workers[1:] }

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
}

// faultScenario injects a fault into a running source and says when it was healed.
type faultScenario struct {
	name     string
	workers  int
	ownDev   bool
	workerFl []string
	// fault runs once three ticks were accepted. It returns when the fault was healed.
	fault func(r *faultRun) time.Time
	// rejectOnPurpose are the ticks the sink refuses for good.
	rejectOnPurpose []int
	// redelivery says whether the fault must make the sink see a tick it had accepted again
	// (true), must not (false), or either (nil).
	redelivery *bool
	// startArgs are extra `starter start` flags.
	startArgs []string
	// ends: the fault ends the source, so no tick follows it.
	ends bool
	// abandonOnPurpose is how many ticks the fault makes the source give up, which the sink
	// then never accepts.
	abandonOnPurpose int
	// check looks at the running source and the arrivals so far for what only this scenario
	// promises.
	check func(t *testing.T, r *faultRun, arrivals []arrival)
	// inGroup: the scenario runs a second time, on a source that is a group's only member.
	inGroup bool
	group   bool // this run is that second one
}

func killWorkerBetweenDeliveries(restartAfter time.Duration) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		time.Sleep(300 * time.Millisecond) // the last delivery has reported; the next is due later
		r.killWorker()
		time.Sleep(restartAfter)
		r.startWorker()
		return time.Now()
	}
}

// slowTick makes the sink hold the first arrival of tick 5 for d before it answers 200.
func slowTick(r *faultRun, d time.Duration) {
	r.sink.setAnswer(func(a arrival) answer {
		if a.seq == 5 && a.attempt == 1 {
			return answer{delay: d}
		}
		return answer{}
	})
	r.sink.waitArrival(r.t, 5, 30*time.Second)
}

func killWorkerDuringSlowDelivery(restartAfter time.Duration) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		slowTick(r, 2*time.Second)
		r.killWorker()
		time.Sleep(restartAfter)
		r.startWorker()
		return time.Now()
	}
}

// sinkAnswers makes the sink answer a for d, then 200 again.
func sinkAnswers(a answer, d time.Duration) func(r *faultRun) time.Time {
	return func(r *faultRun) time.Time {
		r.sink.setAnswer(func(arrival) answer { return a })
		time.Sleep(d)
		r.sink.setAnswer(func(arrival) answer { return answer{} })
		return time.Now()
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func faultScenarios() []faultScenario {
	return []faultScenario{
		{name: "worker kill -9 between deliveries, restart after 1s", workers: 1,
			fault: killWorkerBetweenDeliveries(time.Second)},
		{name: "worker kill -9 between deliveries, restart after 15s", workers: 1,
			fault: killWorkerBetweenDeliveries(15 * time.Second)},
		{name: "worker kill -9 during a slow delivery, restart after 1s", workers: 1, redelivery: yes(), inGroup: true,
			fault: killWorkerDuringSlowDelivery(time.Second)},
		{name: "worker kill -9 during a slow delivery, restart after 15s", workers: 1, redelivery: yes(),
			fault: killWorkerDuringSlowDelivery(15 * time.Second)},
		{name: "worker SIGTERM, then a new worker", workers: 1, redelivery: no(),
			fault: func(r *faultRun) time.Time {
				r.stopWorker()
				r.startWorker()
				return time.Now()
			}},
		{name: "worker SIGTERM during a slow delivery, then a new worker", workers: 1, redelivery: no(), inGroup: true,
			fault: func(r *faultRun) time.Time {
				slowTick(r, 2*time.Second)
				r.stopWorker() // finishes the delivery first
				r.startWorker()
				return time.Now()
			}},
		{name: "devserver kill -9, restart on the same file", workers: 1, ownDev: true, inGroup: true,
			fault: func(r *faultRun) time.Time {
				kill9(r.t, r.dev)
				r.dev = r.restartDev()
				return time.Now()
			}},
		{name: "sink answers 503 for 20s", workers: 1, inGroup: true,
			fault: sinkAnswers(answer{status: http.StatusServiceUnavailable}, 20*time.Second)},
		{name: "sink refuses connections for 20s", workers: 1,
			fault: func(r *faultRun) time.Time {
				r.sink.down()
				time.Sleep(20 * time.Second)
				r.sink.up(r.t, r.sink.addr())
				return time.Now()
			}},
		{name: "sink slower than the client timeout for 8s", workers: 1, redelivery: yes(),
			workerFl: []string{"--delivery-timeout", "1s"},
			fault:    sinkAnswers(answer{status: http.StatusOK, delay: 2 * time.Second}, 8*time.Second)},
		{name: "sink answers 429 with Retry-After: 2 for 6s", workers: 1,
			fault: sinkAnswers(answer{status: http.StatusTooManyRequests, retryAfter: "2"}, 6*time.Second),
			check: retriesWaitedAtLeast(2 * time.Second)},
		{name: "sink rejects tick 5 with 400", workers: 1, rejectOnPurpose: []int{5}, inGroup: true,
			fault: func(r *faultRun) time.Time {
				r.sink.setAnswer(func(a arrival) answer {
					if a.seq == 5 {
						return answer{status: http.StatusBadRequest}
					}
					return answer{}
				})
				return time.Now()
			},
			check: describedRejected(1)},
		{name: "two workers, one kill -9; three starts at once", workers: 2, inGroup: true,
			fault: func(r *faultRun) time.Time {
				r.killWorker()
				return time.Now()
			}},
	}
}

// allFaultScenarios are the fault suite's scenarios: faults of processes and sinks, then
// hostile sinks and Temporal's own operations.
func allFaultScenarios() []faultScenario { return append(faultScenarios(), hostileScenarios()...) }

// retriesWaitedAtLeast checks that no tick refused with 429 came back sooner than d.
func retriesWaitedAtLeast(d time.Duration) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, _ *faultRun, arrivals []arrival) {
		refusedAt := map[int]time.Time{}
		retried := 0
		for _, a := range arrivals {
			if at, was := refusedAt[a.seq]; was {
				retried++
				if gap := a.at.Sub(at); gap < d-50*time.Millisecond {
					t.Errorf("tick %d came back %v after a 429 with Retry-After %v", a.seq, gap, d)
				}
				delete(refusedAt, a.seq)
			}
			if a.status == http.StatusTooManyRequests {
				refusedAt[a.seq] = a.at
			}
		}
		if retried == 0 {
			t.Error("no tick was retried after a 429")
		}
	}
}

// describedRejected checks the source's own count of rejected ticks.
func describedRejected(want int64) func(*testing.T, *faultRun, []arrival) {
	return func(t *testing.T, r *faultRun, _ []arrival) {
		if st := r.describe("--task-queue", r.name); st.Rejected != want {
			t.Errorf("describe says %d ticks rejected, want %d", st.Rejected, want)
		}
	}
}

// TestFaults is the fault-injection suite: each scenario runs a source at a 1 s interval with
// the real worker and starter binaries and this package's own recording sink, injects one
// fault, waits until the source has caught up and goes on, and judges the stream the sink saw. Scenarios
// run in parallel, on one shared devserver unless they kill it. Each prints a verdict line;
// `go test -v -run TestFaults ./e2e/` shows them.
func TestFaults(t *testing.T) {
	shared := startDevserver(t)

	var mu sync.Mutex
	var verdicts []verdict
	t.Cleanup(func() {
		slices.SortFunc(verdicts, func(a, b verdict) int { return strings.Compare(a.scenario, b.scenario) })
		var b strings.Builder
		for _, v := range verdicts {
			fmt.Fprintln(&b, v)
		}
		t.Logf("fault suite verdicts:\n%s", b.String())
		if path := os.Getenv("FAULTS_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
	})

	scenarios := allFaultScenarios()
	for _, sc := range allFaultScenarios() {
		if sc.inGroup {
			sc.name, sc.group = "in a group, "+sc.name, true
			scenarios = append(scenarios, sc)
		}
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			r := &faultRun{t: t, name: fmt.Sprintf("faults-%02d", i), addr: shared, sink: newFaultSink(t), workerArgs: sc.workerFl,
				startArgs: sc.startArgs}
			if sc.group {
				r.group = r.name + "-group"
			}
			if sc.ownDev {
				devPort := freePort(t)
				r.addr = fmt.Sprintf("127.0.0.1:%d", devPort)
				db := filepath.Join(t.TempDir(), "temporal.db")
				r.restartDev = func() *exec.Cmd {
					return startProc(t, "devserver", "--db-filename", db, "--port", fmt.Sprint(devPort))
				}
				r.dev = r.restartDev()
			}
			for range sc.workers {
				r.startWorker()
			}
			startConcurrently(t, r, 3)
			r.sink.waitAccepted(t, 3, 90*time.Second)

			healed := sc.fault(r)
			if !sc.ends {
				r.sink.waitUntil(t, "caught up", 3*time.Minute, func(as []arrival) bool {
					for _, a := range as {
						if a.accepted() && !a.scheduled.Before(healed.Add(3*faultInterval)) {
							return true
						}
					}
					return false
				})
			}
			if sc.check != nil {
				sc.check(t, r, r.sink.all())
			}
			if !sc.ends {
				terminate(t, r)
			}
			for len(r.workers) > 0 {
				r.stopWorker()
			}
			if sc.ends {
				checkQuietAfter(t, r) // no worker runs: nothing more can arrive
			}

			arrivals := r.sink.all()
			reject := map[int]bool{}
			for _, seq := range sc.rejectOnPurpose {
				reject[seq] = true
			}
			v := judge(sc.name, arrivals, faultInterval, reject, healed)
			mu.Lock()
			verdicts = append(verdicts, v)
			mu.Unlock()
			checkVerdict(t, v, sc)
		})
	}
}

// startConcurrently runs `starter start` n times at once: exactly one starts the source, the
// others find it running, and all exit 0.
func startConcurrently(t *testing.T, r *faultRun, n int) {
	t.Helper()
	outs := make([]string, n)
	oks := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i], oks[i] = r.start() })
	}
	wg.Wait()
	started := 0
	for i := range n {
		if !oks[i] {
			t.Fatalf("starter start: %s", outs[i])
		}
		if strings.Contains(outs[i], "started source") {
			started++
		} else if !strings.Contains(outs[i], "already running") {
			t.Fatalf("starter start said %q", outs[i])
		}
	}
	if started != 1 {
		t.Fatalf("%d of %d concurrent starts started the source, want 1: %q", started, n, outs)
	}
}

// terminate ends the source so that it stops ticking on the shared devserver.
func terminate(t *testing.T, r *faultRun) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: r.addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.TerminateWorkflow(ctx, r.workflowID(), "", "fault scenario done"); err != nil {
		t.Fatalf("terminate %s: %v", r.workflowID(), err)
	}
}

func checkVerdict(t *testing.T, v verdict, sc faultScenario) {
	t.Helper()
	if v.missing != sc.abandonOnPurpose {
		t.Errorf("%d ticks missing, want %d (abandoned on purpose)", v.missing, sc.abandonOnPurpose)
	}
	if v.rejected != len(sc.rejectOnPurpose) {
		t.Errorf("%d ticks rejected, want %d", v.rejected, len(sc.rejectOnPurpose))
	}
	if v.outOfOrder != 0 {
		t.Errorf("%d ticks first delivered out of order", v.outOfOrder)
	}
	if v.offGrid != 0 {
		t.Errorf("%d arrivals off the grid", v.offGrid)
	}
	if !v.sameID {
		t.Error("a redelivery or retry changed the event id")
	}
	if !v.distinctIDs {
		t.Error("two ticks share an id")
	}
	if v.recovery < 0 && !sc.ends {
		t.Error("no tick accepted after the fault was healed")
	}
	if sc.redelivery != nil && (v.redeliveries > 0) != *sc.redelivery {
		t.Errorf("%d redeliveries, want redelivery = %v", v.redeliveries, *sc.redelivery)
	}
}
