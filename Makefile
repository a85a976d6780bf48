# Everyday targets. `make check` runs what CI runs.
PYVET_CORPUS ?= $(abspath ../shared/corpus)
export PYVET_CORPUS

.PHONY: build install test test-short race vet fmt lint bench fuzz check clean

build:
	go build -o bin/pyvet ./cmd/pyvet

install:
	go install ./cmd/pyvet

test:
	go test -race -count=1 -timeout 45m ./...

test-short:
	PYVET_CORPUS= go test -short ./...

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	staticcheck ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...

# Runs every fuzz target for FUZZTIME each (default 10s).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

check:
	bash .ci/run

clean:
	rm -rf bin
