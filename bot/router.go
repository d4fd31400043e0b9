package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"cadrebot"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// RouterConfig is what the router needs from the deployment config.
type RouterConfig struct {
	BotUsername   string
	Lang          string
	Location      *time.Location
	Approval      bool
	ApprovedChats []int64
	FloodCommands int
	FloodWindow   time.Duration
	Now           func() time.Time
}

// Router turns a raw update into a handlers.Update and runs its route. It
// is go-telegram/bot's default handler: the library's ProcessUpdate calls
// it for every update we hand over.
type Router struct {
	cfg      RouterConfig
	routes   Routes
	db       *store.DB
	out      *Sender
	texts    *i18n.Catalog
	auth     *Auth
	log      *slog.Logger
	metrics  *Metrics
	approved map[int64]bool

	floodMu sync.Mutex
	flood   map[int64]*floodState
}

type floodState struct {
	l      *rate.Limiter
	warned time.Time
	seen   time.Time
}

// NewRouter builds the router.
func NewRouter(cfg RouterConfig, routes Routes, db *store.DB, out *Sender, texts *i18n.Catalog, auth *Auth, log *slog.Logger, m *Metrics) *Router {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Router{cfg: cfg, routes: routes, db: db, out: out, texts: texts, auth: auth, log: log, metrics: m,
		approved: map[int64]bool{}, flood: map[int64]*floodState{}}
	for _, c := range cfg.ApprovedChats {
		r.approved[c] = true
	}
	return r
}

// Handle is the tgbot.HandlerFunc for every update.
func (r *Router) Handle(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	start := time.Now()
	kind := updateType(upd)
	defer func() { r.metrics.HandlerLatency.WithLabelValues(kind).Observe(time.Since(start).Seconds()) }()

	u, ok := r.digest(upd)
	if !ok {
		r.metrics.Updates.WithLabelValues(kind, "").Inc()
		return
	}
	r.metrics.Updates.WithLabelValues(kind, r.commandLabel(u.Command)).Inc()

	in, err := r.db.Admit(ctx, upd.ID, u.ChatID, u.IsGroup(), chatTitle(upd), u.Now)
	if err != nil {
		r.fail(ctx, u, err)
		return
	}
	if in.Duplicate {
		r.metrics.Duplicates.Inc()
		return
	}
	if in.MovedTo != 0 {
		// A late update for a group that became a supergroup.
		u.ChatID = in.MovedTo
		if g, err := r.db.Group(ctx, in.MovedTo); err == nil {
			in.Group = g
		}
	}
	u.Group = in.Group
	r.localize(ctx, u)

	if err := r.route(ctx, u); err != nil {
		r.fail(ctx, u, err)
	}
	if u.Callback != nil && !u.Answered {
		if err := r.out.Answer(ctx, u.Callback.ID, "", false); err != nil {
			r.log.Warn("answer callback", "err", err)
		}
	}
}

// commandLabel keeps the metric's label set bounded: users can type any
// "/word", so only known commands get their own series.
func (r *Router) commandLabel(cmd string) string {
	if cmd == "" || r.routes.Commands[cmd] != nil {
		return cmd
	}
	return "unknown"
}

// digest extracts what handlers need, or reports that the update is to be
// ignored (channel posts, other bots, kinds we do not handle).
func (r *Router) digest(upd *models.Update) (*handlers.Update, bool) {
	u := &handlers.Update{ID: upd.ID, Raw: upd, Now: r.cfg.Now(), Loc: r.cfg.Location}
	switch {
	case upd.Message != nil:
		m := upd.Message
		if isMigration(m) {
			// Handled whoever announces it: an anonymous admin's upgrade
			// comes from the group itself (sender_chat) by way of
			// GroupAnonymousBot, which the rule below drops.
			u.Msg, u.ChatID, u.ChatType = m, m.Chat.ID, string(m.Chat.Type)
			if m.From != nil {
				u.From = *m.From
			}
			return u, true
		}
		if m.From == nil || m.SenderChat != nil || (m.From.IsBot && len(m.NewChatMembers) == 0 && m.LeftChatMember == nil) {
			return nil, false
		}
		u.Msg, u.From, u.ChatID, u.ChatType = m, *m.From, m.Chat.ID, string(m.Chat.Type)
		u.ThreadID = topicOf(m)
		text := m.Text
		ents := m.Entities
		if text == "" {
			text, ents = m.Caption, m.CaptionEntities
		}
		u.Command, u.Args = parseCommand(text, ents, r.cfg.BotUsername)
		if u.Command == "-" {
			return nil, false // a command for another bot
		}
	case upd.CallbackQuery != nil:
		cq := upd.CallbackQuery
		if cq.From.IsBot {
			return nil, false
		}
		u.Callback, u.From = cq, cq.From
		if pm := cq.Message.Message; pm != nil {
			u.ChatID, u.ChatType = pm.Chat.ID, string(pm.Chat.Type)
			u.ThreadID = topicOf(pm)
		} else {
			u.ChatID, u.ChatType = cq.From.ID, "private"
		}
	default:
		return nil, false
	}
	return u, true
}

