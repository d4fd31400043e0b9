package outbox

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"cadrebot/bot"
	"cadrebot/metrics"
	"cadrebot/send"
)

// Sender is the way out for handlers and jobs (handlers.Sender). A reply
// goes out at once when its chat's budget and the global one allow and
// nothing for that chat is waiting in the outbox. Otherwise it joins the
// outbox behind what is waiting, in order, and goes out when the budget
// returns: a handler never waits on a bucket, so one busy group slows
// only itself. A reply that was queued returns message id 0; a caller
// that needs the id (a problem card, the check-in board) gives the
// message a Ref and hears the id from the hook it registered with
// Courier.OnSent.
type Sender struct {
	w       wire
	lim     *Limiter
	box     *Courier
	log     *slog.Logger
	metrics *metrics.Metrics

	mu    sync.Mutex
	holds map[int64]hold
}

// hold remembers that a chat has replies waiting in the outbox, so later
// replies queue behind them instead of overtaking them.
type hold struct {
	last  time.Time // when this process last queued a reply for the chat
	until time.Time // when what it queued has likely drained (estimate)
	retry time.Time // a 429's retry_after ends
}

// readLag covers the time between queueing an entry and the sender
// reading it, during which the local queue does not show it yet.
const readLag = time.Second

// New builds the outbox: the Sender handlers use and the Courier that
// delivers what it queues.
func New(api *bot.Client, db Store, lim *Limiter, log *slog.Logger, m *metrics.Metrics, cfg Config) (*Sender, *Courier) {
	w := wire{api: api}
	c := newCourier(db, w, lim, log, m, cfg)
	return &Sender{w: w, lim: lim, box: c, log: log, metrics: m, holds: map[int64]hold{}}, c
}

// Send delivers m now when its chat may receive it, or queues it.
func (s *Sender) Send(ctx context.Context, m send.Message) (int, error) {
	return s.send(ctx, m, false)
}

// SendReserved is Send with the message Reserve took: it pays for m's
// first part when that is one message.
func (s *Sender) SendReserved(ctx context.Context, m send.Message) (int, error) {
	return s.send(ctx, m, true)
}

func (s *Sender) send(ctx context.Context, m send.Message, reserved bool) (int, error) {
	if m.Key != "" {
		return s.box.SendKeyed(ctx, m)
	}
	parts := Parts(m)
	if !reserved && s.waiting(m.ChatID) {
		return 0, s.queue(ctx, parts, "backlog")
	}
	last := 0
	for i := 0; i < len(parts); i++ {
		// Part by part: what the budget does not cover now follows
		// through the outbox, and later replies queue behind it.
		paid := reserved && i == 0 && parts[0].Weight() == 1
		if !paid && !s.lim.TryTake(parts[i].ChatID, parts[i].Weight()) {
			return 0, s.queue(ctx, parts[i:], "budget")
		}
		id, err := s.w.send(bot.NoRetryWait(ctx), parts[i])
		if to := bot.MigratedTo(err); to != 0 {
			// The group became a supergroup: same conversation, new id.
			for j := i; j < len(parts); j++ {
				parts[j].ChatID = to
			}
			id, err = s.w.send(bot.NoRetryWait(ctx), parts[i])
		}
		if d, ok := bot.RetryAfter(err); ok {
			s.hold(parts[i].ChatID, time.Now().Add(d))
			return last, s.queue(ctx, parts[i:], "429")
		}
		if err != nil {
			return last, err
		}
		last = id
	}
	return last, nil
}

// Reserve takes a message of chat's budget if the chat could receive one
// now, and returns 0; otherwise it takes nothing and says how long to
// wait. Work that shows only the latest state (the check-in board) waits
// rather than queue edits that the next one makes stale, each costing
// the outbox's round trips and a message of the group's budget; it
// reserves before it reads that state, so that the message is there
// once it has read. It then sends with SendReserved.
func (s *Sender) Reserve(chat int64) time.Duration {
	if s.waiting(chat) {
		// Behind queued replies, which go a token's time apart.
		return max(s.lim.Interval(chat), readLag)
	}
	if s.lim.TryTake(chat, 1) {
		return 0
	}
	return max(s.lim.Delay(chat), time.Millisecond)
}

