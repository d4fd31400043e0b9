// Package handlers holds what cadrebot does with an update and at a
// scheduled time, in file groups by feature, each file one part of it:
// checkin_* (check-ins, the board, leave, reminders, schedules),
// problem_* (reports, cards, the lifecycle, queries, sweeps), digest_*
// (weekly digests, /stats, /digest, /export), group_* (setup, binding,
// the roster, help) and dashboard.go (/dashboard, which opens the leaders'
// dashboard; its pages are package dashboard). update*.go is what they share: the digested update,
// the small interfaces they need and the button checks. A handler returns
// its error, and one adapter in bot/ turns errors into localized answers;
// app/routes.go names every entry point.
package handlers

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Update is one incoming Telegram update, digested for handlers.
type Update struct {
	ID       int64
	Raw      *models.Update
	Msg      *models.Message       // nil for callback queries
	Callback *models.CallbackQuery // nil for messages
	ChatID   int64
	ChatType string // "private", "group", "supergroup"
	// ThreadID is the forum topic the update belongs to: the topic of a
	// message posted in one, or of the message whose button was pressed;
	// 0 elsewhere. Answers carry it (send.Message.ThreadID) so that they
	// land in the topic. Replies in ordinary groups have a
	// message_thread_id too (their reply thread); that is no topic and
	// leaves ThreadID 0, since Telegram refuses it as a send's thread.
	ThreadID int
	From     models.User
	// Command is the lower-case command without "/" and "@bot"; Args is
	// the rest of the text, trimmed.
	Command string
	Args    string
	Group   *cadrebot.Group // the group, for group chats
	Lang    string          // the language to answer in
	Now     time.Time
	Loc     *time.Location // the chat's time zone
	// NoForms is set when the intake found no form (dialog or pending
	// card action) of the sender open in this chat: the form reads can be
	// skipped.
	NoForms bool
	// Form is the sender's form that the intake read along for a dialog's
	// button (bot.Routes.Forms), current at the update's turn; nil when it
	// was not read. TakeForm hands it out once.
	Form *FormRead
	// Answered is set once the callback query has been answered, so the
	// router does not answer it a second time.
	Answered bool
	// Work is what the update still runs after its handler returned (a
	// check-in's reaction). The intake counts the update as finished, and
	// lets Telegram forget it, only once that is done too.
	Work *Work
}

// Go runs fn in the background as part of the update (see Work); without
// a Work it runs fn before returning.
func (u *Update) Go(fn func()) {
	if u.Work == nil {
		fn()
		return
	}
	u.Work.Go(fn)
}

// Work tracks an update's background work, and whether the update must
// be handled again. The update is finished once its handler has returned
// (Done) and everything it started with Go has ended, whichever comes
// last; the last of them calls finish, so no goroutine waits for the rest.
type Work struct {
	kept    atomic.Bool
	pending atomic.Int32 // the handler and each fn started with Go, until it ends
	spawn   func(func())
	finish  func(kept bool)
}

// NewWork tracks an update whose handler is about to run. spawn starts
// background work (a go statement, or a pool's worker whose stack has
// already grown); finish is called once, as described on Work.
func NewWork(spawn func(func()), finish func(kept bool)) *Work {
	w := &Work{spawn: spawn, finish: finish}
	w.pending.Store(1)
	return w
}

// Keep leaves the update in the inbox to be handled again later: it could
// not be handled now (Redis went away mid-way).
func (w *Work) Keep() { w.kept.Store(true) }

// Kept reports whether Keep was called.
func (w *Work) Kept() bool { return w.kept.Load() }

// Go runs fn in the background as part of the update.
func (w *Work) Go(fn func()) {
	w.pending.Add(1)
	w.spawn(func() {
		// Deferred, so that a panicking fn still finishes the update.
		defer w.release()
		fn()
	})
}

// Done says the handler has returned.
func (w *Work) Done() { w.release() }

func (w *Work) release() {
	if w.pending.Add(-1) == 0 {
		w.finish(w.kept.Load())
	}
}

// IsGroup reports whether the update comes from a group chat.
func (u *Update) IsGroup() bool { return u.ChatType == "group" || u.ChatType == "supergroup" }

// IsPrivate reports whether the update comes from a private chat.
func (u *Update) IsPrivate() bool { return u.ChatType == "private" }

