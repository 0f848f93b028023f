#!/usr/bin/env bash
# A local multi-node Temporal cluster: PostgreSQL 12+ from the machine's packages and N nodes of
# Temporal's own server (bin/temporal-server, every service in each), ringpop membership over
# 127.0.0.1, the dynamic config we ship (deploy/temporal/dynamicconfig.yaml), namespace `default`
# with our search attributes. Every file it makes (data, logs, configs, pids) is under DIR.
#
#   scripts/cluster.sh up DIR            start what is not running, return once every node serves,
#                                        print node<N>=127.0.0.1:<frontend port> per node
#   scripts/cluster.sh down DIR          stop every node (SIGTERM), then PostgreSQL
#   scripts/cluster.sh kill-node DIR N   kill -9 node N's server
#   scripts/cluster.sh stop-node DIR N   stop node N's server gracefully (SIGTERM; kill -9 after 30 s)
#   scripts/cluster.sh start-node DIR N  start node N again; return once it serves
#   scripts/cluster.sh restart-db DIR [SECONDS]
#                                        stop PostgreSQL (fast shutdown: sessions are ended), keep it
#                                        down SECONDS (default 0, at most 600), start it again; return
#                                        once it takes connections (the nodes reconnect by themselves)
#
# Environment, read by the first `up` of a DIR (later ones keep its choices in DIR/cluster.env):
#   CLUSTER_NODES   number of nodes, 2 to 9 (default 2)
#   CLUSTER_SHARDS  history shards, fixed for the life of DIR (default 8)
# and by every command:
#   CLUSTER_BIN     where temporal-server, temporal-sql-tool and cluster-setup are (default bin/;
#                   `make cluster-bin` builds them, and this script does when one is missing)
#   CLUSTER_DYNAMIC_CONFIG  the dynamic config to run with (default deploy/temporal/dynamicconfig.yaml),
#                   copied into DIR at every up; the servers reread it every 10 s
#   PG_BIN          the folder of initdb and pg_ctl (default: found on PATH or in /usr/lib/postgresql)
#
# DIR holds cluster.env (nodes, shards, ports, PostgreSQL's user), postgres/ (its data and
# postgres.log), postgres.password, schema.log, node<N>/ (config.yaml, temporal.log, temporal.pid),
# dynamicconfig.yaml, setup.log (what cluster-setup did or why it failed), and the markers
# schema.done and metadata.done (the first node has written the cluster's metadata).
#
# Ports: one block of 10 per node and one for PostgreSQL, picked free from 2000-9999 at the first
# up (see free_block). PostgreSQL refuses to run as root: as root, the script runs it as the user
# postgres (or nobody), who must be able to reach DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
me=cluster.sh

die() { echo "$me: $*" >&2; exit 1; }
usage() { echo "$me: $*" >&2; exit 2; }
say() { echo "$me: $*" >&2; }

# --- arguments -------------------------------------------------------------------------------

[ $# -ge 1 ] || usage "missing command: want up DIR, down DIR, kill-node DIR N, stop-node DIR N, start-node DIR N or restart-db DIR [SECONDS]"
cmd=$1; shift
# need and want: the fewest and the most arguments the command takes.
case $cmd in
  up|down) need=1 want=1 ;;
  kill-node|stop-node|start-node) need=2 want=2 ;;
  restart-db) need=1 want=2 ;;
  *) usage "unknown command \"$cmd\": want up, down, kill-node, stop-node, start-node or restart-db" ;;
