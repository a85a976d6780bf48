# Everyday targets. `make check` runs what CI runs.
PYVET_CORPUS ?= $(abspath ../shared/corpus)
export PYVET_CORPUS

# pep440 and pep508 are nested modules; ./... of the root does not include
# them, so the checks below run in each module.
MODULES := . pep440 pep508

.PHONY: build install test test-short race vet fmt lint bench fuzz check clean

build:
	go build -o bin/pyvet ./cmd/pyvet

install:
	go install ./cmd/pyvet

test:
	for m in $(MODULES); do (cd $$m && go test -race -count=1 -timeout 45m ./...) || exit 1; done

test-short:
	for m in $(MODULES); do (cd $$m && PYVET_CORPUS= go test -short ./...) || exit 1; done

vet:
	for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	for m in $(MODULES); do (cd $$m && staticcheck ./...) || exit 1; done

bench:
	for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchmem ./...) || exit 1; done

# Runs every fuzz target for FUZZTIME each (default 10s).
FUZZTIME ?= 10s
fuzz:
	@for m in $(MODULES); do \
	  for pkg in $$(cd $$m && go list ./...); do \
	    for f in $$(cd $$m && go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	      echo "fuzz $$pkg $$f"; (cd $$m && go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg) || exit 1; \
	    done; \
	  done; \
	done

check:
	bash .ci/run

clean:
	rm -rf bin
