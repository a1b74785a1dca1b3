# Yitu — make run: set up and serve the demo city; make test: every test. See README.md.
SHELL := /bin/bash
GO ?= go
BIN ?= bin/yitu
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-unknown)
LDFLAGS := -X main.version=$(VERSION)
PG := scripts/pg
export YITU_TEST_DATABASE_URL ?= $(shell $(PG) url yitu_test)

.PHONY: all setup build binary frontend run test bench loadtest fuzz lint clean

all: build

setup: ## Debian packages and Go modules the build, the server and the tests need
	scripts/setup
	$(GO) mod download
	@[ -d twin/glb/validator/node_modules/gltf-validator ] || (cd twin/glb/validator && npm ci --no-audit --no-fund)
	@[ -d tiles/testdata/js/node_modules ] || npm ci --prefix tiles/testdata/js --no-audit --no-fund --silent

frontend: ## build the viewer into frontend/dist (embedded in the binary); npm ci only when the lockfile changed
	@cd frontend && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	cd frontend && npm run --silent build

build: frontend binary

binary: ## the Go binary alone, version-stamped
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/yitu

run: setup build ## start PostGIS and Mosquitto, migrate, (load the demo city), serve on :8080 and bring the city to life
	$(PG) start
	scripts/mqtt start
	$(BIN) migrate up
	$(BIN) demo --if-empty
	$(BIN) serve & srv=$$!; $(BIN) demo simulate & sim=$$!; \
	  trap 'kill -INT $$srv $$sim 2>/dev/null' INT TERM; wait $$srv; kill -INT $$sim 2>/dev/null; wait

test: setup frontend lint ## lint, unit, integration (real PostGIS), golden and browser tests, then every fuzz target briefly
	$(PG) start
	cd frontend && npm run --silent test
	$(GO) test -race -count=1 -timeout 45m ./...
	docker-compose -f docker-compose.yml config -q
	FUZZTIME=$(CI_FUZZTIME) FUZZMINIMIZETIME=200x GO=$(GO) scripts/fuzz

bench: setup build ## benchmarks that print their figures (features side by side with pg_featureserv, tiles with tegola)
	$(PG) start
	PG_FEATURESERV="$$(scripts/pg-featureserv || true)" $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...
	BIN=$(BIN) scripts/bench-tiles

LOADTIME ?= 60s
loadtest: setup build ## tiles, features, search and live ingest together for LOADTIME against the demo, attacks alongside
	$(PG) start
	$(GO) run ./internal/loadtest --yitu $(BIN) --duration $(LOADTIME)

FUZZTIME ?= 30s
CI_FUZZTIME ?= 2000x
fuzz: ## run every native fuzz target for FUZZTIME each (make test: CI_FUZZTIME each)
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz

lint: ## gofmt, go vet and staticcheck (pinned; skipped only when the module proxy cannot be reached)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1; then \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; \
	else echo "staticcheck did not install from the module proxy; skipped"; fi

clean:
	rm -rf bin
	find frontend/dist -mindepth 1 -not -name .gitkeep -delete
