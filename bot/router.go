package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/metrics"
	"cadrebot/send"
	"cadrebot/store"
)

// RouterConfig is what the router needs from the deployment config.
type RouterConfig struct {
	BotUsername string
	BotID       int64
	Lang        string
	Location    *time.Location
	// FloodCommands updates per FloodWindow is what one user may have the
	// bot act on; past it their updates are dropped and they get one
	// notice.
	FloodCommands int
	FloodWindow   time.Duration
	Now           func() time.Time
	// Busy reports whether earlier updates of a chat are still waiting or
	// running in this process (Dispatcher.Busy); what the intake reads of
	// such a chat's forms may be out of date by the time its turn comes.
	Busy func(chat int64) bool
}

// RouterStore is what the router needs from Redis (store.DB).
type RouterStore interface {
	AdmitBatch(ctx context.Context, as []store.Admission) ([]store.Intake, error)
	CountFlood(ctx context.Context, user int64, window time.Duration, now time.Time) (int64, error)
	FloodNotice(ctx context.Context, user int64, quiet time.Duration) (bool, error)
	Group(ctx context.Context, chat int64) (*cadrebot.Group, error)
	UserState(ctx context.Context, user int64) (cadrebot.UserState, error)
	SetUser(ctx context.Context, user int64, kv ...string) error
	MigrateGroup(ctx context.Context, from, to int64) error
	UpdateGroup(ctx context.Context, chat int64, p cadrebot.GroupPatch) error
}

// Replier is how the router answers: error messages and button presses.
type Replier interface {
	Send(ctx context.Context, m send.Message) (int, error)
	Answer(ctx context.Context, callbackID, text string, alert bool) error
}

// Router turns a raw update into a handlers.Update and runs its route. The
// dispatcher calls Handle for every update.
type Router struct {
	cfg     RouterConfig
	routes  Routes
	db      RouterStore
	out     Replier
	texts   *i18n.Catalog
	auth    *Auth
	log     *slog.Logger
	metrics *metrics.Metrics

	// prepared holds what Prepare admitted, by update id, until Handle.
	prepared sync.Map

	// flooded remembers users this replica saw over the limit, so that a
	// dialog answer, which is counted only once a dialog takes it, is
	// dropped before it is handled.
	floodMu sync.Mutex
	flooded map[int64]time.Time
}

// NewRouter builds the router.
func NewRouter(cfg RouterConfig, routes Routes, db RouterStore, out Replier, texts *i18n.Catalog, auth *Auth, log *slog.Logger, m *metrics.Metrics) *Router {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Router{cfg: cfg, routes: routes, db: db, out: out, texts: texts, auth: auth, log: log, metrics: m,
		flooded: map[int64]time.Time{}}
}

// Handle handles one update. w collects the work the handler leaves
// running; the dispatcher finishes the update when it is done.
func (r *Router) Handle(ctx context.Context, upd *models.Update, w *handlers.Work) {
	start := time.Now()
	kind := updateType(upd)
	defer func() { r.metrics.HandlerLatency.WithLabelValues(kind).Observe(time.Since(start).Seconds()) }()

	if cm := upd.MyChatMember; cm != nil {
		r.metrics.Updates.WithLabelValues(kind, "").Inc()
		if err := r.myStatus(ctx, cm); err != nil {
			r.log.Warn("record the bot's status in a chat", "chat", cm.Chat.ID, "err", err)
			if errors.Is(err, cadrebot.ErrUnavailable) {
				w.Keep()
			}
		}
		return
	}
	var p *prepared
	if v, ok := r.prepared.LoadAndDelete(upd.ID); ok {
		p = v.(*prepared)
	} else {
		p = r.prepare(ctx, []*models.Update{upd})[0]
	}
	u := p.u
	if u == nil {
		r.metrics.Updates.WithLabelValues(kind, "").Inc()
		return
	}
	u.Work, u.Now = w, r.cfg.Now()
	r.metrics.Updates.WithLabelValues(kind, r.commandLabel(u.Command)).Inc()
	if p.err != nil {
		r.fail(ctx, u, p.err)
		return
	}
	in := p.in
	if in.MovedTo != 0 {
		// A late update for a group that became a supergroup.
		u.ChatID = in.MovedTo
		if g, err := r.db.Group(ctx, in.MovedTo); err == nil {
			in.Group = g
		}
	}
	u.Group = in.Group
	if in.MovedTo == 0 {
		u.NoForms = in.NoForms
		if in.Form != nil {
			u.Form = &handlers.FormRead{Kind: p.form, Body: in.Form.Body, Msgs: in.Form.Msgs}
		}
	}
	r.localize(ctx, u)
	if p.counted && in.Flood > int64(r.cfg.FloodCommands) {
		r.flood(ctx, u)
		return
	}

	if err := r.route(ctx, u, p.counted); err != nil {
		r.fail(ctx, u, err)
	}
	if u.Callback != nil && !u.Answered {
		if err := r.out.Answer(ctx, u.Callback.ID, "", false); err != nil {
			r.log.Warn("answer callback", "err", err)
		}
	}
}

