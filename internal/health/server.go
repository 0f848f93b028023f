package health

import (
	"log"
	"net/http"
	"time"
)

// The limits of every HTTP server of ours (events-service, the worker's /metrics and probes):
// a client that is slow to send its request, slow to read the answer, or idle on a kept-alive
// connection is cut off instead of holding the connection, and its memory, for ever.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// NewServer is an http.Server for h with those limits; errorLog may be nil.
func NewServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}