// MessageID is the id of the message the update carries, or of the
// message whose button was pressed.
func (u *Update) MessageID() int {
	if u.Msg != nil {
		return u.Msg.ID
	}
	if u.Callback != nil && u.Callback.Message.Message != nil {
		return u.Callback.Message.Message.ID
	}
	return 0
}

// ReplyTarget returns the message the user replied to, or nil. In a forum
// topic, Telegram sets reply_to_message on every message that replies to
// nothing to the topic's first message (its forum_topic_created service
// message): that is no reply, and taking it for one would pick whoever
// opened the topic as "this person". Use it wherever a reply names
// someone.
func ReplyTarget(u *Update) *models.Message {
	if u.Msg == nil || u.Msg.ReplyToMessage == nil {
		return nil
	}
	r := u.Msg.ReplyToMessage
	if u.Msg.IsTopicMessage && (r.ForumTopicCreated != nil || r.ID == u.Msg.MessageThreadID) {
		return nil
	}
	return r
}

// Func handles an update.
type Func func(ctx context.Context, u *Update) error

// Sender is the one way out to Telegram. Implemented by bot.Sender.
type Sender interface {
	// Send delivers now and returns the id of the (last) message sent.
	Send(ctx context.Context, m send.Message) (int, error)
	// Enqueue hands a message that is not a direct reply to the durable
	// outbox; it is sent later, at most once per Key.
	Enqueue(ctx context.Context, m send.Message) error
	Edit(ctx context.Context, chat int64, msgID int, text string, kb [][]send.Button) error
	React(ctx context.Context, chat int64, msgID int, emoji string) error
	Answer(ctx context.Context, callbackID, text string, alert bool) error
}

// Texts renders catalog messages (i18n.Catalog).
type Texts interface {
	T(lang, id string, args ...i18n.Args) string
}

// Auth answers who a user is in a chat. Implementations cache briefly.
type Auth interface {
	IsGroupAdmin(ctx context.Context, chat, user int64) (bool, error)
	IsChatMember(ctx context.Context, chat, user int64) (bool, error)
	IsDeploymentAdmin(user int64) bool
}

// Poster is the part of Sender that Reply needs.
type Poster interface {
	Send(ctx context.Context, m send.Message) (int, error)
}

// Reply answers the update in its chat (and forum topic), as a reply to
// its message.
func Reply(ctx context.Context, out Poster, u *Update, text string, kb ...[]send.Button) error {
	_, err := out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: u.MessageID(), Buttons: kb})
	return err
}

// AnswerCallback answers the pressed button (a toast, or an alert).
func AnswerCallback(ctx context.Context, out Sender, u *Update, text string, alert bool) error {
	if u.Callback == nil || u.Answered {
		return nil
	}
	u.Answered = true
	return out.Answer(ctx, u.Callback.ID, text, alert)
}

// requireGroupAdmin returns a user error unless the sender administers the
// chat or the deployment.
func requireGroupAdmin(ctx context.Context, auth Auth, u *Update) error {
	if auth.IsDeploymentAdmin(u.From.ID) {
		return nil
	}
	ok, err := auth.IsGroupAdmin(ctx, u.ChatID, u.From.ID)
	if err != nil {
		return err
	}
	if !ok {
		return cadrebot.Errorf("err_admin_only", "Cmd", u.Command)
	}
	return nil
}

// requireGroup returns a user error outside group chats.
func requireGroup(u *Update) error {
	if !u.IsGroup() {
		return cadrebot.Errorf("err_group_only")
	}
	return nil
}

// DisplayName is how the bot names a user in lists.
func DisplayName(usr models.User) string {
	n := usr.FirstName
	if usr.LastName != "" {
		n += " " + usr.LastName
	}
	if n == "" {
		n = usr.Username
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }

// sendText is a plain message to chat.
func sendText(chat int64, text string) send.Message { return send.Message{ChatID: chat, Text: text} }

// FormRead is a form as the store keeps it: its bytes (nil: none) and the
// messages recorded with it.
type FormRead struct {
	Kind string
	Body []byte
	Msgs map[int]string
}

// TakeForm returns the form of kind the intake read for u, once: after
// the handler has written the form, the copy would be stale.
func (u *Update) TakeForm(kind string) (*FormRead, bool) {
	f := u.Form
	if f == nil || f.Kind != kind {
		return nil, false
	}
	u.Form = nil
	return f, true
}
