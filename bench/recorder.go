package main

import (
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// arrival is one event reaching the recorder.
type arrival struct {
	source    string
	seq       string
	scheduled time.Time
	at        time.Time
}

// recorder is the benchmark's sink: it answers 200 at once and notes when each event came.
type recorder struct {
	mu       sync.Mutex
	arrivals []arrival
	server   *http.Server
	url      string
}

func newRecorder() (*recorder, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &recorder{url: "http://" + l.Addr().String()}
	r.server = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.server.Serve(l) }()
	return r, nil
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	e, err := cehttp.NewEventFromHTTPRequest(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	seq, _ := e.Extensions()["sequence"].(string)
	r.mu.Lock()
	r.arrivals = append(r.arrivals, arrival{source: e.Source(), seq: seq, scheduled: e.Time(), at: at})
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.arrivals = nil
	r.mu.Unlock()
}

func (r *recorder) snapshot() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.arrivals...)
}

func (r *recorder) close() { _ = r.server.Close() }

// window sums up the first arrivals of the ticks scheduled in [from, to) that arrived by
// to + grace: how many, and how late.
type window struct {
	Offered   int     `json:"offered"`
	Delivered int     `json:"delivered"`
	Ratio     float64 `json:"deliveredRatio"`
	P50       float64 `json:"latenessP50Ms"`
	P99       float64 `json:"latenessP99Ms"`
	Max       float64 `json:"latenessMaxMs"`
}

func summarize(arrivals []arrival, from, to time.Time, grace time.Duration, offered int) window {
	seen := map[[2]string]bool{}
	var late []float64
	for _, a := range arrivals {
		key := [2]string{a.source, a.seq}
		if seen[key] || a.scheduled.Before(from) || !a.scheduled.Before(to) || a.at.After(to.Add(grace)) {
			continue
		}
		seen[key] = true
		late = append(late, float64(a.at.Sub(a.scheduled))/float64(time.Millisecond))
	}
	sort.Float64s(late)
	w := window{Offered: offered, Delivered: len(late)}
	if offered > 0 {
		w.Ratio = float64(len(late)) / float64(offered)
	}
	if len(late) > 0 {
		w.P50 = percentile(late, 0.50)
		w.P99 = percentile(late, 0.99)
		w.Max = late[len(late)-1]
	}
	return w
}

// percentile of sorted values, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