// prepared is what Prepare learned about an update before the dispatcher
// runs it: the digested update (nil for one to ignore), whether it counts
// against flood control, and its admission.
type prepared struct {
	u       *handlers.Update
	counted bool
	form    string // the form kind admitted along (store.Admission.Form)
	in      store.Intake
	err     error
}

// Prepare says what to admit of a batch the intake is taking: their
// groups, their senders' flood counts and open forms. The intake asks
// Redis in the same round trip as it stores the batch
// (store.InboxAddAdmit) and hands the results to admitted, with the ids
// of the updates it skipped as taken before; Handle picks them up. With
// no results (the admission failed), each update is admitted at its turn.
func (r *Router) Prepare(ups []*models.Update) (as []store.Admission, admitted func(ins []store.Intake, skipped map[int64]bool)) {
	out, as, idx := r.admissions(ups, true)
	ids := make([]int64, len(ups))
	for i, u := range ups {
		ids[i] = u.ID
	}
	return as, func(ins []store.Intake, skipped map[int64]bool) {
		if len(as) > 0 && len(ins) != len(as) {
			return
		}
		r.admitted(out, idx, ins, nil)
		for i, p := range out {
			if p != nil && !skipped[ids[i]] {
				r.prepared.Store(ids[i], p)
			}
		}
	}
}

// prepare admits updates at their turn, in one round trip.
func (r *Router) prepare(ctx context.Context, ups []*models.Update) []*prepared {
	out, as, idx := r.admissions(ups, false)
	if len(as) == 0 {
		return out
	}
	ins, err := r.db.AdmitBatch(ctx, as)
	r.admitted(out, idx, ins, err)
	return out
}

func (r *Router) admitted(out []*prepared, idx []int, ins []store.Intake, err error) {
	for j, i := range idx {
		if err != nil {
			out[i].err = err
			continue
		}
		out[i].in = ins[j]
	}
}

// admissions digests a batch and lists what to admit: idx[j] is the
// update as[j] admits. early is true at the intake, before the updates'
// turn: a chat's forms are then asked about only when nothing before the
// update, in this batch or waiting in the dispatcher, could still open or
// close one.
func (r *Router) admissions(ups []*models.Update, early bool) (out []*prepared, as []store.Admission, idx []int) {
	out = make([]*prepared, len(ups))
	before := map[int64]bool{}
	for i, upd := range ups {
		if upd.MyChatMember != nil {
			continue
		}
		p := &prepared{}
		out[i] = p
		u, ok := r.parse(upd)
		if !ok {
			continue
		}
		p.u = u
		p.counted = r.cfg.FloodCommands > 0 && r.countable(u)
		// What the intake reads of a chat's forms holds at the update's
		// turn only if nothing ahead of it could change them.
		current := !early || !before[u.ChatID] && (r.cfg.Busy == nil || !r.cfg.Busy(u.ChatID))
		before[u.ChatID] = true
		a := store.Admission{Chat: u.ChatID, IsGroup: u.IsGroup(), Title: chatTitle(upd),
			User: u.From.ID, Count: p.counted, Window: r.cfg.FloodWindow, Now: u.Now}
		if current {
			a.Forms = u.IsGroup() && u.Msg != nil && u.Command == ""
			if u.Callback != nil {
				prefix, _, _ := strings.Cut(u.Callback.Data, ":")
				a.Form = r.routes.Forms[prefix]
				p.form = a.Form
			}
		}
		as = append(as, a)
		idx = append(idx, i)
	}
	return out, as, idx
}

// myStatus records the bot's own status in a chat: in a group, whether it
// is an admin (and so sees every message despite privacy mode); in a
// private chat, whether the user blocked it.
func (r *Router) myStatus(ctx context.Context, cm *models.ChatMemberUpdated) error {
	st := string(cm.NewChatMember.Type)
	if cm.NewChatMember.Type == models.ChatMemberTypeBanned {
		st = "kicked"
	}
	if r.auth != nil {
		r.auth.Forget(cm.Chat.ID, r.cfg.BotID)
	}
	if cm.Chat.Type == models.ChatTypePrivate {
		started := "1"
		if st == "kicked" || st == "left" {
			started = "0"
		}
		return r.db.SetUser(ctx, cm.Chat.ID, "started", started)
	}
	return r.db.UpdateGroup(ctx, cm.Chat.ID, cadrebot.GroupPatch{BotStatus: &st})
}

