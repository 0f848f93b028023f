package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/common/log"

	"github.com/hello-cron/cronsource/activities"
	"github.com/hello-cron/cronsource/devserver/temporalite"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/workflows"
)

// BenchmarkTickEndToEnd is the regression guard of the hot path: one source whose b.N ticks are
// all due at once, delivered back to back through the embedded server on a file, the worker and
// an HTTP sink, in this process. It prints ns per tick and ticks/s; nothing is asserted on time.
func BenchmarkTickEndToEnd(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv, err := temporalite.Start(temporalite.Config{DBFilename: filepath.Join(b.TempDir(), "temporal.db"),
		IP: "127.0.0.1", Port: port, Namespaces: []string{"default"}, Logger: log.NewNoopLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()

	var got atomic.Int64
	done := make(chan struct{})
	var want int64
	sinkSrv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if got.Add(1) == want {
			close(done)
		}
	}))
	defer sinkSrv.Close()

	c, err := client.Dial(client.Options{HostPort: srv.Addr(), Logger: quietSDKLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "bench", worker.Options{})
	workflows.Register(w, activities.New(sink.NewHTTPClient(nil, sink.DefaultRequestTimeout, sink.Policy{}), sinkSrv.URL, nil))
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	want = int64(b.N)
	const interval = workflows.MinInterval
	b.ResetTimer()
	start := time.Now()
	cfg := workflows.Config{Interval: interval, StartAt: start.Add(-time.Duration(b.N) * interval), MaxTicks: int64(b.N)}
	if _, err := c.ExecuteWorkflow(context.Background(), workflows.StartOptions(fmt.Sprintf("hot-%d", b.N), "bench"),
		workflows.CronSource, workflows.Input{Config: cfg}); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("%d of %d ticks delivered in 10 minutes", got.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ticks/s")
}
