package bot

import (
	"bytes"
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

	"cadrebot/send"
)

// Limits are the token buckets the sender obeys: Telegram's ~30 messages
// per second overall, 20 per minute per group and about 1 per second per
// private chat.
type Limits struct {
	GlobalPerSecond  float64
	GroupPerMinute   float64
	PrivatePerSecond float64
}

// Sender is the one way out to Telegram. Handlers and jobs call it, never
// go-telegram/bot directly, so limits, retries and the outbox live here.
type Sender struct {
	tg      *tgbot.Bot
	log     *slog.Logger
	metrics *Metrics
	limits  Limits
	global  *rate.Limiter
	mu      sync.Mutex
	chats   map[int64]*chatLimiter
	// MaxRetryAfter bounds how long one send waits on 429s in total, so a
	// retry_after of thousands of seconds is handed to the outbox instead
	// of blocking a handler.
	MaxRetryAfter time.Duration
	outbox        Outbox
}

// Outbox accepts durable sends; Courier in outbox.go implements it.
type Outbox interface {
	Add(ctx context.Context, m send.Message) error
}

type chatLimiter struct {
	l    *rate.Limiter
	used time.Time
}

// NewSender wraps the client.
func NewSender(tg *tgbot.Bot, limits Limits, log *slog.Logger, m *Metrics) *Sender {
	if limits.GlobalPerSecond <= 0 {
		limits.GlobalPerSecond = 30
	}
	if limits.GroupPerMinute <= 0 {
		limits.GroupPerMinute = 20
	}
	if limits.PrivatePerSecond <= 0 {
		limits.PrivatePerSecond = 1
	}
	return &Sender{tg: tg, log: log, metrics: m, limits: limits,
		global:        newGlobalLimiter(limits.GlobalPerSecond),
		chats:         map[int64]*chatLimiter{},
		MaxRetryAfter: 2 * time.Minute}
}

// SetOutbox routes Enqueue through a durable outbox.
func (s *Sender) SetOutbox(o Outbox) { s.outbox = o }

func (s *Sender) chatLimit(chat int64) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chat]
	if !ok {
		// Sized to stay under Telegram's sliding windows: see limits.go.
		l := newGroupLimiter(s.limits.GroupPerMinute)
		if chat > 0 {
			l = newPrivateLimiter(s.limits.PrivatePerSecond)
		}
		c = &chatLimiter{l: l}
		s.chats[chat] = c
		if len(s.chats) > 20000 {
			s.gcLocked()
		}
	}
	c.used = time.Now()
	return c.l
}

func (s *Sender) gcLocked() {
	cut := time.Now().Add(-10 * time.Minute)
	for k, c := range s.chats {
		if c.used.Before(cut) {
			delete(s.chats, k)
		}
	}
}

// wait blocks until chat may receive another message. Both buckets give
// up their token at the same moment, just before the send: Telegram counts
// messages when they arrive, so a chat token taken while still queueing
// for the global one would let two sends land closer than the bucket
// allows (limits.go).
func (s *Sender) wait(ctx context.Context, chat int64) error {
	cl := s.chatLimit(chat)
	for {
		if err := untilToken(ctx, cl); err != nil {
			return fmt.Errorf("rate limit wait: %w", err)
		}
		if err := s.global.Wait(ctx); err != nil {
			return fmt.Errorf("rate limit wait: %w", err)
		}
		if cl.Allow() {
			return nil
		}
		// Another send to this chat took the token meanwhile; the global
		// token is spent, which only slows us down.
	}
}

// call runs one API call with Telegram's 429 rule: wait exactly
// retry_after, then try again, up to MaxRetryAfter in total.
func (s *Sender) call(ctx context.Context, method string, fn func() error) error {
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		err := fn()
		s.metrics.APICalls.WithLabelValues(method, result(err)).Inc()
		if err == nil {
			return nil
		}
		var tooMany *tgbot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			d := time.Duration(tooMany.RetryAfter) * time.Second
			if d <= 0 {
				d = time.Second
			}
			if waited+d > s.MaxRetryAfter || !retryWaitAllowed(ctx) {
				return &RetryAfterError{After: d, Err: err}
			}
			waited += d
			s.log.Warn("telegram rate limit", "method", method, "retry_after", tooMany.RetryAfter)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: %w", method, ctx.Err())
			case <-t.C:
			}
			continue
		}
		return fmt.Errorf("%s: %w", method, err)
	}
}

