// Command cadrebot runs the cadrebot Telegram bot. Configuration comes
// from the environment and an optional YAML file (docs/configuration.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	// Minimal container images ship no zoneinfo.
	_ "time/tzdata"

	"cadrebot/app"
	"cadrebot/config"
)

// defaultMemoryLimit is the Go heap's soft limit when GOMEMLIMIT is not
// set. Under a burst (40,000 check-ins offered at once) the heap would
// otherwise grow to twice what is live before a collection; the limit
// makes the collector run sooner instead, which keeps the process near
// 56 MiB for some CPU (docs/benchmarks.md: 40 MiB held it at 59-62 MiB
// for 5% more check-ins a second). GOMEMLIMIT overrides it, and
// GOMEMLIMIT=off lifts it.
const defaultMemoryLimit = 36 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr))
}

// exitConfig is the status for bad configuration, so supervisors can tell
// "fix the config" from "crashed".
const exitConfig = 2

// run is main without process globals, so tests start the real program.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[1] == "healthcheck" {
		return healthcheck(getenv, stderr)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	log := newLogger(cfg.Env.LogFormat, cfg.Env.LogLevel, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	if cfg.Env.Token == "" {
		return playground(ctx, cfg, log, stdout, stderr)
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "cadrebot:", err)
		return exitConfig
	}
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("cadrebot stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(format, level string, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// healthcheck is `cadrebot healthcheck`: the container image has no curl,
// so the binary probes its own /healthz.
func healthcheck(getenv func(string) string, stderr io.Writer) int {
	addr := getenv("CADREBOT_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}