// countable reports whether the bot will act on the update whatever the
// state of dialogs: those count against flood control in the intake's one
// round trip. A plain message counts only once a dialog or a text handler
// has taken it (see route).
func (r *Router) countable(u *handlers.Update) bool {
	if u.Command != "" || u.Callback != nil {
		return true
	}
	m := u.Msg
	if m == nil || len(m.NewChatMembers) > 0 || m.LeftChatMember != nil || m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 {
		return false
	}
	if rm := m.ReplyToMessage; rm != nil && rm.From != nil && rm.From.ID == r.cfg.BotID && r.cfg.BotID != 0 &&
		!(m.IsTopicMessage && rm.ID == m.MessageThreadID) {
		return true // an answer to one of the bot's prompts
	}
	if m.Location != nil || len(m.Photo) > 0 || u.IsPrivate() {
		return true
	}
	_, checkin := cadrebot.ParseCheckinText(u.Args)
	return checkin
}

// flood drops an update of a user over the limit. The user hears about it
// once per flood, wherever they flood from.
func (r *Router) flood(ctx context.Context, u *handlers.Update) {
	r.metrics.FloodDropped.Inc()
	r.floodMu.Lock()
	if len(r.flooded) > 10000 {
		clear(r.flooded)
	}
	r.flooded[u.From.ID] = r.cfg.Now().Add(r.cfg.FloodWindow)
	r.floodMu.Unlock()
	tell, err := r.db.FloodNotice(ctx, u.From.ID, 10*r.cfg.FloodWindow)
	if err != nil {
		r.log.Warn("flood notice", "err", err)
	}
	if !tell {
		if u.Callback != nil {
			_ = r.out.Answer(ctx, u.Callback.ID, "", false)
		}
		return
	}
	r.metrics.FloodNotices.Inc()
	text := r.texts.T(u.Lang, "slow_down", i18n.Args{"Name": handlers.DisplayName(u.From)})
	if u.Callback != nil {
		_ = r.out.Answer(ctx, u.Callback.ID, i18n.Plain(text), true)
		return
	}
	if err := handlers.Reply(ctx, r.out, u, text); err != nil {
		r.log.Warn("flood answer", "err", err)
	}
}

// floodedHere reports whether this replica recently saw the user over the
// limit.
func (r *Router) floodedHere(user int64) bool {
	r.floodMu.Lock()
	defer r.floodMu.Unlock()
	until, ok := r.flooded[user]
	return ok && r.cfg.Now().Before(until)
}

// taken counts a plain message that a dialog or text handler is about to
// act on, and reports whether it may go ahead.
func (r *Router) taken(ctx context.Context, u *handlers.Update) bool {
	if r.cfg.FloodCommands <= 0 {
		return true
	}
	if r.floodedHere(u.From.ID) {
		r.metrics.FloodDropped.Inc()
		return false
	}
	n, err := r.db.CountFlood(ctx, u.From.ID, r.cfg.FloodWindow, u.Now)
	if err != nil {
		r.log.Warn("count flood", "err", err)
		return true
	}
	if n > int64(r.cfg.FloodCommands) {
		r.flood(ctx, u)
		return false
	}
	return true
}

// commandLabel keeps the metric's label set bounded: users can type any
// "/word", so only known commands get their own series.
func (r *Router) commandLabel(cmd string) string {
	if cmd == "" || r.routes.Commands[cmd] != nil {
		return cmd
	}
	return "unknown"
}

// parse extracts what handlers need, or reports that the update is to be
// ignored (channel posts, other bots, kinds we do not handle).
func (r *Router) parse(upd *models.Update) (*handlers.Update, bool) {
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

func (r *Router) route(ctx context.Context, u *handlers.Update, counted bool) error {
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
	if !counted && r.floodedHere(u.From.ID) {
		r.metrics.FloodDropped.Inc()
		return nil
	}
	for _, h := range r.routes.Intercept {
		if done, err := h(ctx, u); done || err != nil {
			if done && !counted {
				// A dialog took a message the intake did not count: count
				// it now, so a flood of dialog answers is stopped too.
				r.taken(ctx, u)
			}
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
				if done && !counted {
					r.taken(ctx, u)
				}
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
		r.log.Error("storage unavailable; the update will be handled again", "update_id", u.ID, "err", err)
		if u.Work != nil {
			// It is in the inbox: the intake hands it over again once
			// Redis answers.
			u.Work.Keep()
		}
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
