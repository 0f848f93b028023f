package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/server/common/log"
	"go.uber.org/zap"

	"github.com/hello-cron/cronsource/devserver/freeport"
	"github.com/hello-cron/cronsource/devserver/temporalite"
	"github.com/hello-cron/cronsource/devserver/webui"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/internal/version"
)

type options struct {
	dbFilename   string
	ephemeral    bool
	ip           string
	port         int
	uiPort       int
	headless     bool
	uiWrite      bool
	namespaces   []string
	stock        bool
	timerShift   time.Duration
	historyCache int
	retention    time.Duration
	log          logging.Options
}

func newCommand(stdout, stderr io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Version:       version.String(),
		Use:           "devserver",
		Short:         "Run an embedded Temporal server on SQLite",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("db-filename") && o.ephemeral {
				return fmt.Errorf("invalid --db-filename: cannot be used with --ephemeral")
			}
			if cmd.Flags().Changed("ui-port") && o.headless {
				return fmt.Errorf("invalid --ui-port: cannot be used with --headless")
			}
			if o.uiWrite && o.headless {
				return fmt.Errorf("invalid --ui-write-actions: cannot be used with --headless")
			}
			return o.run(cmd, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.dbFilename, "db-filename", ".data/temporal.db", "SQLite file that keeps the server's state; missing folders are created")
	fs.BoolVar(&o.ephemeral, "ephemeral", false, "keep the state in memory only")
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "IP address the frontend listens on")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port; 0 picks a free one, shown on the ready line")
	fs.IntVar(&o.uiPort, "ui-port", 0, "Web UI port, on the same --ip; 0 picks a free one (default --port + 1000, or a free one with --port 0)")
	fs.BoolVar(&o.headless, "headless", false, "serve no Web UI")
	fs.BoolVar(&o.uiWrite, "ui-write-actions", false, "let the Web UI start, signal, cancel, terminate and reset workflows (default: read-only)")
	fs.StringArrayVar(&o.namespaces, "namespace", nil, "namespace to create (repeatable); default always exists")
	fs.BoolVar(&o.stock, "stock-settings", false, "use Temporal's stock dev-server settings (rollback journal, default timer shift), for benchmarks")
	fs.DurationVar(&o.timerShift, "timer-shift", temporalite.DefaultTimerShift, "history.timerProcessorMaxTimeShift: how late a timer may fire")
	fs.DurationVar(&o.retention, "retention", temporalite.DefaultRetention,
		"how long the namespaces keep a closed run (a source's run that continued as new, or a stopped source); it bounds the file's growth")
	fs.IntVar(&o.historyCache, "history-cache-size", temporalite.DefaultHistoryCacheSize,
		"history.hostLevelCacheMaxSize: workflows whose state the server keeps in memory; past it, a source's tick reads its state from the file")
	o.log.AddFlags(fs, "warn")
	cmd.AddCommand(newHealthCommand(), newBackupCommand(stdout))
	return cmd
}

// run checks the flags, starts the server and its Web UI, says where they listen on the ready
// line, and serves until the command's context ends (Ctrl-C or SIGTERM).
func (o *options) run(cmd *cobra.Command, stdout, stderr io.Writer) error {
	uiPort, err := o.validate(cmd.Flags().Changed("ui-port"))
	if err != nil {
		return err
	}
	port, err := o.ports(uiPort)
	if err != nil {
		return err
	}
	namespaces := o.namespaceList()
	zl, err := o.logger(stderr)
	if err != nil {
		return err
	}
	srv, err := o.startTemporal(port, namespaces, zl)
	if err != nil {
		return err
	}
	ui, err := o.startWebUI(uiPort, srv)
	if err != nil {
		srv.Stop()
		return err
	}
	fmt.Fprintln(stdout, o.readyLine(srv, ui, namespaces))
	<-cmd.Context().Done()
	if ui != nil {
		ui.Stop()
	}
	srv.Stop()
	fmt.Fprintln(stdout, "devserver stopped")
	return nil
}

// validate checks the flags, naming the one at fault, and returns the Web UI's port (see
// webUIPort); uiPortSet says whether --ui-port was given.
func (o *options) validate(uiPortSet bool) (int, error) {
	if o.timerShift <= 0 || o.timerShift > time.Minute {
		return 0, fmt.Errorf("invalid --timer-shift %v: must be more than 0 and at most 1m", o.timerShift)
	}
	if o.retention < temporalite.MinRetention || o.retention > temporalite.MaxRetention {
		return 0, fmt.Errorf("invalid --retention %v: must be from %v to %v", o.retention, temporalite.MinRetention, temporalite.MaxRetention)
	}
	if o.historyCache < 1 || o.historyCache > 10_000_000 {
		return 0, fmt.Errorf("invalid --history-cache-size %d: must be from 1 to 10000000", o.historyCache)
	}
	if o.port < 0 || o.port > 65535 {
		return 0, fmt.Errorf("invalid --port %d: must be 0 to 65535", o.port)
	}
	uiPort, err := webUIPort(o.port, o.uiPort, uiPortSet, o.headless)
	if err != nil {
		return 0, err
	}
	if net.ParseIP(o.ip) == nil {
		return 0, fmt.Errorf("invalid --ip %q: must be an IP address", o.ip)
	}
	for _, ns := range o.namespaces {
		if strings.TrimSpace(ns) == "" {
			return 0, fmt.Errorf("invalid --namespace %q: must not be empty", ns)
		}
	}
	return uiPort, nil
}

