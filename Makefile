BINARIES := devserver worker starter events-service
GO_BUILD := CGO_ENABLED=0 go build

.PHONY: build run test faults lint $(BINARIES)

build: $(BINARIES)

$(BINARIES):
	$(GO_BUILD) -o bin/$@ ./$@

# The whole pipeline on the embedded default: state in .data/, Ctrl-C stops it, run again resumes.
run: build
	./scripts/run.sh

test:
	CGO_ENABLED=0 go test -count=1 -timeout 20m ./...

# The fault-injection suite alone (it also runs in `make test`), printing one verdict per scenario.
faults:
	@log=$$(mktemp); CGO_ENABLED=0 go test -count=1 -v -run 'TestFaults|TestJudge' ./e2e/ >$$log 2>&1; rc=$$?; \
	grep -E 'verdict|_test.go|^(---|ok|FAIL|panic)' $$log; rm -f $$log; exit $$rc

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	go vet ./...
