package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"cadrebot/config"
)

// playground runs when no token is set. Until the local playground exists
// it explains what is missing.
func playground(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "config: TELEGRAM_BOT_TOKEN: not set; get a token from @BotFather and export TELEGRAM_BOT_TOKEN")
	return exitConfig
}
