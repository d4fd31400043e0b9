package telegramtest

import (
	"reflect"
	"strings"

	"github.com/go-telegram/bot/models"
	json "github.com/goccy/go-json"
)

// markup is a decoded reply_markup. Only inline keyboards end up on the
// Message (that is all Telegram echoes back); reply keyboards and
// ForceReply are kept on the transcript entry, so the playground can show
// them and tests can check that a prompt asked for a reply.
type markup struct {
	inline *models.InlineKeyboardMarkup
	reply  *models.ReplyKeyboardMarkup
	force  *models.ForceReply
}

// parseMarkup decodes reply_markup; remove_keyboard is accepted and kept
// nowhere.
func parseMarkup(q *request) (markup, *apiError) {
	raw := q.str("reply_markup")
	if raw == "" {
		return markup{}, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return markup{}, badRequest("can't parse reply keyboard markup JSON object")
	}
	if _, ok := probe["inline_keyboard"]; ok {
		var m models.InlineKeyboardMarkup
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return markup{}, badRequest("can't parse inline keyboard markup JSON object")
		}
		// Private chats have positive ids; a group's or channel's are
		// negative. (A chat_id given as @username is a channel.)
		chat, _, _ := q.int64("chat_id")
		if err := checkInline(&m, chat > 0); err != nil {
			return markup{}, err
		}
		return markup{inline: &m}, nil
	}
	if _, ok := probe["keyboard"]; ok {
		var k models.ReplyKeyboardMarkup
		if err := json.Unmarshal([]byte(raw), &k); err != nil {
			return markup{}, badRequest("can't parse reply keyboard markup JSON object")
		}
		return markup{reply: &k}, nil
	}
	if _, ok := probe["remove_keyboard"]; ok {
		return markup{}, nil
	}
	if _, ok := probe["force_reply"]; ok {
		var f models.ForceReply
		if err := json.Unmarshal([]byte(raw), &f); err != nil || !f.ForceReply {
			return markup{}, badRequest("can't parse force reply markup JSON object")
		}
		if n := len([]rune(f.InputFieldPlaceholder)); n > 64 {
			return markup{}, badRequest("input field placeholder is too long")
		}
		return markup{force: &f}, nil
	}
	return markup{}, badRequest("can't parse reply keyboard markup JSON object")
}

// parseEditMarkup decodes the reply_markup of an edit, which Telegram
// allows to be an inline keyboard only: a prompt that wants a reply must
// be a new message.
func parseEditMarkup(q *request) (*models.InlineKeyboardMarkup, *apiError) {
	mk, err := parseMarkup(q)
	if err != nil {
		return nil, err
	}
	if mk.reply != nil || mk.force != nil {
		return nil, badRequest("inline keyboard expected")
	}
	return mk.inline, nil
}

// checkInline rejects keyboards Telegram rejects; callback_data over 64
// bytes is the usual way bots break in production. Mini App (web_app)
// buttons work only in a private chat, and only with an https address.
func checkInline(m *models.InlineKeyboardMarkup, private bool) *apiError {
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return badRequest("can't parse inline keyboard button: Text must be non-empty")
			}
			actions := 0
			for _, set := range []bool{
				b.CallbackData != "", b.URL != "", b.WebApp != nil, b.LoginURL != nil,
				b.SwitchInlineQuery != "", b.SwitchInlineQueryCurrentChat != "",
				b.SwitchInlineQueryChosenChat != nil, b.CopyText.Text != "", b.CallbackGame != nil, b.Pay,
			} {
				if set {
					actions++
				}
			}
			if actions == 0 {
				return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			if len(b.CallbackData) > 64 {
				return badRequest("BUTTON_DATA_INVALID")
			}
			if b.WebApp != nil {
				if !private {
					return badRequest("BUTTON_TYPE_INVALID")
				}
				if !strings.HasPrefix(b.WebApp.URL, "https://") {
					return badRequest("inline keyboard button Web App URL '%s' is invalid: Only HTTPS links are allowed", b.WebApp.URL)
				}
			}
			if b.URL != "" && !(strings.HasPrefix(b.URL, "http://") || strings.HasPrefix(b.URL, "https://") || strings.HasPrefix(b.URL, "tg://")) {
				return badRequest("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", b.URL)
			}
		}
	}
	return nil
}

func sameMarkup(a, b *models.InlineKeyboardMarkup) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(*a, *b)
}

func sameEntities(a, b []models.MessageEntity) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	return reflect.DeepEqual(a, b)
}

// replyTarget resolves reply_parameters or the legacy reply_to_message_id.
// Caller holds c.mu.
func replyTarget(c *chat, q *request) (*models.Message, *apiError) {
	id := 0
	allow := q.flag("allow_sending_without_reply")
	if raw := q.str("reply_parameters"); raw != "" {
		var rp models.ReplyParameters
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			return nil, badRequest("can't parse reply parameters JSON object")
		}
		id, allow = rp.MessageID, allow || rp.AllowSendingWithoutReply
	} else {
		n, _, err := q.int("reply_to_message_id")
		if err != nil {
			return nil, err
		}
		id = n
	}
	if id == 0 {
		return nil, nil
	}
	e := c.live(id)
	if e == nil {
		if allow {
			return nil, nil
		}
		return nil, badRequest("message to be replied not found")
	}
	return replyCopy(e.msg), nil
}

// replyCopy is what Telegram nests in reply_to_message: one level only.
func replyCopy(m *models.Message) *models.Message {
	cp := *m
	cp.ReplyToMessage = nil
	return &cp
}
