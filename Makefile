BINARIES := devserver worker starter events-service
GO_BUILD := CGO_ENABLED=0 go build

.PHONY: build run test lint $(BINARIES)

build: $(BINARIES)

$(BINARIES):
	$(GO_BUILD) -o bin/$@ ./$@

# The whole pipeline on the embedded default: state in .data/, Ctrl-C stops it, run again resumes.
run: build
	./scripts/run.sh

test:
	CGO_ENABLED=0 go test -count=1 -timeout 20m ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	go vet ./...
