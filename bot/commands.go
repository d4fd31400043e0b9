package bot

import (
	"context"
	"fmt"

	"github.com/go-telegram/bot/models"

	"cadrebot/i18n"
)

// SetCommands publishes the "/" menu: the deployment language as the
// default, and each catalog language for users whose app uses it.
func SetCommands(ctx context.Context, c *Client, menu []string, texts *i18n.Catalog, deflang string) error {
	build := func(lang string) []models.BotCommand {
		out := make([]models.BotCommand, 0, len(menu))
		for _, cmd := range menu {
			out = append(out, models.BotCommand{Command: cmd, Description: i18n.Plain(texts.T(lang, "cmd_"+cmd))})
		}
		return out
	}
	if err := c.SetMyCommands(ctx, build(deflang), ""); err != nil {
		return err
	}
	for _, lang := range i18n.Languages {
		if err := c.SetMyCommands(ctx, build(lang), lang); err != nil {
			return fmt.Errorf("menu %s: %w", lang, err)
		}
	}
	return nil
}
