// Package cmdtest holds what the binaries' tests share: a buffer that a command writes while the
// test reads it, a sink that takes every CloudEvent and keeps its sequence, a GET, the search of a
// JSON log line, a lookupEnv over a map, and the folder of a sink credential.
package cmdtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer that one goroutine writes while another reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Sink is an HTTP sink that answers 202 to every request and keeps the ce-sequence header of
// each, by path.
type Sink struct {
	*httptest.Server
	mu     sync.Mutex
	events map[string][]string // the ce-sequence values by path, as they came
}

// NewSink starts a Sink, closed when the test ends.
func NewSink(t *testing.T) *Sink {
	t.Helper()
	s := &Sink{events: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.events[r.URL.Path] = append(s.events[r.URL.Path], r.Header.Get("Ce-Sequence"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.Close)
	return s
}

// Sequences are the sequence numbers of the events that came to path, in order.
func (s *Sink) Sequences(path string) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var seqs []int64
	for _, v := range s.events[path] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("event at %s with ce-sequence %q: %w", path, v, err)
		}
		seqs = append(seqs, n)
	}
	return seqs, nil
}

// Get GETs url within 10 s and returns the response, its body read and closed; it fails the test
// if there is no answer.
func Get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", url, err)
	}
	return resp, string(b)
}

// FindLog is the first JSON log line in out whose msg is msg, decoded.
func FindLog(out, msg string) (map[string]any, bool) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			return line, true
		}
	}
	return nil, false
}

// Lookup is a lookupEnv over m, for the commands that take one.
func Lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// WriteCredential makes the folder of the worker's sink credential name in dir (see
// sink.Credentials), with files by name and content, and returns dir.
func WriteCredential(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
		t.Fatal(err)
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
