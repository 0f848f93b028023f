// Package temporalite runs a whole Temporal server (frontend, history, matching and worker
// services) in this process on one SQLite database, either a file that keeps every workflow
// across restarts or memory. It is the project's embedded default, like `temporal server
// start-dev`, and the only package besides tests that links go.temporal.io/server. It holds the
// file alone, refuses a damaged one, and copies it consistently while a server runs (Backup).
package temporalite

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// Config says where the server keeps its state and listens.
type Config struct {
	// DBFilename is the SQLite file. Ignored when Ephemeral.
	DBFilename string
	// Ephemeral keeps everything in memory: it is gone when the process ends.
	Ephemeral bool
	// IP and Port are the frontend's address. The other services listen on free ports of
	// 127.0.0.1.
	IP   string
	Port int
	// Namespaces to create if they do not exist yet.
	Namespaces []string
	// SearchAttributes are custom search attributes that every namespace in Namespaces gets,
	// new or not.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Stock runs Temporal's stock dev-server settings instead of ours (rollback journal,
	// default dynamic config), for benchmarks that show what the tuning buys.
	Stock bool
	// TimerShift is history.timerProcessorMaxTimeShift, how late a timer may fire; zero means
	// DefaultTimerShift. Ignored when Stock.
	TimerShift time.Duration
	// HistoryCacheSize is history.hostLevelCacheMaxSize, how many workflows' state the server
	// keeps in memory; zero means DefaultHistoryCacheSize. Ignored when Stock.
	HistoryCacheSize int
	// Retention is how long every namespace keeps a closed run; zero means DefaultRetention.
	Retention time.Duration
	Logger    log.Logger
}

// Server is a running embedded Temporal server.
type Server struct {
	server   temporal.Server
	db       *database
	addr     string
	stopping *atomic.Bool
}

const loopback = "127.0.0.1"

// Start sets up the database if needed, creates the namespaces, and starts every service. It
// returns once the frontend accepts connections.
func Start(cfg Config) (*Server, error) {
	db, err := openDatabase(cfg.DBFilename, cfg.Ephemeral, cfg.Stock)
	if err != nil {
		return nil, &DatabaseError{err}
	}
	srv, err := start(cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return srv, nil
}

// DatabaseError is a failure to open or set up the database, as opposed to one of the server.
type DatabaseError struct{ Err error }

func (e *DatabaseError) Error() string { return e.Err.Error() }
func (e *DatabaseError) Unwrap() error { return e.Err }

func start(cfg Config, db *database) (*Server, error) {
	if err := db.createNamespaces(cfg.Namespaces, cfg.SearchAttributes); err != nil {
		return nil, &DatabaseError{err}
	}
	conf, err := serverConfig(cfg, db.sql)
	if err != nil {
		return nil, err
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("create authorizer: %w", err)
	}
	stopping := new(atomic.Bool)
	logger := newStopLogger(cfg.Logger, stopping)
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("create claim mapper: %w", err)
	}
	hosts := make(map[primitives.ServiceName]static.Hosts, len(conf.Services))
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(loopback, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig(cfg)),
	)
	if err != nil {
		return nil, fmt.Errorf("create server: %w", err)
	}
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := configureNamespaces(conf.PublicClient.HostPort, cfg); err != nil {
		server.Stop()
		return nil, err
	}
	return &Server{server: server, db: db, addr: conf.PublicClient.HostPort, stopping: stopping}, nil
}

// Addr is the frontend's host:port for clients on this machine.
func (s *Server) Addr() string { return s.addr }

// Stop stops every service, then releases the database.
func (s *Server) Stop() {
	s.stopping.Store(true)
	s.server.Stop()
	s.db.Close()
}

