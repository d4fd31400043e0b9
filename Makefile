# `make test` is the one test command: the README gives it and .ci/run
# calls it. It starts a local Redis when none answers at REDIS_URL, and
# installs headless Chromium for the playground's browser test.
GO ?= go
PKGS ?= ./...
TESTFLAGS ?= -race -count=1 -timeout 30m

.PHONY: test test-short vet bench build run fault

test: vet
	./scripts/ensure-redis.sh
	./scripts/ensure-chromium.sh
	$(GO) test $(TESTFLAGS) $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o cadrebot ./cmd/cadrebot

run:
	$(GO) run ./cmd/cadrebot

bench:
	./scripts/ensure-redis.sh
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
