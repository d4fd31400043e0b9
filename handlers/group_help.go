package handlers

import (
	"context"
	"strings"

	"cadrebot/i18n"
)

// Help answers /start and /help: what the bot is in a private chat, and
// the command list in a group, in the group's language. In a group whose
// plain messages the bot cannot see, it says to check in with /checkin.
func Help(out Sender, texts Texts, menu []string, sight Sight) Func {
	return func(ctx context.Context, u *Update) error {
		if u.IsPrivate() {
			return Reply(ctx, out, u, texts.T(u.Lang, "help_private"))
		}
		lines := make([]string, 0, len(menu))
		for _, c := range menu {
			lines = append(lines, texts.T(u.Lang, "help_line", i18n.Args{"Cmd": c, "Desc": i18n.HTML(texts.T(u.Lang, "cmd_"+c))}))
		}
		village := ""
		if u.Group != nil {
			village = u.Group.Village
		}
		text := texts.T(u.Lang, "help_group", i18n.Args{"Village": village, "Commands": i18n.HTML(strings.Join(lines, "\n"))})
		if note := privacyNote(ctx, sight, texts, u, u.Group); note != "" {
			text += "\n\n" + texts.T(u.Lang, "help_blind")
		}
		return Reply(ctx, out, u, text)
	}
}
