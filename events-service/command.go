package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/health"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/version"
)

// shutdownTimeout bounds how long in-flight requests may take to finish once the context ends.
const shutdownTimeout = 10 * time.Second

// command holds the configuration of the events-service root command and what it depends on.
type command struct {
	lookupEnv func(string) (string, bool)
	stdout    io.Writer
	stderr    io.Writer

	host             string
	port             int
	dedupeSize       int
	maxInFlight      int
	maxBufferedBytes int64
	logOpts          logging.Options

	log *zap.Logger // built in preRun from logOpts
}

// newRootCommand builds the events-service command. lookupEnv, stdout and stderr are injected
// so that tests can run it in process; logs go to stderr.
func newRootCommand(lookupEnv func(string) (string, bool), stdout, stderr io.Writer) *cobra.Command {
	c := &command{lookupEnv: lookupEnv, stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Version:       version.String(),
		Use:           "events-service",
		Short:         "The hello-events sink: logs every CloudEvent POSTed to /",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		PreRunE:       c.preRun,
		RunE:          c.run,
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	fs := cmd.Flags()
	fs.StringVar(&c.host, "host", "", `address to listen on, with --port; "" is every interface, 127.0.0.1 keeps it local`)
	envflag.Bind(fs, "host", "HOST")
	fs.IntVar(&c.port, "port", 8080, "TCP port to listen on; 0 picks a free port")
	envflag.Bind(fs, "port", "PORT")
	fs.IntVar(&c.maxInFlight, "max-in-flight", defaultMaxInFlight,
		"POSTs handled at once; more are answered 503 with Retry-After: 1")
	envflag.Bind(fs, "max-in-flight", "MAX_IN_FLIGHT")
	fs.Int64Var(&c.maxBufferedBytes, "max-buffered-bytes", defaultMaxBufferedBytes,
		"body bytes that POSTs may buffer at once, each reserving its Content-Length or else 1 MiB; "+
			"more are answered 503 with Retry-After: 1; at least 1048576")
	envflag.Bind(fs, "max-buffered-bytes", "MAX_BUFFERED_BYTES")
	fs.IntVar(&c.dedupeSize, "dedupe-size", 10000,
		"recent events (source+id) to remember, so a redelivery gets Duplicate and is not processed again; 0 turns it off")
	envflag.Bind(fs, "dedupe-size", "DEDUPE_SIZE")
	c.logOpts.AddFlags(fs, "info")
	cmd.AddCommand(health.Command("http://127.0.0.1:8080/readyz"))
	return cmd
}

// preRun fills unset flags from the environment, validates them and builds the logger.
func (c *command) preRun(cmd *cobra.Command, _ []string) error {
	fs := cmd.Flags()
	if err := envflag.Apply(fs, c.lookupEnv); err != nil {
		return err
	}
	if c.port < 0 || c.port > 65535 {
		return fmt.Errorf("invalid %s %d: must be 0 to 65535",
			envflag.Source(fs, "port", c.lookupEnv), c.port)
	}
	if strings.ContainsAny(c.host, " \t/[]") || strings.Contains(c.host, ":") && net.ParseIP(c.host) == nil {
		return fmt.Errorf("invalid %s %q: want an IP address or a host name, without a port",
			envflag.Source(fs, "host", c.lookupEnv), c.host)
	}
	if c.maxInFlight < 1 {
		return fmt.Errorf("invalid %s %d: must be at least 1",
			envflag.Source(fs, "max-in-flight", c.lookupEnv), c.maxInFlight)
	}
	if c.maxBufferedBytes < maxBodyBytes {
		return fmt.Errorf("invalid %s %d: must be at least %d (1 MiB), so that one full event fits",
			envflag.Source(fs, "max-buffered-bytes", c.lookupEnv), c.maxBufferedBytes, maxBodyBytes)
	}
	if c.dedupeSize < 0 {
		return fmt.Errorf("invalid %s %d: must be 0 (off) or more",
			envflag.Source(fs, "dedupe-size", c.lookupEnv), c.dedupeSize)
	}
	log, err := c.logOpts.New(c.stderr)
	if err != nil {
		return err
	}
	c.log = log
	return nil
}

// run serves until the command's context ends.
func (c *command) run(cmd *cobra.Command, _ []string) error {
	return serve(cmd.Context(), c.log, net.JoinHostPort(c.host, strconv.Itoa(c.port)), c.dedupeSize,
		newLimiter(c.maxInFlight, c.maxBufferedBytes))
}

// newServer wraps h in an http.Server whose timeouts and header limit keep slow or hostile
// clients from holding connections open.
func newServer(h http.Handler, log *zap.Logger) *http.Server {
	return health.NewServer(h, zap.NewStdLog(log.Named("http")))
}

// serve listens on addr and serves the sink, remembering up to dedupeSize recent events and
// admitting the POSTs that limit admits, until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, log *zap.Logger, addr string, dedupeSize int, limit *limiter) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newServer(newHandler(log, newSeenEvents(dedupeSize), limit), log)
	log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Int("dedupe_size", dedupeSize),
		zap.Int("max_in_flight", limit.maxInFlight), zap.Int64("max_buffered_bytes", limit.maxBytes))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