// Enqueue hands m to the durable outbox: messages that are not direct
// replies (notifications, reminders, digests).
func (s *Sender) Enqueue(ctx context.Context, m send.Message) error {
	return s.box.Add(ctx, m)
}

// Edit replaces a message's text and keyboard, now or, when the chat's
// budget is spent (Telegram limits edits like messages), through the
// outbox. "Message is not modified" is success.
func (s *Sender) Edit(ctx context.Context, chat int64, msgID int, text string, kb [][]send.Button) error {
	_, err := s.Send(ctx, send.Message{ChatID: chat, Edit: msgID, Text: text, Buttons: kb})
	return err
}

// queue puts parts in the outbox, in order, and holds the chat.
func (s *Sender) queue(ctx context.Context, parts []send.Message, reason string) error {
	s.metrics.Deferred.WithLabelValues(reason).Inc()
	chat := parts[0].ChatID
	s.hold(chat, time.Time{})
	for _, p := range parts {
		if err := s.box.Add(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sender) hold(chat int64, retry time.Time) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.holds[chat]
	h.last = now
	// A process that does not send the outbox itself cannot see the
	// chat's queue; it assumes what it queued waits until the bucket
	// could have sent it.
	if est := now.Add(2*s.lim.Interval(chat) + readLag); est.After(h.until) {
		h.until = est
	}
	if retry.After(h.retry) {
		h.retry = retry
	}
	s.holds[chat] = h
	if len(s.holds) > 10000 {
		for k, v := range s.holds {
			if now.After(v.until) && now.After(v.retry) {
				delete(s.holds, k)
			}
		}
	}
}

// waiting reports whether replies to chat must queue behind earlier ones.
func (s *Sender) waiting(chat int64) bool {
	now := time.Now()
	s.mu.Lock()
	h, ok := s.holds[chat]
	s.mu.Unlock()
	if ok && now.Before(h.retry) {
		return true
	}
	if s.box.Leading() {
		// This process sends the outbox: its queue says exactly what
		// waits, once the reader has caught up with what was just added.
		return s.box.holds(chat) || (ok && now.Sub(h.last) < readLag)
	}
	return ok && now.Before(h.until)
}

// React puts an emoji reaction on a message. Reactions are how check-ins
// are acknowledged without spending the group's 20 messages a minute, so
// they take no token.
func (s *Sender) React(ctx context.Context, chat int64, msgID int, emoji string) error {
	return s.w.api.SetMessageReaction(ctx, &tgbot.SetMessageReactionParams{ChatID: chat, MessageID: msgID,
		Reaction: []models.ReactionType{{Type: models.ReactionTypeTypeEmoji,
			ReactionTypeEmoji: &models.ReactionTypeEmoji{Type: models.ReactionTypeTypeEmoji, Emoji: emoji}}}})
}

// Answer answers a callback query; Telegram shows a spinner until it is.
func (s *Sender) Answer(ctx context.Context, callbackID, text string, alert bool) error {
	return s.w.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: callbackID, Text: text, ShowAlert: alert})
}

// Delete removes a message; a message already gone is success.
func (s *Sender) Delete(ctx context.Context, chat int64, msgID int) error {
	err := s.w.api.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: chat, MessageID: msgID})
	if err != nil && strings.Contains(err.Error(), "message to delete not found") {
		return nil
	}
	return err
}

// ChatMember returns a user's status in a chat.
func (s *Sender) ChatMember(ctx context.Context, chat, user int64) (models.ChatMemberType, error) {
	m, err := s.w.api.GetChatMember(ctx, chat, user)
	if err != nil {
		return "", err
	}
	return m.Type, nil
}

// ChatAdmins lists the human administrators of a chat
// (getChatAdministrators): the people a group's reminder list goes to
// when the group turned mentions off.
func (s *Sender) ChatAdmins(ctx context.Context, chat int64) ([]models.User, error) {
	ms, err := s.w.api.GetChatAdministrators(ctx, chat)
	if err != nil {
		return nil, err
	}
	var out []models.User
	for _, m := range ms {
		switch {
		case m.Owner != nil && m.Owner.User != nil && !m.Owner.User.IsBot:
			out = append(out, *m.Owner.User)
		case m.Administrator != nil && !m.Administrator.User.IsBot:
			out = append(out, m.Administrator.User)
		}
	}
	return out, nil
}