esac
if [ $# -lt 1 ] || [ -z "$1" ]; then usage "$cmd: missing DIR"; fi
[ $# -ge "$need" ] || usage "$cmd: missing N, the node number"
if [ $# -gt "$want" ]; then args=("$@"); usage "$cmd: unexpected argument \"${args[$want]}\""; fi
dir=$1
node_arg='' down_for=0
if [ "$cmd" = restart-db ]; then
  down_for=${2:-0}
  [[ $down_for =~ ^(0|[1-9][0-9]{0,2})$ && $down_for -le 600 ]] ||
    usage "$cmd: invalid SECONDS \"$down_for\": must be a whole number of seconds from 0 to 600"
else
  node_arg=${2:-}
fi

if [ "$cmd" = up ]; then
  mkdir -p "$dir" || usage "$cmd: invalid DIR \"$dir\": cannot create it"
fi
[ -d "$dir" ] || usage "$cmd: invalid DIR \"$dir\": no such folder"
dir=$(cd "$dir" && pwd)
[[ $dir != *[[:space:]\"\'\\]* ]] || usage "$cmd: invalid DIR \"$dir\": it has a space, quote or backslash"
if [ "$cmd" != up ] && [ ! -f "$dir/cluster.env" ]; then
  usage "$cmd: invalid DIR \"$dir\": no cluster there (no cluster.env; start one with: $me up DIR)"
fi

# One command at a time per DIR: a second `up` waits for the first, then finds it running. The
# lock is on fd 9, which no program this script starts keeps (each gets 9>&-): a server that
# inherited it would hold the lock for its whole life.
exec 9>>"$dir/cluster.lock"
flock -w 300 9 || die "$dir: another $me still works on it after 5 min"

# --- the cluster's settings --------------------------------------------------------------------

# free_block N: a base port B from 2000 to 9999 such that nothing listens on B..B+N-1 of
# 127.0.0.1. Below 10000: the kernel gives out ports from 32768 up to any outgoing connection, and
# the e2e tests and devservers pick theirs from 10000 to 32767. And below 32768 in any case:
# Temporal's PostgreSQL schema keeps a node's membership port in a SMALLINT (cluster_membership.rpc_port).
free_block() {
  local n=$1 first=2000 last=$((10000 - $1)) base p
  for _ in $(seq 100); do
    base=$((first + RANDOM % (last - first)))
    for ((p = base; p < base + n; p++)); do
      (: </dev/tcp/127.0.0.1/$p) 2>/dev/null && continue 2
    done
    echo "$base"; return 0
  done
  die "no $n free ports in a row from $first to $((last + n - 1)) of 127.0.0.1"
}

if [ ! -f "$dir/cluster.env" ]; then
  [ "$cmd" = up ] || die "unreachable"
  nodes=${CLUSTER_NODES:-2}
  [[ $nodes =~ ^[2-9]$ ]] || usage "up: invalid CLUSTER_NODES \"$nodes\": must be 2 to 9"
  shards=${CLUSTER_SHARDS:-8}
  [[ $shards =~ ^[1-9][0-9]{0,3}$ ]] || usage "up: invalid CLUSTER_SHARDS \"$shards\": must be 1 to 9999"
  pg_user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
  fi
  base=$(free_block $((10 * nodes + 10)))
  cat >"$dir/cluster.env" <<EOF
# Written by the first \`$me up\`: the cluster in this folder keeps these for its life.
# PostgreSQL listens on base_port, node n on base_port + 10n (frontend) to base_port + 10n + 8.
nodes=$nodes
shards=$shards
pg_user=$pg_user
pg_port=$base
base_port=$base
EOF
fi
nodes='' shards='' pg_user='' pg_port='' base_port=''
# shellcheck source=/dev/null
. "$dir/cluster.env"
[[ $nodes =~ ^[0-9]+$ && $shards =~ ^[0-9]+$ && $pg_port =~ ^[0-9]+$ && $base_port =~ ^[0-9]+$ && -n $pg_user ]] ||
  die "$dir/cluster.env: damaged (want nodes, shards, pg_user, pg_port and base_port)"

if [[ $cmd == *-node ]] && ! [[ $node_arg =~ ^[1-9]$ && $node_arg -le $nodes ]]; then
  usage "$cmd: invalid N \"$node_arg\": must be a node number from 1 to $nodes"
fi

# Node n's ports: base+10n is its frontend; +1..3 history, matching, worker; +5..8 their
# membership (ringpop) ports, in the same order.
frontend_port() { echo $((base_port + 10 * $1)); }
node_addr() { echo "127.0.0.1:$(frontend_port "$1")"; }

# --- processes ---------------------------------------------------------------------------------

# node_pid n: the pid of node n's server if it runs, else nothing (a pid file whose process is
# gone, a zombie, or another program, does not count).
node_pid() {
  local nd=$dir/node$1 pid state
  [ -f "$nd/temporal.pid" ] || return 0
  pid=$(cat "$nd/temporal.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 0
  [ "$state" != Z ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$nd/config.yaml" || return 0
  echo "$pid"
}

# wait_gone pid seconds: whether the process ended within that time.
wait_gone() {
  local i state
  for ((i = 0; i < $2 * 10; i++)); do
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "$state" != Z ] || return 0
    sleep 0.1
  done
  return 1
}

# as_pg command...: runs command as the PostgreSQL user, from DIR/postgres.
as_pg() {
  if [ "$(id -un)" = "$pg_user" ]; then
    (cd "$dir/postgres" && exec "$@" 9>&-)
  elif command -v runuser >/dev/null; then
    (cd "$dir/postgres" && exec runuser -u "$pg_user" -- "$@" 9>&-)
  elif command -v setpriv >/dev/null; then
    (cd "$dir/postgres" && exec setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")" --init-groups -- "$@" 9>&-)
  else
    (cd "$dir/postgres" && exec su -s /bin/sh "$pg_user" -c "$(printf '%q ' "$@")" 9>&-)
  fi
}

find_pg() {
  local d
  if [ -n "${PG_BIN:-}" ]; then
    if [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/initdb" ]; then return; fi
    die "PG_BIN=$PG_BIN has no initdb and pg_ctl"
  fi
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    PG_BIN=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  else
    # Debian keeps them off PATH, one folder per major version: take the newest.
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
      [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && PG_BIN=$d
    done
  fi
  [ -n "${PG_BIN:-}" ] || die "PostgreSQL not found: no initdb and pg_ctl on PATH nor in /usr/lib/postgresql/*/bin; install it (apt-get install -y postgresql) or set PG_BIN"
}

pg_running() { [ -d "$dir/postgres/data" ] && as_pg "$PG_BIN/pg_ctl" status -D "$dir/postgres/data" >/dev/null 2>&1; }

find_bins() {
  bin=${CLUSTER_BIN:-$root/bin}
  local b pkg note
  for b in temporal-server temporal-sql-tool cluster-setup; do
    [ -x "$bin/$b" ] && continue
    case $b in
      temporal-server) pkg=go.temporal.io/server/cmd/server ;;
      temporal-sql-tool) pkg=go.temporal.io/server/cmd/tools/sql ;;
      cluster-setup) pkg=./scripts/clustersetup ;;
    esac
    note=''
    [ "$b" != temporal-server ] || note=" (the first build of Temporal's server takes minutes)"
    say "building $bin/$b$note"
    (cd "$root" && CGO_ENABLED=0 go build -o "$bin/$b" "$pkg") || die "could not build $bin/$b (make cluster-bin)"
  done
}

# --- PostgreSQL --------------------------------------------------------------------------------

pg_password() { cat "$dir/postgres.password"; }

pg_init() {
  say "initializing PostgreSQL in $dir/postgres (as user $pg_user, port $pg_port)"
  ! pg_running || pg_stop
  rm -rf "$dir/postgres" "$dir/schema.done" "$dir/metadata.done"
  mkdir -m 700 "$dir/postgres"
  (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/postgres.password")
  pg_password >"$dir/postgres/pwfile"
  if [ "$(id -un)" != "$pg_user" ]; then
    chown -R "$pg_user:$(id -g "$pg_user")" "$dir/postgres"
    as_pg test -x "$dir/postgres" ||
      die "$dir: user $pg_user, who runs PostgreSQL, cannot reach it; pick a folder that every user can traverse, such as one under /tmp"
  fi
  as_pg "$PG_BIN/initdb" -D "$dir/postgres/data" -U temporal --pwfile="$dir/postgres/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C >"$dir/postgres/initdb.log" 2>&1 ||
    { rm -f "$dir/postgres/pwfile"; die "initdb failed: see $dir/postgres/initdb.log"; }
  rm -f "$dir/postgres/pwfile"
  # Loopback only, no Unix socket (its path could be too long, and /var/run/postgresql may be
  # missing or not ours). Each node's four services have their own connection pools, of up to
  # 10 + 4 connections each (its config.yaml).
  as_pg tee -a "$dir/postgres/data/postgresql.conf" >/dev/null <<EOF

# scripts/cluster.sh
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = ''
max_connections = $((nodes * 60 + 20))
EOF
}

# pg_stop: a fast shutdown (sessions are ended, every change is on disk), returning once the
# postmaster has exited: pg_ctl returns when its pid file is gone, a moment before that.
pg_stop() {
  local pm
  pm=$(head -n 1 "$dir/postgres/data/postmaster.pid" 2>/dev/null) || true
  as_pg "$PG_BIN/pg_ctl" stop -D "$dir/postgres/data" -m fast -w -t 60 >/dev/null || return 1
  [[ ! $pm =~ ^[0-9]+$ ]] || wait_gone "$pm" 10
}

pg_start() {
  pg_running && return 0
  say "starting PostgreSQL on 127.0.0.1:$pg_port"
  as_pg "$PG_BIN/pg_ctl" start -D "$dir/postgres/data" -l "$dir/postgres/postgres.log" -w -t 60 >/dev/null ||
    die "PostgreSQL did not start: see $dir/postgres/postgres.log"
  started_pg=1
}

# schema: the two databases with Temporal's embedded schemas, as its docker setup does.
schema() {
  local db name tool=$bin/temporal-sql-tool
  for db in temporal:temporal temporal_visibility:visibility; do
    name=${db%%:*}
    SQL_PLUGIN=postgres12_pgx SQL_HOST=127.0.0.1 SQL_PORT=$pg_port SQL_USER=temporal SQL_PASSWORD=$(pg_password) \
      SQL_DATABASE=$name bash -c '"$1" create-database && "$1" setup-schema -v 0.0 && "$1" update-schema --schema-name "$2"' \
      _ "$tool" "postgresql/v12/${db#*:}" >>"$dir/schema.log" 2>&1 || die "schema setup of $name failed: see $dir/schema.log"
  done
  touch "$dir/schema.done"
}

# --- Temporal nodes ----------------------------------------------------------------------------

node_config() {
  local n=$1 f i store s db conns svc
  f=$(frontend_port "$n")
  mkdir -p "$dir/node$n"
  (
    umask 077
    exec >"$dir/node$n/config.yaml"
    echo "# Written by scripts/cluster.sh for node $n of the cluster in $dir."
    echo "log: {stdout: true, level: info}"
    echo "persistence:"
    echo "  defaultStore: default"
    echo "  visibilityStore: visibility"
    echo "  numHistoryShards: $shards"
    echo "  datastores:"
    for store in default:temporal:10 visibility:temporal_visibility:4; do
      IFS=: read -r s db conns <<<"$store"
      echo "    $s:"
      echo "      sql:"
      echo "        pluginName: postgres12_pgx"
      echo "        databaseName: $db"
      echo "        connectAddr: 127.0.0.1:$pg_port"
      echo "        connectProtocol: tcp"
      echo "        user: temporal"
      echo "        password: \"$(pg_password)\""
      echo "        maxConns: $conns"
      echo "        maxIdleConns: $conns"
      echo "        maxConnLifetime: 1h"
    done
    echo "global:"
    echo "  membership: {maxJoinDuration: 30s, broadcastAddress: 127.0.0.1}"
    echo "services:"
    i=0
    for svc in frontend history matching worker; do
      echo "  $svc:"
      echo "    rpc: {grpcPort: $((f + i)), membershipPort: $((f + 5 + i)), bindOnIP: 127.0.0.1}"
      i=$((i + 1))
    done
    cat <<EOF
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: {enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "$(node_addr 1)"}
dcRedirectionPolicy: {policy: noop}
archival:
  history: {state: disabled}
  visibility: {state: disabled}
namespaceDefaults:
  archival:
    history: {state: disabled}
    visibility: {state: disabled}
dynamicConfigClient: {filepath: "$dir/dynamicconfig.yaml", pollInterval: 10s}
EOF
  )
}

node_start() {
  local n=$1
  local nd=$dir/node$n
  if [ -n "$(node_pid "$n")" ]; then
    [ "$cmd" = up ] || say "node $n is already running"
    return 0
  fi
  say "starting node $n on $(node_addr "$n")"
  node_config "$n"
  # Its own session, so that the caller's Ctrl-C or process group kill leaves it running.
  # shellcheck disable=SC2016 # $$ is the inner shell's pid, which exec hands to the server
  setsid bash -c 'echo $$ >"$1"; exec "$2" --config-file "$3" --allow-no-auth start' \
    _ "$nd/temporal.pid" "$bin/temporal-server" "$nd/config.yaml" </dev/null >>"$nd/temporal.log" 2>&1 9>&- &
  disown $!
  started_nodes+=("$n")
  for _ in $(seq 50); do [ -n "$(node_pid "$n")" ] && return 0; sleep 0.1; done
  die "node $n did not start: see $nd/temporal.log"
}

# node_stop n signal seconds: signals node n and waits for it to end.
node_stop() {
  local pid
  pid=$(node_pid "$1")
  [ -n "$pid" ] || { rm -f "$dir/node$1/temporal.pid"; return 0; }
  kill -"$2" "$pid" 2>/dev/null || true
  wait_gone "$pid" "$3" || return 1
  rm -f "$dir/node$1/temporal.pid"
}

# fatal log: ", <message>: <error>" of the server's last fatal log line, if any.
fatal() {
  grep '"level":"fatal"' "$1" 2>/dev/null | tail -n 1 |
    sed -n 's/.*"msg":"\([^"]*\)".*"error":"\([^"]*\)".*/, \1: \2/p'
}

# await n...: cluster-setup waits until those nodes serve and see the namespace and our search
# attributes, creating them the first time. A node that exits meanwhile fails it at once.
await() {
  local n addrs=() setup
  for n in "$@"; do addrs+=("$(node_addr "$n")"); done
  "$bin/cluster-setup" --timeout 2m "${addrs[@]}" 2>>"$dir/setup.log" 9>&- &
  setup=$!
  while kill -0 "$setup" 2>/dev/null; do
    for n in "$@"; do
      [ -n "$(node_pid "$n")" ] && continue
      kill "$setup" 2>/dev/null || true
      wait "$setup" 2>/dev/null || true
      die "node $n exited$(fatal "$dir/node$n/temporal.log"): see $dir/node$n/temporal.log"
    done
    sleep 0.2
  done
  wait "$setup" || die "the cluster does not serve: see $dir/setup.log and $dir/node*/temporal.log"
}

# A failed up or start-node stops what it started, so that it leaves no process behind.
started_pg=0
started_nodes=()
undo() {
  local rc=$? n
  [ $rc -ne 0 ] || return 0
  for n in "${started_nodes[@]}"; do node_stop "$n" KILL 10 || true; done
  [ "$started_pg" -eq 0 ] || pg_stop 2>/dev/null || true
}

# --- commands ----------------------------------------------------------------------------------

case $cmd in
up)
  find_pg
  find_bins
  trap undo EXIT
  trap 'exit 130' INT TERM HUP
  running=1
  pg_running || running=0
  for ((n = 1; n <= nodes; n++)); do [ -n "$(node_pid "$n")" ] || running=0; done
  # A folder whose schema was never set up holds no cluster yet: start it afresh.
  [ -f "$dir/schema.done" ] || pg_init
  pg_start
  [ -f "$dir/schema.done" ] || schema
  cp "${CLUSTER_DYNAMIC_CONFIG:-$root/deploy/temporal/dynamicconfig.yaml}" "$dir/dynamicconfig.yaml"
  # The first server to start on a new database writes the cluster's metadata; servers that
  # start together race to write it, and the losers exit. So node 1 starts alone the first time.
  if [ ! -f "$dir/metadata.done" ]; then
    node_start 1
    await 1
    touch "$dir/metadata.done"
  fi
  for ((n = 1; n <= nodes; n++)); do node_start "$n"; done
  await $(seq "$nodes")
  [ "$running" -eq 0 ] || say "$dir: already running"
  for ((n = 1; n <= nodes; n++)); do echo "node$n=$(node_addr "$n")"; done
  ;;
down)
  find_pg
  stopped=()
  # SIGTERM to every node at once: each leaves the membership ring and hands its shards over.
  for ((n = 1; n <= nodes; n++)); do
    pid=$(node_pid "$n")
    [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null || true; stopped+=("node $n"); }
  done
  for ((n = 1; n <= nodes; n++)); do
    node_stop "$n" TERM 30 || { say "node $n did not stop within 30 s of SIGTERM: killing it"; node_stop "$n" KILL 10; }
  done
  if pg_running; then
    pg_stop || die "PostgreSQL did not stop: see $dir/postgres/postgres.log"
    stopped+=(PostgreSQL)
  fi
  if [ ${#stopped[@]} -eq 0 ]; then say "$dir: nothing was running"; else say "$dir: stopped ${stopped[*]}"; fi
  ;;
kill-node)
  pid=$(node_pid "$node_arg")
  [ -n "$pid" ] || die "node $node_arg is not running"
  node_stop "$node_arg" KILL 10 || die "node $node_arg (pid $pid) still runs 10 s after kill -9"
  say "node $node_arg (pid $pid) killed"
  ;;
stop-node)
  pid=$(node_pid "$node_arg")
  [ -n "$pid" ] || die "node $node_arg is not running"
  # As down does: the node leaves the membership ring and hands its shards over.
  if ! node_stop "$node_arg" TERM 30; then
    say "node $node_arg did not stop within 30 s of SIGTERM: killing it"
    node_stop "$node_arg" KILL 10 || die "node $node_arg (pid $pid) still runs 10 s after kill -9"
  fi
  say "node $node_arg (pid $pid) stopped"
  ;;
restart-db)
  find_pg
  pg_running || die "$dir: PostgreSQL is not running; start the cluster with: $me up $dir"
  pg_stop || die "PostgreSQL did not stop: see $dir/postgres/postgres.log"
  say "PostgreSQL stopped; starting it again in $down_for s"
  sleep "$down_for"
  pg_start
  ;;
start-node)
  find_pg
  find_bins
  pg_running || die "$dir: PostgreSQL is not running; start the cluster with: $me up $dir"
  trap undo EXIT
  trap 'exit 130' INT TERM HUP
  node_start "$node_arg"
  await "$node_arg"
  echo "node$node_arg=$(node_addr "$node_arg")"
  ;;
esac