// RetryAfterError is a 429 whose wait is too long for the caller; the
// outbox reschedules the message instead.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

func result(err error) string {
	var tooMany *tgbot.TooManyRequestsError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &tooMany):
		return "429"
	case errors.Is(err, tgbot.ErrorForbidden):
		return "403"
	case errors.Is(err, tgbot.ErrorBadRequest):
		return "400"
	default:
		return "error"
	}
}

// IsPermanent reports whether retrying a send cannot help (400, 403).
func IsPermanent(err error) bool {
	return errors.Is(err, tgbot.ErrorForbidden) || errors.Is(err, tgbot.ErrorBadRequest)
}

// IsForbidden reports a 403: the bot was removed, or the user never
// started a private chat with it.
func IsForbidden(err error) bool { return errors.Is(err, tgbot.ErrorForbidden) }

// markup is the message's reply_markup: a ForceReply prompt, or its
// inline keyboard.
func markup(m send.Message) models.ReplyMarkup {
	if m.ForceReply {
		return &models.ForceReply{ForceReply: true, Selective: true, InputFieldPlaceholder: m.Placeholder}
	}
	return keyboard(m.Buttons)
}

func keyboard(rows [][]send.Button) models.ReplyMarkup {
	if len(rows) == 0 {
		return nil
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: make([][]models.InlineKeyboardButton, 0, len(rows))}
	for _, r := range rows {
		row := make([]models.InlineKeyboardButton, 0, len(r))
		for _, b := range r {
			row = append(row, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data, URL: b.URL})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	return kb
}

var noPreview = &models.LinkPreviewOptions{IsDisabled: tgbot.True()}

// Send delivers m now: long texts are split into several messages and
// the keyboard goes on the last one. It returns the last message's id.
func (s *Sender) Send(ctx context.Context, m send.Message) (int, error) {
	if k, ok := s.outbox.(keyedSender); ok && m.Key != "" {
		return k.SendKeyed(ctx, m)
	}
	if m.Photo != nil || m.Document != nil {
		return s.sendFile(ctx, m)
	}
	parts := send.Split(m.Text, send.MaxText)
	last := 0
	for i, part := range parts {
		p := &tgbot.SendMessageParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Text: part, ParseMode: models.ParseModeHTML,
			DisableNotification: m.Silent, LinkPreviewOptions: noPreview}
		if i == 0 && m.ReplyTo != 0 {
			p.ReplyParameters = &models.ReplyParameters{MessageID: m.ReplyTo, AllowSendingWithoutReply: true}
		}
		if i == len(parts)-1 {
			p.ReplyMarkup = markup(m)
		}
		if err := s.wait(ctx, m.ChatID); err != nil {
			return last, err
		}
		var msg *models.Message
		err := s.call(ctx, "sendMessage", func() (err error) {
			msg, err = s.tg.SendMessage(ctx, p)
			return err
		})
		if err != nil {
			return last, err
		}
		last = msg.ID
	}
	return last, nil
}

