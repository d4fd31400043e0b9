package bot

import (
	"context"

	"cadrebot/handlers"
)

// Routes is the whole surface of the bot: every command, button prefix and
// message kind with its handler. cmd/cadrebot (through app) fills it; this
// type is the only list of them.
type Routes struct {
	// Commands by name; Menu lists the ones shown in Telegram's "/" menu,
	// in order, described by catalog message "cmd_<name>".
	Commands map[string]handlers.Func
	Menu     []string
	// Callbacks by the prefix of callback_data before the first ':'.
	Callbacks map[string]handlers.Func
	// Forms names, by callback prefix, the form (store.Form*) the button's
	// handler reads first: the intake reads it along with the batch, and
	// the handler finds it in Update.Form.
	Forms map[string]string
	// Intercept sees non-command messages first (dialogs in progress) and
	// reports whether it consumed them.
	Intercept []func(ctx context.Context, u *handlers.Update) (bool, error)
	// Text sees other plain text messages (for example "打卡"), in order;
	// the first that reports true consumed the message.
	Text []func(ctx context.Context, u *handlers.Update) (bool, error)
	// Location and Photo handle shared locations and photos.
	Location handlers.Func
	Photo    handlers.Func
	// Members sees roster changes: new_chat_members and left_chat_member.
	Members handlers.Func
}
