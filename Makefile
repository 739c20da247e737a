# Build, test and demo entry points. Everything a fresh machine needs beyond Go is built here:
# the plugin, the Command simulator, and a real Vault server from the Vault Go module.

GO        ?= go
BIN       := $(CURDIR)/bin
VAULT_DIR := $(CURDIR)/.cache/vault/bin
VAULT_BIN := $(VAULT_DIR)/vault

# The binaries the end-to-end tests and the demo start (read by compat_test/realvault).
export VAULT_BIN
export PLUGIN_BIN     := $(BIN)/keyfactor
export COMMANDSIM_BIN := $(BIN)/commandsim

GO_SOURCES := $(shell find . -name '*.go' -not -path './.cache/*' -not -path './tools/*') go.mod go.sum

# staticcheck is run at a pinned version through `go run` (downloaded once into the module cache);
# 0.8.x understands Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build vault check test unit-test compat-test bench bench-go demo dev fmt clean

all: build

## build: the plugin into bin/keyfactor and the simulator into bin/commandsim
build: $(PLUGIN_BIN) $(COMMANDSIM_BIN)

$(PLUGIN_BIN): $(GO_SOURCES)
	$(GO) build -trimpath -o $@ ./cmd/keyfactor

$(COMMANDSIM_BIN): $(GO_SOURCES)
	$(GO) build -trimpath -o $@ ./cmd/commandsim

## vault: a real Vault server from github.com/hashicorp/vault v1.21.0 (slow once, cached after)
vault: $(VAULT_BIN)

$(VAULT_BIN): tools/vault/go.mod tools/vault/go.sum tools/vault/main.go
	cd tools/vault && $(GO) build -trimpath -ldflags "-s -w" -o $@ .

## check: gofmt, go vet and staticcheck over both modules; fails on any finding
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd compat_test && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

## test: the checks, unit tests (race detector on), then the compatibility and end-to-end suite on a real Vault
test: check unit-test compat-test

unit-test:
	$(GO) test -race -count=1 ./...

compat-test: build vault
	cd compat_test && $(GO) test -count=1 -timeout 45m ./...

## bench: native PKI vs this plugin vs Command alone on a real Vault, side by side (about 5
## minutes on 2 cores); prints a Markdown table and writes it as JSON to $(BENCH_JSON).
## BENCH_SCALE=full also times LIST certs/ at 100,000 records (fills them through Vault: slow).
## Speed goals are measured here, never asserted in tests.
BENCH_JSON  ?= $(BIN)/bench.json
BENCH_SCALE ?= default
BENCH_FLAGS ?=
ifeq ($(BENCH_SCALE),full)
BENCH_SCALE_FLAGS := -list-sizes 10000,100000
endif
bench: build vault
	cd compat_test && $(GO) run ./cmd/bench -json $(BENCH_JSON) $(BENCH_SCALE_FLAGS) $(BENCH_FLAGS)

## bench-go: the Go microbenchmarks (driver, simulator, engine)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## demo: simulator + Vault dev + plugin, configure, issue one certificate, print it, stop everything
demo: build vault
	cd compat_test && $(GO) run ./cmd/devenv -mode demo

## dev: the same environment left running; prints VAULT_ADDR/VAULT_TOKEN and commands to try
dev: build vault
	cd compat_test && $(GO) run ./cmd/devenv -mode dev

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
