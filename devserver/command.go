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

	"github.com/hello-cron/cronsource/devserver/temporalite"
	"github.com/hello-cron/cronsource/devserver/webui"
	"github.com/hello-cron/cronsource/internal/logging"
	"github.com/hello-cron/cronsource/internal/searchattr"
	"github.com/hello-cron/cronsource/internal/version"
)

type options struct {
	dbFilename string
	ephemeral  bool
	ip         string
	port       int
	uiPort     int
	headless   bool
	uiWrite    bool
	namespaces []string
	stock      bool
	timerShift time.Duration
	log        logging.Options
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
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	fs.IntVar(&o.uiPort, "ui-port", 0, "Web UI port, on the same --ip (default --port + 1000)")
	fs.BoolVar(&o.headless, "headless", false, "serve no Web UI")
	fs.BoolVar(&o.uiWrite, "ui-write-actions", false, "let the Web UI start, signal, cancel, terminate and reset workflows (default: read-only)")
	fs.StringArrayVar(&o.namespaces, "namespace", nil, "namespace to create (repeatable); default always exists")
	fs.BoolVar(&o.stock, "stock-settings", false, "use Temporal's stock dev-server settings (rollback journal, default timer shift), for benchmarks")
	fs.DurationVar(&o.timerShift, "timer-shift", temporalite.DefaultTimerShift, "history.timerProcessorMaxTimeShift: how late a timer may fire")
	o.log.AddFlags(fs, "warn")
	cmd.AddCommand(newHealthCommand(), newBackupCommand(stdout))
	return cmd
}

func (o *options) run(cmd *cobra.Command, stdout, stderr io.Writer) error {
	if o.timerShift <= 0 || o.timerShift > time.Minute {
		return fmt.Errorf("invalid --timer-shift %v: must be more than 0 and at most 1m", o.timerShift)
	}
	if o.port < 1 || o.port > 65535 {
		return fmt.Errorf("invalid --port %d: must be 1 to 65535", o.port)
	}
	uiPort, err := webUIPort(o.port, o.uiPort, cmd.Flags().Changed("ui-port"), o.headless)
	if err != nil {
		return err
	}
	if net.ParseIP(o.ip) == nil {
		return fmt.Errorf("invalid --ip %q: must be an IP address", o.ip)
	}
	if err := o.checkFree("--port", o.port); err != nil {
		return err
	}
	if !o.headless {
		if err := o.checkFree("--ui-port", uiPort); err != nil {
			return err
		}
	}
	if os.Getenv("USER") == "" {
		// The server asks who runs it (OpenTelemetry's process owner); without cgo, in an image
		// with no /etc/passwd such as FROM scratch, that needs $USER.
		_ = os.Setenv("USER", "devserver")
	}
	zl, err := o.log.New(stderr)
	if err != nil {
		return err
	}
	if !net.ParseIP(o.ip).IsLoopback() {
		// It has no TLS and no authentication: whoever reaches the port controls every source.
		zl.Warn(fmt.Sprintf("devserver listens on --ip %s with no TLS and no authentication: anyone who can reach it can read, start, stop and redirect every source (and use its Web UI); keep --ip 127.0.0.1 or put it behind a firewall", o.ip))
	}
	namespaces := []string{"default"}
	for _, ns := range o.namespaces {
		if strings.TrimSpace(ns) == "" {
			return fmt.Errorf("invalid --namespace %q: must not be empty", ns)
		}
		if ns != "default" {
			namespaces = append(namespaces, ns)
		}
	}
	where := o.dbFilename
	if o.ephemeral {
		where = "in memory"
	}
	srv, err := temporalite.Start(temporalite.Config{
		DBFilename: o.dbFilename, Ephemeral: o.ephemeral, IP: o.ip, Port: o.port,
		Namespaces: namespaces, SearchAttributes: searchattr.Types(), Stock: o.stock, TimerShift: o.timerShift,
		Logger: log.NewZapLogger(zl),
	})
	var dbErr *temporalite.DatabaseError
	switch {
	case errors.As(err, &dbErr) && !o.ephemeral:
		return fmt.Errorf("invalid --db-filename %s: %w", o.dbFilename, err)
	case err != nil:
		return fmt.Errorf("start: %w", err)
	}
	var ui *webui.Server
	if !o.headless {
		ui, err = webui.Start(webui.Config{IP: o.ip, Port: uiPort, Frontend: srv.Addr(), WriteActions: o.uiWrite})
		var listenErr *webui.ListenError
		switch {
		case errors.As(err, &listenErr):
			srv.Stop()
			return fmt.Errorf("invalid --ui-port %d: %w", uiPort, err)
		case err != nil:
			srv.Stop()
			return fmt.Errorf("start the web UI: %w", err)
		}
	}
	ready := fmt.Sprintf("devserver ready: Temporal at %s, namespaces %s, database %s",
		srv.Addr(), strings.Join(namespaces, ","), where)
	if ui != nil {
		ready += ", Web UI at " + ui.URL()
	}
	fmt.Fprintln(stdout, ready)
	<-cmd.Context().Done()
	if ui != nil {
		ui.Stop()
	}
	srv.Stop()
	fmt.Fprintln(stdout, "devserver stopped")
	return nil
}

// webUIPort is the Web UI's port: uiPort if set, else port + 1000 like `temporal server
// start-dev`. It is zero, and not checked, when headless.
func webUIPort(port, uiPort int, set, headless bool) (int, error) {
	switch {
	case headless:
		return 0, nil
	case !set:
		uiPort = port + 1000
		if uiPort > 65535 {
			return 0, fmt.Errorf("invalid --ui-port: the default, --port %d + 1000, is above 65535; set --ui-port or --headless", port)
		}
	case uiPort < 1 || uiPort > 65535:
		return 0, fmt.Errorf("invalid --ui-port %d: must be 1 to 65535", uiPort)
	}
	if uiPort == port {
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
