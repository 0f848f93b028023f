package workflows

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/metrics/metricstest"
	"github.com/hello-cron/cronsource/internal/sdkmetrics"
)

// TestCatchupAndSkipMetrics: the caught-up and skipped counters grow with State.CaughtUp and
// State.Skipped, labelled with the workflow id, and leave out the counts a run carried over.
func TestCatchupAndSkipMetrics(t *testing.T) {
	tests := []struct {
		name        string
		in          Input
		firstTakes  time.Duration // how long the first delivery takes
		pause       bool          // paused from 15 s to 45 s
		wantStatus  [2]int64      // caught up, skipped, as the status query says
		wantMetrics [2]float64    // caught up, skipped, as the counters say (0: no series)
	}{
		{name: "catch-up window", firstTakes: s(45),
			in:         Input{Config: Config{Interval: s(10), CatchupWindow: s(20), MaxTicks: 4}},
			wantStatus: [2]int64{1, 2}, wantMetrics: [2]float64{1, 2}},
		{name: "paused, catch up all", pause: true,
			in:         Input{Config: Config{Interval: s(10), MaxTicks: 5}},
			wantStatus: [2]int64{3, 0}, wantMetrics: [2]float64{3, 0}},
		{name: "paused, skip", pause: true,
			in:         Input{Config: Config{Interval: s(10), Catchup: CatchupSkip, MaxTicks: 3}},
			wantStatus: [2]int64{0, 3}, wantMetrics: [2]float64{0, 3}},
		{name: "counts carried across continue-as-new", firstTakes: s(45),
			in: Input{Config: Config{Interval: s(10), CatchupWindow: s(20), MaxTicks: 4},
				State: State{CaughtUp: 40, Skipped: 50}},
			wantStatus: [2]int64{41, 52}, wantMetrics: [2]float64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			handler, err := sdkmetrics.NewHandler(reg, func(err error) { t.Errorf("metrics: %v", err) })
			if err != nil {
				t.Fatal(err)
			}
			var suite testsuite.WorkflowTestSuite
			suite.SetMetricsHandler(handler)
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(t0)
			var a *activities.Activities
			env.RegisterActivity(a)
			var calls atomic.Int32
			env.OnActivity(a.Deliver, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
				if calls.Add(1) == 1 {
					return tt.firstTakes
				}
				return 0
			}).Return(func(context.Context, contract.Tick) (contract.Receipt, error) {
				return contract.Receipt{StatusCode: 200, Attempt: 1}, nil
			})
			if tt.pause {
				for at, name := range map[time.Duration]string{s(15): UpdatePause, s(45): UpdateResume} {
					env.RegisterDelayedCallback(func() {
						env.UpdateWorkflow(name, name, &testsuite.TestUpdateCallback{
							OnAccept: func() {}, OnReject: func(err error) { t.Errorf("%s rejected: %v", name, err) },
							OnComplete: func(any, error) {},
						}, PauseRequest{})
					}, at)
				}
			}
			env.ExecuteWorkflow(CronSource, tt.in)
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow completed %v with %v, want it to complete", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			v, err := env.QueryWorkflow(QueryStatus)
			if err != nil {
				t.Fatal(err)
			}
			var st Status
			if err := v.Get(&st); err != nil {
				t.Fatal(err)
			}
			if got := [2]int64{st.CaughtUp, st.Skipped}; got != tt.wantStatus {
				t.Fatalf("status caught up, skipped = %v, want %v", got, tt.wantStatus)
			}
			families, err := metricstest.Gather(reg)
			if err != nil {
				t.Fatal(err)
			}
			labels := map[string]string{contract.MetricTagWorkflowID: "default-test-workflow-id"}
			for i, name := range []string{MetricTicksCaughtUp, MetricTicksSkipped} {
				got, found := families.Value(name, labels)
				if want := tt.wantMetrics[i]; got != want || found != (want > 0) {
					t.Errorf("%s%v = %v (found %v), want %v; families: %s", name, labels, got, found, want, families.Names())
				}
			}
		})
	}
}
