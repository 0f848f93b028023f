BINARIES := devserver worker starter events-service
GO_BUILD := CGO_ENABLED=0 go build -buildvcs=auto

IMAGE_TAG ?= dev
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: build run test faults bench lint images cluster-bin $(BINARIES)

build: $(BINARIES)

$(BINARIES):
	$(GO_BUILD) -o bin/$@ ./$@

# One FROM scratch image per binary, hello-cron/<binary>:$(IMAGE_TAG), with the CA bundle for
# https sinks. Nothing is pulled, so it works without a registry.
images: build
	@test -f $(CA_BUNDLE) || { echo "images: no CA bundle at $(CA_BUNDLE); install ca-certificates or set CA_BUNDLE"; exit 1; }
	@for b in $(BINARIES); do \
	  ctx=$$(mktemp -d) && mkdir $$ctx/data && cp bin/$$b $$ctx/app && cp $(CA_BUNDLE) $$ctx/ca-certificates.crt && \
	  if [ $$b = devserver ]; then cp build/devserver.Dockerfile $$ctx/Dockerfile; else cp build/Dockerfile $$ctx/Dockerfile; fi && \
	  docker build -q -t hello-cron/$$b:$(IMAGE_TAG) $$ctx >/dev/null; rc=$$?; rm -rf $$ctx; \
	  [ $$rc -eq 0 ] || exit $$rc; echo "built hello-cron/$$b:$(IMAGE_TAG)"; \
	done

# Temporal's own server and SQL tool at the version in go.mod, and the helper that creates the
# namespace and search attributes: what scripts/cluster.sh runs (it builds them when missing).
cluster-bin:
	$(GO_BUILD) -o bin/temporal-server go.temporal.io/server/cmd/server
	$(GO_BUILD) -o bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	$(GO_BUILD) -o bin/cluster-setup ./scripts/clustersetup

# The whole pipeline on the embedded default: state in .data/, Ctrl-C stops it, run again resumes.
run: build
	./scripts/run.sh

# deploy/ is its own module, so that the Kubernetes libraries its tests need stay out of ours.
# The fuzz test runs its seed corpus with the rest, then fuzzes briefly beyond it. e2e runs
# after the other packages, not beside them: its devservers and the in-process ones of
# devserver/temporalite pick free ports from the same range, and a port taken between the
# check and the bind makes a Temporal server exit.
test:
	CGO_ENABLED=0 go test -count=1 -timeout 20m $$(go list ./... | grep -v /e2e)
	CGO_ENABLED=0 go test -count=1 -timeout 20m ./e2e/
	CGO_ENABLED=0 go test -count=1 -timeout 10m ./e2e/cluster/
	CGO_ENABLED=0 go test -run '^$$' -fuzz '^FuzzSchedule$$' -fuzztime $(FUZZTIME) ./workflows/
	cd deploy && CGO_ENABLED=0 go test -count=1 ./...

FUZZTIME ?= 15s

# The fault-injection suite alone (it also runs in `make test`), printing one verdict per scenario.
faults:
	@log=$$(mktemp); CGO_ENABLED=0 go test -count=1 -v -run 'TestFaults|TestJudge' ./e2e/ >$$log 2>&1; rc=$$?; \
	grep -E 'verdict|_test.go|^(---|ok|FAIL|panic)' $$log; rm -f $$log; exit $$rc

# The benchmarks against the baselines, on the devserver and on the local two-node cluster
# (scripts/cluster.sh), about 50 minutes; prints a table and writes bench/results/<date>.json.
# BENCH_FLAGS="--sizes 50 --measure 10s" for a quick look.
bench: build cluster-bin
	CGO_ENABLED=0 go run ./bench $(BENCH_FLAGS)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	CGO_ENABLED=0 go vet ./...
	cd deploy && CGO_ENABLED=0 go vet ./...