// dynamicConfig holds the server settings that differ from Temporal's defaults; none when stock.
func dynamicConfig(cfg Config) dynamicconfig.StaticClient {
	if cfg.Stock {
		return dynamicconfig.StaticClient{}
	}
	shift := cfg.TimerShift
	if shift == 0 {
		shift = DefaultTimerShift
	}
	cacheSize := cfg.HistoryCacheSize
	if cacheSize == 0 {
		cacheSize = DefaultHistoryCacheSize
	}
	return dynamicconfig.StaticClient{
		// Keep the state of up to cacheSize sources in memory (--history-cache-size); beyond,
		// a tick reads its source's state from the file.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 cacheSize,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// A worker that stops gracefully gets its outstanding polls answered empty, so that no
		// task is handed to a poller that is going away.
		dynamicconfig.EnableCancelWorkerPollsOnShutdown.Key(): true,
		// Timers fire at most this late (default 1 s): a tick's lateness is bounded by it. The
		// timer queue then reads the database more often; one shard on SQLite takes that easily.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): shift,
		// Each history queue reads the database at most 20 times a second by default. At 10
		// timers a second that throttled the timer queue: timers fired on a 100 ms grid, up to
		// 300 ms late, and several ticks shared one workflow task. The readers batch, so a
		// higher cap only costs reads when there is work.
		dynamicconfig.TimerProcessorMaxPollRPS.Key():      1000,
		dynamicconfig.TransferProcessorMaxPollRPS.Key():   1000,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): 1000,
	}
}

// retention is c.Retention, or DefaultRetention.
func (c Config) retention() time.Duration {
	if c.Retention == 0 {
		return DefaultRetention
	}
	return c.Retention
}

// DefaultHistoryCacheSize is the devserver's history.hostLevelCacheMaxSize.
const DefaultHistoryCacheSize = 8192

// DefaultTimerShift is the devserver's history.timerProcessorMaxTimeShift (Temporal's is 1 s).
const DefaultTimerShift = 10 * time.Millisecond

// serverConfig is a single-host, single-shard cluster on the SQLite store.
func serverConfig(cfg Config, sqlConf *config.SQL) (*config.Config, error) {
	clientIP := cfg.IP
	if ip := net.ParseIP(cfg.IP); ip == nil || ip.IsUnspecified() {
		clientIP = loopback
	}
	frontend := net.JoinHostPort(clientIP, strconv.Itoa(cfg.Port))

	services := map[string]config.Service{
		"frontend": {RPC: config.RPC{GRPCPort: cfg.Port, BindOnIP: cfg.IP}},
	}
	internal := []string{"history", "matching", "worker"}
	ports, err := internalPorts(loopback, len(internal), cfg.Port)
	if err != nil {
		return nil, fmt.Errorf("find ports for the %s services: %w", strings.Join(internal, ", "), err)
	}
	for i, name := range internal {
		services[name] = config.Service{RPC: config.RPC{GRPCPort: ports[i], BindOnIP: loopback}}
	}

	var conf config.Config
	conf.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}
	conf.Persistence = config.Persistence{
		DefaultStore:     "sqlite-default",
		VisibilityStore:  "sqlite-default",
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}},
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{
			"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = services
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf, nil
}

// internalPorts finds n ports of ip that are free now, for the internal services. They are
// bound only when the server starts, a moment later, and a Temporal server exits when a bind
// fails, so devservers that start at the same time (a test suite runs many) must not pick the
// same ones: a port that one has checked is still free for the others until it binds. Each
// process therefore looks first in a block of n ports of its own, chosen by its process id,
// then in the blocks after it, and takes the first block whose ports are all free (a running
// server of the same process holds its block). The range lies below the kernel's ephemeral
// ports (32768 and up), which any outgoing connection may take. A block never holds frontend,
// the frontend's port, which is not bound yet either.
func internalPorts(ip string, n, frontend int) ([]int, error) {
	blocks := (endInternalPorts - firstInternalPort) / n
	own := os.Getpid() % blocks
	for i := range blocks {
		base := firstInternalPort + (own+i)%blocks*n
		ports := make([]int, n)
		for j := range ports {
			ports[j] = base + j
		}
		if (frontend < base || frontend >= base+n) && allFree(ip, ports) {
			return ports, nil
		}
	}
	return nil, fmt.Errorf("no %d free ports from %d to %d", n, firstInternalPort, endInternalPorts-1)
}

// allFree reports whether every port of ip can be listened on now.
func allFree(ip string, ports []int) bool {
	for _, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// internalPorts takes its blocks from [firstInternalPort, endInternalPorts).
const (
	firstInternalPort = 20000
	endInternalPorts  = 32768
)