func (s *Sender) sendFile(ctx context.Context, m send.Message) (int, error) {
	f := m.Photo
	if f == nil {
		f = m.Document
	}
	var in models.InputFile
	if f.FileID != "" {
		in = &models.InputFileString{Data: f.FileID}
	} else {
		in = &models.InputFileUpload{Filename: f.Name, Data: bytes.NewReader(f.Data)}
	}
	caption := m.Text
	var rest string
	if parts := send.Split(caption, send.MaxCaption); len(parts) > 1 {
		caption, rest = parts[0], strings.Join(parts[1:], "\n")
	}
	if err := s.wait(ctx, m.ChatID); err != nil {
		return 0, err
	}
	var msg *models.Message
	var reply *models.ReplyParameters
	if m.ReplyTo != 0 {
		reply = &models.ReplyParameters{MessageID: m.ReplyTo, AllowSendingWithoutReply: true}
	}
	var err error
	if m.Photo != nil {
		err = s.call(ctx, "sendPhoto", func() (err error) {
			msg, err = s.tg.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Photo: in, Caption: caption,
				ParseMode: models.ParseModeHTML, ReplyParameters: reply, DisableNotification: m.Silent, ReplyMarkup: markup(m)})
			return err
		})
	} else {
		err = s.call(ctx, "sendDocument", func() (err error) {
			msg, err = s.tg.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Document: in, Caption: caption,
				ParseMode: models.ParseModeHTML, ReplyParameters: reply, DisableNotification: m.Silent, ReplyMarkup: markup(m)})
			return err
		})
	}
	if err != nil {
		return 0, err
	}
	if rest != "" {
		return s.Send(ctx, send.Message{ChatID: m.ChatID, ThreadID: m.ThreadID, Text: rest, Silent: m.Silent})
	}
	return msg.ID, nil
}

// Enqueue hands m to the durable outbox, or sends it now when there is
// none (tests of single features).
func (s *Sender) Enqueue(ctx context.Context, m send.Message) error {
	if s.outbox != nil {
		return s.outbox.Add(ctx, m)
	}
	_, err := s.Send(ctx, m)
	return err
}

// Edit replaces a message's text and keyboard. "message is not modified"
// is success: the message already shows what we want.
func (s *Sender) Edit(ctx context.Context, chat int64, msgID int, text string, kb [][]send.Button) error {
	if parts := send.Split(text, send.MaxText); len(parts) > 1 {
		text = parts[0]
	}
	if err := s.wait(ctx, chat); err != nil {
		return err
	}
	err := s.call(ctx, "editMessageText", func() error {
		_, err := s.tg.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: chat, MessageID: msgID, Text: text,
			ParseMode: models.ParseModeHTML, ReplyMarkup: keyboard(kb), LinkPreviewOptions: noPreview})
		return err
	})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return err
}

// React puts an emoji reaction on a message. Reactions are how check-ins
// are acknowledged without spending the group's 20 messages a minute.
func (s *Sender) React(ctx context.Context, chat int64, msgID int, emoji string) error {
	return s.call(ctx, "setMessageReaction", func() error {
		_, err := s.tg.SetMessageReaction(ctx, &tgbot.SetMessageReactionParams{ChatID: chat, MessageID: msgID,
			Reaction: []models.ReactionType{{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Type: models.ReactionTypeTypeEmoji, Emoji: emoji}}}})
		return err
	})
}

// Answer answers a callback query; Telegram shows a spinner until it is.
func (s *Sender) Answer(ctx context.Context, callbackID, text string, alert bool) error {
	return s.call(ctx, "answerCallbackQuery", func() error {
		_, err := s.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: callbackID, Text: text, ShowAlert: alert})
		return err
	})
}

// Delete removes a message; a message already gone is success.
func (s *Sender) Delete(ctx context.Context, chat int64, msgID int) error {
	err := s.call(ctx, "deleteMessage", func() error {
		_, err := s.tg.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: chat, MessageID: msgID})
		return err
	})
	if err != nil && strings.Contains(err.Error(), "message to delete not found") {
		return nil
	}
	return err
}

// ChatMember returns a user's status in a chat.
func (s *Sender) ChatMember(ctx context.Context, chat, user int64) (models.ChatMemberType, error) {
	var m *models.ChatMember
	err := s.call(ctx, "getChatMember", func() (err error) {
		m, err = s.tg.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chat, UserID: user})
		return err
	})
	if err != nil {
		return "", err
	}
	return m.Type, nil
}

// ChatAdmins lists the human administrators of a chat
// (getChatAdministrators): the people a group's reminder list goes to
// when the group turned mentions off.
func (s *Sender) ChatAdmins(ctx context.Context, chat int64) ([]models.User, error) {
	var ms []models.ChatMember
	err := s.call(ctx, "getChatAdministrators", func() (err error) {
		ms, err = s.tg.GetChatAdministrators(ctx, &tgbot.GetChatAdministratorsParams{ChatID: chat})
		return err
	})
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
