package outbox

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"cadrebot/bot"
	"cadrebot/send"
)

// wire turns one part (see Parts) into one Bot API call. It takes no
// tokens and waits on nothing: Sender and Courier decide when a part may
// go.
type wire struct{ api *bot.Client }

var noPreview = &models.LinkPreviewOptions{IsDisabled: tgbot.True()}

// markup is the part's reply_markup: a ForceReply prompt, or its inline
// keyboard.
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
			row = append(row, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data, URL: b.URL, WebApp: webApp(b.WebApp)})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	return kb
}

func webApp(url string) *models.WebAppInfo {
	if url == "" {
		return nil
	}
	return &models.WebAppInfo{URL: url}
}

func replyTo(id int) *models.ReplyParameters {
	if id == 0 {
		return nil
	}
	return &models.ReplyParameters{MessageID: id, AllowSendingWithoutReply: true}
}

// send makes the one call for part m and returns the message id (the
// edited message's for an edit).
func (w wire) send(ctx context.Context, m send.Message) (int, error) {
	switch {
	case m.Edit != 0:
		err := w.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: m.ChatID, MessageID: m.Edit, Text: m.Text,
			ParseMode: models.ParseModeHTML, ReplyMarkup: keyboard(m.Buttons), LinkPreviewOptions: noPreview})
		if err != nil && strings.Contains(err.Error(), "message is not modified") {
			// The message already shows what we want.
			err = nil
		}
		return m.Edit, err
	case len(m.Album) > 0:
		media := make([]models.InputMedia, 0, len(m.Album))
		for i, f := range m.Album {
			if f.FileID == "" {
				return 0, fmt.Errorf("album photo %d has no file_id: albums resend photos Telegram has", i)
			}
			p := &models.InputMediaPhoto{Media: f.FileID}
			if i == 0 {
				p.Caption, p.ParseMode = m.Text, models.ParseModeHTML
			}
			media = append(media, p)
		}
		msgs, err := w.api.SendMediaGroup(ctx, &tgbot.SendMediaGroupParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID,
			Media: media, ReplyParameters: replyTo(m.ReplyTo), DisableNotification: m.Silent})
		if err != nil {
			return 0, err
		}
		if len(msgs) == 0 {
			return 0, nil
		}
		return msgs[0].ID, nil
	case m.Photo != nil || m.Document != nil:
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
		var msg *models.Message
		var err error
		if m.Photo != nil {
			msg, err = w.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Photo: in,
				Caption: m.Text, ParseMode: models.ParseModeHTML, ReplyParameters: replyTo(m.ReplyTo),
				DisableNotification: m.Silent, ReplyMarkup: markup(m)})
		} else {
			msg, err = w.api.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Document: in,
				Caption: m.Text, ParseMode: models.ParseModeHTML, ReplyParameters: replyTo(m.ReplyTo),
				DisableNotification: m.Silent, ReplyMarkup: markup(m)})
		}
		if err != nil {
			return 0, err
		}
		return msg.ID, nil
	}
	return w.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: m.ChatID, MessageThreadID: m.ThreadID, Text: m.Text,
		ParseMode: models.ParseModeHTML, DisableNotification: m.Silent, LinkPreviewOptions: noPreview,
		ReplyParameters: replyTo(m.ReplyTo), ReplyMarkup: markup(m)})
}

// Parts splits m into the messages it is sent as, each one API call, so
// the outbox can record progress part by part. Long texts are split at
// line breaks and the keyboard goes on the last part; a long caption
// continues in text messages after the file. Parts carry no Key (the
// caller tracks the whole message's progress) and only the last carries
// the Ref, because a sent hook wants the message that holds the buttons.
func Parts(m send.Message) []send.Message {
	if m.Edit != 0 {
		p := m
		p.Text = send.Split(m.Text, send.MaxText)[0]
		p.Key = ""
		return []send.Message{p}
	}
	base := send.Message{ChatID: m.ChatID, ThreadID: m.ThreadID, Silent: m.Silent}
	var out []send.Message
	if m.Photo != nil || m.Document != nil || len(m.Album) > 0 {
		caps := send.Split(m.Text, send.MaxCaption)
		first := m
		first.Text, first.Key, first.Ref = caps[0], "", ""
		out = append(out, first)
		if len(caps) > 1 {
			for _, t := range send.Split(strings.Join(caps[1:], "\n"), send.MaxText) {
				p := base
				p.Text = t
				out = append(out, p)
			}
		}
	} else {
		for i, t := range send.Split(m.Text, send.MaxText) {
			p := base
			p.Text = t
			if i == 0 {
				p.ReplyTo = m.ReplyTo
			}
			out = append(out, p)
		}
		last := &out[len(out)-1]
		last.Buttons, last.ForceReply, last.Placeholder = m.Buttons, m.ForceReply, m.Placeholder
	}
	out[len(out)-1].Ref = m.Ref
	return out
}