// parseCommand returns the command and its arguments, "" for plain text,
// or "-" for a command addressed to another bot.
func parseCommand(text string, ents []models.MessageEntity, botName string) (string, string) {
	if !strings.HasPrefix(text, "/") {
		return "", strings.TrimSpace(text)
	}
	isCmd := len(ents) == 0 // tolerate clients that send no entities
	for _, e := range ents {
		if e.Type == models.MessageEntityTypeBotCommand && e.Offset == 0 {
			isCmd = true
		}
	}
	if !isCmd {
		return "", strings.TrimSpace(text)
	}
	word, rest, _ := strings.Cut(text[1:], " ")
	if nl := strings.IndexByte(word, '\n'); nl >= 0 {
		word, rest = word[:nl], word[nl+1:]+" "+rest
	}
	cmd, at, addressed := strings.Cut(word, "@")
	if addressed && botName != "" && !strings.EqualFold(at, botName) {
		return "-", ""
	}
	return strings.ToLower(cmd), strings.TrimSpace(rest)
}

func (r *Router) localize(ctx context.Context, u *handlers.Update) {
	u.Lang = r.cfg.Lang
	if u.Group != nil {
		if u.Group.Lang != "" {
			u.Lang = u.Group.Lang
		}
		u.Loc = u.Group.Location(r.cfg.Location)
		return
	}
	if l := i18n.Normalize(u.From.LanguageCode); l != "" {
		u.Lang = l
	}
	if st, err := r.db.UserState(ctx, u.From.ID); err == nil && st.Lang != "" {
		u.Lang = st.Lang
	}
}

func (r *Router) route(ctx context.Context, u *handlers.Update) error {
	if u.Msg != nil && u.IsGroup() {
		if handled, err := r.service(ctx, u); handled || err != nil {
			return err
		}
	}
	if u.IsPrivate() && u.Msg != nil {
		// Any private message proves the user started the bot, so DMs
		// (exports, reminders) can reach them.
		if err := r.db.SetUser(ctx, u.From.ID, "started", "1"); err != nil {
			return err
		}
	}
	if !r.allowed(u) {
		if u.Command != "" && r.routes.Commands[u.Command] != nil {
			return handlers.Reply(ctx, r.out, u, r.texts.T(u.Lang, "not_approved"))
		}
		return nil
	}
	if (u.Command != "" || u.Callback != nil) && !r.admitFlood(ctx, u) {
		return nil
	}
	switch {
	case u.Callback != nil:
		prefix, _, _ := strings.Cut(u.Callback.Data, ":")
		if h := r.routes.Callbacks[prefix]; h != nil {
			return h(ctx, u)
		}
		return cadrebot.Errorf("err_stale_button")
	case u.Command != "":
		if h := r.routes.Commands[u.Command]; h != nil {
			return h(ctx, u)
		}
		return handlers.Reply(ctx, r.out, u, r.texts.T(u.Lang, "unknown_command", i18n.Args{"Cmd": u.Command}))
	}
	for _, h := range r.routes.Intercept {
		if done, err := h(ctx, u); done || err != nil {
			return err
		}
	}
	switch {
	case u.Msg.Location != nil && r.routes.Location != nil:
		return r.routes.Location(ctx, u)
	case len(u.Msg.Photo) > 0 && r.routes.Photo != nil:
		return r.routes.Photo(ctx, u)
	case u.Args != "":
		for _, h := range r.routes.Text {
			if done, err := h(ctx, u); done || err != nil {
				return err
			}
		}
	}
	return nil
}

// topicOf is the forum topic m was posted in, or 0. Only a topic message
// counts: in other supergroups a reply carries the id of its reply thread
// in message_thread_id, which Telegram refuses as a send's thread.
func topicOf(m *models.Message) int {
	if m.IsTopicMessage {
		return m.MessageThreadID
	}
	return 0
}

// isMigration reports whether m announces a group's upgrade to a
// supergroup, in the old chat or in the new one.
func isMigration(m *models.Message) bool { return m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 }

// service handles group service messages: roster changes and migration.
func (r *Router) service(ctx context.Context, u *handlers.Update) (bool, error) {
	m := u.Msg
	// Migrations name the chat the message was posted in, not u.ChatID:
	// once the move is recorded, the intake points u.ChatID of a late
	// update of the old chat at the new one.
	switch {
	case m.MigrateToChatID != 0:
		return true, r.migrate(ctx, m.Chat.ID, m.MigrateToChatID)
	case m.MigrateFromChatID != 0:
		return true, r.migrate(ctx, m.MigrateFromChatID, m.Chat.ID)
	case len(m.NewChatMembers) > 0 || m.LeftChatMember != nil:
		if r.routes.Members != nil {
			return true, r.routes.Members(ctx, u)
		}
		return true, nil
	}
	return false, nil
}

