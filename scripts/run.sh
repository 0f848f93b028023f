#!/usr/bin/env bash
# Runs the whole pipeline on the embedded default: devserver (state in .data/), events-service,
# worker, and an idempotent start of the source every 3 s. Output is prefixed per process.
# Ctrl-C stops the worker first, then the sink and the server; running it again resumes.
set -euo pipefail
cd "$(dirname "$0")/.."

pids=()
prefix() { (trap '' INT TERM; exec sed -u "s/^/[$1] /"); }
start() { # name, command...
  local name=$1; shift
  setsid "$@" > >(prefix "$name") 2>&1 &
  pids+=("$!")
}
stop_all() {
  trap '' INT TERM HUP
  echo "[run] stopping" || true
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  exit 0
}
trap stop_all INT TERM HUP

start devserver ./bin/devserver --db-filename .data/temporal.db --log-format console
# The worker and the starter would wait for the server too, warning that it is unreachable.
for _ in $(seq 100); do ./bin/devserver health 2>/dev/null && break; sleep 0.1; done
start events-service ./bin/events-service --port 8080 --log-format console
start worker ./bin/worker --sink http://127.0.0.1:8080 --log-format console
./bin/starter start --workflow-id hello-cron --interval 3s 2>&1 | prefix starter
echo "[run] events flow every 3 s; Web UI at http://localhost:8233; Ctrl-C stops everything"
# If our output goes away (make run | tee, and tee is interrupted), keep running until the
# signal arrives, so that every process is still stopped in order.
trap '' PIPE
wait
