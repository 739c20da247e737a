# Build, test and demo entry points. Everything a fresh machine needs beyond Go is built here:
# the plugin, the Command simulator, and a real Vault server from the Vault Go module.

GO        ?= go
BIN       := $(CURDIR)/bin

# The Vault versions the plugin is tested on, newest first (README: "Supported Vault versions").
# Each is built from its own module in tools/vault/<version>/ into .cache/vault/<version>/bin/vault.
# VAULT_VERSION is the one `make test`, the demo and `make dev` run: the newest unless overridden
# (`make compat-test VAULT_VERSION=1.19.5`).
VAULT_VERSIONS ?= 1.21.0 1.19.5
VAULT_VERSION  ?= $(firstword $(VAULT_VERSIONS))
VAULT_CACHE    := $(CURDIR)/.cache/vault
vault_bin       = $(VAULT_CACHE)/$(1)/bin/vault
VAULT_BIN      := $(call vault_bin,$(VAULT_VERSION))

# The binaries the end-to-end tests and the demo start (read by compat_test/realvault).
export VAULT_BIN
export PLUGIN_BIN     := $(BIN)/keyfactor
export COMMANDSIM_BIN := $(BIN)/commandsim

GO_SOURCES := $(shell find . -name '*.go' -not -path './.cache/*' -not -path './tools/*') go.mod go.sum

# staticcheck is run at a pinned version through `go run` (downloaded once into the module cache);
# 0.8.x understands Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build release vault check test test-all-versions compat-test-older-versions unit-test compat-test test-ha bench bench-go fuzz demo dev fmt clean

all: build

## build: the plugin into bin/keyfactor and the simulator into bin/commandsim
build: $(PLUGIN_BIN) $(COMMANDSIM_BIN)

# The version the plugin reports to Vault: the git tag (`git describe --tags`, e.g. v1.2.0 or
# v1.2.0-3-gabc1234 after a tag), v0.0.0-dev without one. Both are semantic versions, as Vault needs.
PLUGIN_VERSION ?= $(shell git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' 2>/dev/null || echo v0.0.0-dev)
PLUGIN_LDFLAGS := -X main.version=$(PLUGIN_VERSION)

$(PLUGIN_BIN): $(GO_SOURCES)
	$(GO) build -trimpath -ldflags "$(PLUGIN_LDFLAGS)" -o $@ ./cmd/keyfactor

## release: the plugin for linux, darwin and windows on amd64 and arm64 into dist/: binaries, one
## archive each and SHA256SUMS (reproducible: the same commit and Go version give the same sums)
release:
	$(GO) run ./tools/release -out dist -version $(PLUGIN_VERSION) \
		-mtime $$(git log -1 --format=%ct 2>/dev/null || echo 315532800)

$(COMMANDSIM_BIN): $(GO_SOURCES)
	$(GO) build -trimpath -o $@ ./cmd/commandsim

## vault: a real Vault server for each of VAULT_VERSIONS from github.com/hashicorp/vault (slow once, cached after)
vault: $(foreach v,$(VAULT_VERSIONS),$(call vault_bin,$(v)))

$(VAULT_CACHE)/%/bin/vault: tools/vault/%/go.mod tools/vault/%/go.sum tools/vault/%/main.go
	cd tools/vault/$* && $(GO) build -trimpath -ldflags "-s -w" -o $@ .

## check: gofmt, go vet and staticcheck over both modules; fails on any finding
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd compat_test && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

## test: the checks, unit tests (race detector on), then the compatibility and end-to-end suite on a real Vault
test: check unit-test compat-test

# The timeout covers a cold build cache: tools/release's reproducibility test compiles the whole
# plugin (CGO off, as released) twice, which took over 10 minutes (go test's default) on 2 busy cores.
unit-test:
	$(GO) test -race -count=1 -timeout 30m ./...

compat-test: build $(VAULT_BIN)
	cd compat_test && $(GO) test -count=1 -timeout 45m ./...

## test-ha: the plugin on a three-node Vault Raft cluster: the active node killed under load (takes minutes)
test-ha: build $(VAULT_BIN)
	cd compat_test && $(GO) vet -tags ha ./... && $(GO) test -tags ha -count=1 -timeout 30m -v -run '^TestRaftHA' .

## test-all-versions: what CI (.ci/run) runs: `make test` on the newest Vault, the Raft HA test,
## then the compatibility and end-to-end suite on each older one of VAULT_VERSIONS
test-all-versions: test test-ha compat-test-older-versions

compat-test-older-versions:
	set -e; for v in $(wordlist 2,$(words $(VAULT_VERSIONS)),$(VAULT_VERSIONS)); do \
		$(MAKE) --no-print-directory compat-test VAULT_VERSION=$$v; done

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
bench: build $(VAULT_BIN)
	cd compat_test && $(GO) run ./cmd/bench -json $(BENCH_JSON) $(BENCH_SCALE_FLAGS) $(BENCH_FLAGS)

## bench-go: the Go microbenchmarks (driver, simulator, engine)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: every Fuzz target of the packages that parse foreign input, FUZZTIME each (see
## tools/fuzz.sh; minimizing a new input is capped so it cannot eat the whole FUZZTIME).
## Findings land in the package's testdata/fuzz and replay in every go test.
FUZZTIME     ?= 20s
FUZZFLAGS    ?= -parallel=2 -fuzzminimizetime=200x
FUZZ_PACKAGES := ./pkicompat ./driver/keyfactor

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZFLAGS="$(FUZZFLAGS)" sh tools/fuzz.sh $(FUZZ_PACKAGES)

## demo: simulator + Vault dev + plugin, configure, issue one certificate, print it, stop everything
demo: build $(VAULT_BIN)
	cd compat_test && $(GO) run ./cmd/devenv -mode demo

## dev: the same environment left running; prints VAULT_ADDR/VAULT_TOKEN and commands to try
dev: build $(VAULT_BIN)
	cd compat_test && $(GO) run ./cmd/devenv -mode dev

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) dist
