package bot

import (
	"context"

	"cadrebot"
)

// Sight tells whether the bot sees a group's plain messages. Telegram's
// privacy mode, on by default, hides them from a bot that is not an admin
// of the group: then "打卡" typed as plain text never arrives, and the
// group must be told to use /checkin.
type Sight struct {
	// ReadsAll is getMe's can_read_all_group_messages: privacy mode off.
	ReadsAll bool
	BotID    int64
	Auth     *Auth
	Store    interface {
		UpdateGroup(ctx context.Context, chat int64, p cadrebot.GroupPatch) error
	}
}

// SeesAll reports whether the bot gets every message in g. The bot's
// status comes from the group record, kept up to date by my_chat_member
// updates; a group that never said is asked once (getChatMember) and the
// answer kept.
func (s *Sight) SeesAll(ctx context.Context, g *cadrebot.Group) (bool, error) {
	if s.ReadsAll {
		return true, nil
	}
	if admin, known := g.BotAdmin(); known {
		return admin, nil
	}
	admin, err := s.Auth.IsGroupAdmin(ctx, g.ChatID, s.BotID)
	if err != nil {
		return false, err
	}
	st := "member"
	if admin {
		st = "administrator"
	}
	g.BotStatus = st
	return admin, s.Store.UpdateGroup(ctx, g.ChatID, cadrebot.GroupPatch{BotStatus: &st})
}
