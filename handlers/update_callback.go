package handlers

import (
	"context"
	"strconv"

	"github.com/go-telegram/bot/models"

	"cadrebot/i18n"
)

// Callback data comes from the client and can be forged: a modified
// client sends any data it likes on any message of the chat. Every button
// handler therefore checks a press twice. First against the message:
// Telegram itself fills callback_query.message with the pressed message
// as it stands, keyboard included, so data that is not among that
// keyboard's buttons was never offered there (offered below). Then
// against the bot's own record of what it offered: the problem's status
// and version for a card, the form's nonce, step, live message and
// duplicates for the report dialog, the request for a leave approval.
// A forgery is answered with an alert and changes nothing, not even the
// pressed message.

// offered reports whether the pressed message carries a button with the
// pressed data. Telegram leaves the content out of a message that is too
// old (an InaccessibleMessage, only chat and id): then there is nothing
// to compare, and the bot's own record decides alone, as it does anyway.
func offered(u *Update) bool {
	if u.Callback == nil {
		return false
	}
	if u.Callback.Message.Message == nil && u.Callback.Message.InaccessibleMessage != nil {
		return true
	}
	m := u.Callback.Message.Message
	if m == nil || m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == u.Callback.Data {
				return true
			}
		}
	}
	return false
}

// refuseForged answers a press whose data the message did not offer.
func refuseForged(ctx context.Context, out Sender, texts Texts, u *Update) error {
	return AnswerCallback(ctx, out, u, i18n.Plain(texts.T(u.Lang, "err_button_forged")), true)
}

// mention names a user so that a selective ForceReply reaches them when
// the prompt cannot reply to a message of theirs (a button was pressed).
func mention(usr models.User) i18n.HTML {
	return i18n.HTML(`<a href="tg://user?id=` + strconv.FormatInt(usr.ID, 10) + `">` + i18n.Escape(DisplayName(usr)) + `</a>`)
}

// replyToBot is the bot message u answers, or 0 when u is no reply to a
// bot. A forum topic's messages reply to the topic's first message
// without the user asking; that is no answer.
func replyToBot(u *Update) int {
	if u.Msg == nil {
		return 0
	}
	r := u.Msg.ReplyToMessage
	if r == nil || r.From == nil || !r.From.IsBot {
		return 0
	}
	if u.Msg.IsTopicMessage && r.ID == u.Msg.MessageThreadID {
		return 0
	}
	return r.ID
}
