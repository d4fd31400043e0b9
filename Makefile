# `make test` is the one test command: the README gives it and .ci/run
# calls it. It starts a local Redis when none answers at REDIS_URL, and
# installs headless Chromium for the playground's browser test and Node.js
# for the grammY peer of scripts/bench-vs-grammy.sh (its smoke run).
GO ?= go
PKGS ?= ./...
TESTFLAGS ?= -race -count=1 -timeout 30m

.PHONY: test test-passes test-short vet bench build run fault

# CLUSTER_PKGS run a second time against a throwaway 3-master Redis
# Cluster (scripts/redis-cluster.sh starts it, sets REDIS_CLUSTER_ADDRS and
# stops it afterwards), which proves every multi-key operation of the
# end-to-end flows on Cluster. The first pass uses the cluster too, for the
# store's TestCluster.
CLUSTER_PKGS ?= ./app/ ./scheduler/

test: vet
	./scripts/ensure-redis.sh
	./scripts/ensure-chromium.sh
	./scripts/redis-cluster.sh run $(MAKE) --no-print-directory test-passes
	# The comparison with the grammY peer, a few hundred updates, so that
	# the script behind docs/benchmarks.md cannot rot.
	./scripts/bench-vs-grammy.sh -smoke

# The fault package's load tests compare latencies between phases of one
# run, so they run alone, after the rest: other packages' tests running
# beside them would weigh on one phase more than another.
test-passes:
	$(GO) test $(TESTFLAGS) $$($(GO) list $(PKGS) | grep -v '/fault$$')
	$(GO) test $(TESTFLAGS) ./fault/
	CADREBOT_TEST_REDIS=cluster $(GO) test $(TESTFLAGS) $(CLUSTER_PKGS)

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

# The fault-injection tests alone (make test runs them too): Redis restarted
# under load, the bot killed -9 mid fan-out, 429/500 storms.
fault:
	./scripts/ensure-redis.sh
	$(GO) test $(TESTFLAGS) -v ./fault/
