package bot

import (
	"context"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"cadrebot/i18n"
)

// SetCommands publishes the "/" menu: the deployment language as the
// default, and each catalog language for users whose app uses it.
func SetCommands(ctx context.Context, tg *tgbot.Bot, menu []string, texts *i18n.Catalog, deflang string) error {
	build := func(lang string) []models.BotCommand {
		out := make([]models.BotCommand, 0, len(menu))
		for _, c := range menu {
			out = append(out, models.BotCommand{Command: c, Description: i18n.Plain(texts.T(lang, "cmd_"+c))})
		}
		return out
	}
	if _, err := tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: build(deflang)}); err != nil {
		return fmt.Errorf("setMyCommands: %w", err)
	}
	for _, lang := range i18n.Languages {
		if _, err := tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: build(lang), LanguageCode: lang}); err != nil {
			return fmt.Errorf("setMyCommands %s: %w", lang, err)
		}
	}
	return nil
}