// migrate merges the old group into its supergroup. Both announcements
// call it, in either order or at once: MigrateGroup is idempotent and
// serializes runs for one chat.
func (r *Router) migrate(ctx context.Context, from, to int64) error {
	if from == to {
		return nil
	}
	if err := r.db.MigrateGroup(ctx, from, to); err != nil {
		return fmt.Errorf("migrate group %d to %d: %w", from, to, err)
	}
	r.log.Info("group migrated to supergroup", "from", from, "to", to)
	return nil
}

func (r *Router) allowed(u *handlers.Update) bool {
	if !r.cfg.Approval || !u.IsGroup() || r.approved[u.ChatID] || (u.Group != nil && u.Group.Approved) {
		return true
	}
	// /approve itself must get through; its handler checks who sends it.
	return r.routes.Open[u.Command] || u.Command == "approve"
}

// admitFlood applies per-user flood control: past the limit the user gets
// one "slow down" per window and the rest is dropped and counted.
func (r *Router) admitFlood(ctx context.Context, u *handlers.Update) bool {
	if r.cfg.FloodCommands <= 0 {
		return true
	}
	now := time.Now()
	r.floodMu.Lock()
	st, ok := r.flood[u.From.ID]
	if !ok {
		every := r.cfg.FloodWindow / time.Duration(r.cfg.FloodCommands)
		st = &floodState{l: rate.NewLimiter(rate.Every(every), r.cfg.FloodCommands)}
		r.flood[u.From.ID] = st
		if len(r.flood) > 100000 {
			for k, v := range r.flood {
				if now.Sub(v.seen) > r.cfg.FloodWindow {
					delete(r.flood, k)
				}
			}
		}
	}
	st.seen = now
	allow := st.l.AllowN(now, 1)
	warn := !allow && now.Sub(st.warned) > r.cfg.FloodWindow
	if warn {
		st.warned = now
	}
	r.floodMu.Unlock()
	if allow {
		return true
	}
	r.metrics.FloodDropped.Inc()
	if warn {
		if u.Callback != nil {
			_ = r.out.Answer(ctx, u.Callback.ID, i18n.Plain(r.texts.T(u.Lang, "slow_down")), true)
			u.Answered = true
		} else if err := handlers.Reply(ctx, r.out, u, r.texts.T(u.Lang, "slow_down")); err != nil {
			r.log.Warn("flood answer", "err", err)
		}
	}
	return false
}

// fail is the one place an error becomes what the user sees and a log
// line: user errors are explained, outages are "try again later", and
// anything else is "internal error" with a reference to the log.
func (r *Router) fail(ctx context.Context, u *handlers.Update, err error) {
	var ue *cadrebot.Error
	var text string
	switch {
	case errors.As(err, &ue):
		r.metrics.HandlerErrors.WithLabelValues("user").Inc()
		text = r.texts.T(u.Lang, ue.MsgID, ue.Args)
	case errors.Is(err, cadrebot.ErrUnavailable):
		r.metrics.HandlerErrors.WithLabelValues("unavailable").Inc()
		r.metrics.RedisErrors.Inc()
		r.log.Error("storage unavailable", "update_id", u.ID, "err", err)
		text = r.texts.T(u.Lang, "unavailable")
	default:
		r.metrics.HandlerErrors.WithLabelValues("internal").Inc()
		r.log.Error("handler failed", "update_id", u.ID, "command", u.Command, "err", err)
		text = r.texts.T(u.Lang, "error_internal_ref", i18n.Args{"Ref": fmt.Sprint(u.ID)})
	}
	if u.Lang == "" {
		u.Lang = r.cfg.Lang
	}
	if u.Callback != nil {
		if !u.Answered {
			_ = r.out.Answer(ctx, u.Callback.ID, i18n.Plain(text), true)
			u.Answered = true
		}
		return
	}
	if u.Msg == nil || (u.Command == "" && ue == nil && !errors.Is(err, cadrebot.ErrUnavailable)) {
		return
	}
	if _, serr := r.out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: u.Msg.ID}); serr != nil {
		r.log.Warn("error answer not delivered", "err", serr)
	}
}

func updateType(u *models.Update) string {
	switch {
	case u.Message != nil:
		m := u.Message
		switch {
		case len(m.NewChatMembers) > 0 || m.LeftChatMember != nil || m.MigrateToChatID != 0 || m.MigrateFromChatID != 0:
			return "service"
		case m.Location != nil:
			return "location"
		case len(m.Photo) > 0:
			return "photo"
		case strings.HasPrefix(m.Text, "/"):
			return "command"
		}
		return "message"
	case u.CallbackQuery != nil:
		return "callback"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.MyChatMember != nil:
		return "my_chat_member"
	}
	return "other"
}

func chatTitle(u *models.Update) string {
	if u.Message != nil {
		return u.Message.Chat.Title
	}
	return ""
}