// ports checks that --port and the Web UI's port can be listened on. A --port of 0 becomes a
// free port that the kernel chooses, reserved until the server binds it (see freeport.Reserve);
// a Web UI port of 0 is chosen likewise once the server runs (see startWebUI).
func (o *options) ports(uiPort int) (int, error) {
	if o.port != 0 {
		if err := o.checkFree("--port", o.port); err != nil {
			return 0, err
		}
	}
	if !o.headless && uiPort != 0 {
		if err := o.checkFree("--ui-port", uiPort); err != nil {
			return 0, err
		}
	}
	if o.port != 0 {
		return o.port, nil
	}
	port, err := freeport.Reserve(o.ip)
	if err != nil {
		return 0, fmt.Errorf("invalid --port 0: %w", err)
	}
	return port, nil
}

// namespaceList is default and every --namespace, each once.
func (o *options) namespaceList() []string {
	namespaces := []string{"default"}
	for _, ns := range o.namespaces {
		if ns != "default" {
			namespaces = append(namespaces, ns)
		}
	}
	return namespaces
}

// logger builds the server's logger, and warns through it when --ip is not a loopback address.
func (o *options) logger(stderr io.Writer) (*zap.Logger, error) {
	if os.Getenv("USER") == "" {
		// The server asks who runs it (OpenTelemetry's process owner); without cgo, in an image
		// with no /etc/passwd such as FROM scratch, that needs $USER.
		_ = os.Setenv("USER", "devserver")
	}
	zl, err := o.log.New(stderr)
	if err != nil {
		return nil, err
	}
	if !net.ParseIP(o.ip).IsLoopback() {
		// It has no TLS and no authentication: whoever reaches the port controls every source.
		zl.Warn(fmt.Sprintf("devserver listens on --ip %s with no TLS and no authentication: anyone who can reach it can read, start, stop and redirect every source (and use its Web UI); keep --ip 127.0.0.1 or put it behind a firewall", o.ip))
	}
	return zl, nil
}

// startTemporal starts the embedded server with its frontend on port.
func (o *options) startTemporal(port int, namespaces []string, zl *zap.Logger) (*temporalite.Server, error) {
	srv, err := temporalite.Start(temporalite.Config{
		DBFilename: o.dbFilename, Ephemeral: o.ephemeral, IP: o.ip, Port: port,
		Namespaces: namespaces, SearchAttributes: searchattr.Types(), Stock: o.stock, TimerShift: o.timerShift,
		HistoryCacheSize: o.historyCache, Retention: o.retention,
		Logger: log.NewZapLogger(zl),
	})
	var dbErr *temporalite.DatabaseError
	switch {
	case errors.As(err, &dbErr) && !o.ephemeral:
		return nil, fmt.Errorf("invalid --db-filename %s: %w", o.dbFilename, err)
	case err != nil:
		return nil, fmt.Errorf("start: %w", err)
	}
	return srv, nil
}

// startWebUI serves the Web UI on port, or on a free port if port is 0, in front of srv; none,
// and no error, when headless.
func (o *options) startWebUI(port int, srv *temporalite.Server) (*webui.Server, error) {
	if o.headless {
		return nil, nil
	}
	if port == 0 {
		var err error
		if port, err = freeport.Reserve(o.ip); err != nil {
			return nil, fmt.Errorf("invalid --ui-port 0: %w", err)
		}
	}
	ui, err := webui.Start(webui.Config{IP: o.ip, Port: port, Frontend: srv.Addr(), WriteActions: o.uiWrite})
	var listenErr *webui.ListenError
	switch {
	case errors.As(err, &listenErr):
		return nil, fmt.Errorf("invalid --ui-port %d: %w", port, err)
	case err != nil:
		return nil, fmt.Errorf("start the web UI: %w", err)
	}
	return ui, nil
}

// readyLine says where the server and its Web UI listen, with the ports they actually got.
func (o *options) readyLine(srv *temporalite.Server, ui *webui.Server, namespaces []string) string {
	where := o.dbFilename
	if o.ephemeral {
		where = "in memory"
	}
	ready := fmt.Sprintf("devserver ready: Temporal at %s, namespaces %s, database %s",
		srv.Addr(), strings.Join(namespaces, ","), where)
	if ui != nil {
		ready += ", Web UI at " + ui.URL()
	}
	return ready
}

// webUIPort is the Web UI's port: uiPort if set, else port + 1000 like `temporal server
// start-dev`, or, with --port 0, a free port too. Zero means a free port that the kernel
// chooses; it is also zero, and not checked, when headless.
func webUIPort(port, uiPort int, set, headless bool) (int, error) {
	switch {
	case headless:
		return 0, nil
	case !set && port == 0:
		return 0, nil
	case !set:
		uiPort = port + 1000
		if uiPort > 65535 {
			return 0, fmt.Errorf("invalid --ui-port: the default, --port %d + 1000, is above 65535; set --ui-port or --headless", port)
		}
	case uiPort < 0 || uiPort > 65535:
		return 0, fmt.Errorf("invalid --ui-port %d: must be 0 to 65535", uiPort)
	}
	if uiPort == port && uiPort != 0 {
		return 0, fmt.Errorf("invalid --ui-port %d: must differ from --port", uiPort)
	}
	return uiPort, nil
}

// checkFree fails, naming flag, if the port cannot be listened on at --ip.
func (o *options) checkFree(flag string, port int) error {
	addr := net.JoinHostPort(o.ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("invalid %s %d: cannot listen on %s: %w", flag, port, addr, err)
	}
	return l.Close()
}
