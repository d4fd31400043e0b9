package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"cadrebot/config"
	play "cadrebot/playground"
)

// playground runs when no token is set: the local playground, with an
// embedded fake Bot API and (unless REDIS_URL is set) an embedded Redis,
// so a fresh clone works with `go run ./cmd/cadrebot` and nothing else.
func playground(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout, stderr io.Writer) int {
	if cfg.Env.ConfigPath != "" {
		log.Warn("playground: CADREBOT_CONFIG is ignored; the playground runs its own demo config (docs/playground.md)")
	}
	err := play.Run(ctx, play.Options{Env: cfg.Env, Logger: log.With("in", "playground")}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "cadrebot:", err)
		return 1
	}
	return 0
}
