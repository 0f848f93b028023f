package activities

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/internal/sink"
)

// TestDeliverSendsAgainOnAConnectionTheSinkClosed delivers two ticks through the worker's
// client to a sink that reads the second POST of each kept-alive connection and closes the
// connection without answering, as one whose idle timeout fires as a herd's POST comes. The
// second tick must still be delivered in its first attempt, sent again at once on a new
// connection with its id (sink.NewHTTPClient's resend), and no Idempotency-Key header may reach
// the sink.
func TestDeliverSendsAgainOnAConnectionTheSinkClosed(t *testing.T) {
	type requestsOnConn struct{}
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("Ce-Id"))
		mu.Unlock()
		if _, sent := r.Header["Idempotency-Key"]; sent {
			t.Errorf("the sink got an Idempotency-Key header: %q", r.Header.Values("Idempotency-Key"))
		}
		if r.Context().Value(requestsOnConn{}).(*atomic.Int32).Add(1) == 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, requestsOnConn{}, new(atomic.Int32))
	}
	srv.Start()
	defer srv.Close()
	a := New(sink.NewHTTPClient(nil, 5*time.Second, sink.Policy{}), srv.URL, nil)
	first, second := tick(), tick()
	second.Sequence, second.ID = 4, "run-1-4"
	for _, tk := range []contract.Tick{first, second} {
		r, err := deliver(t, a, tk)
		if err != nil || r.StatusCode != http.StatusAccepted || r.Attempt != 1 {
			t.Fatalf("tick %s: receipt %+v, err %v; want delivered in attempt 1", tk.ID, r, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{first.ID, second.ID, second.ID}; !slices.Equal(ids, want) {
		t.Errorf("the sink got ids %v, want %v", ids, want)
	}
}
