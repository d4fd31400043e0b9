package telegramtest

import (
	"net/http"
	"strings"

	"github.com/go-telegram/bot/models"
)

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

// botEdit locates the message an edit targets. fn returns the replacement;
// the stored message is swapped, never mutated.
func (s *Server) botEdit(q *request, fn func(c *chat, e *entry) (*models.Message, *apiError)) (any, *apiError) {
	if q.str("inline_message_id") != "" {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	id, ok, err := q.int("message_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		e := c.live(id)
		if e == nil {
			return nil, badRequest("message to edit not found")
		}
		if !e.fromBot {
			return nil, badRequest("message can't be edited")
		}
		m, err := fn(c, e)
		if err != nil {
			return nil, err
		}
		m.EditDate = s.now()
		e.msg = m
		s.emit(c, EventEdit, e)
		return m, nil
	})
}

func mEditMessageText(s *Server, _ *http.Request, q *request) (any, *apiError) {
	text, ents, err := formatText(q, "text", "entities", maxTextLen, true)
	if err != nil {
		return nil, err
	}
	markup, err := parseEditMarkup(q)
	if err != nil {
		return nil, err
	}
	return s.botEdit(q, func(c *chat, e *entry) (*models.Message, *apiError) {
		old := e.msg
		if old.Text == "" {
			return nil, badRequest("there is no text in the message to edit")
		}
		// Omitting reply_markup removes the keyboard, as in Telegram.
		if old.Text == text && sameEntities(old.Entities, ents) && sameMarkup(old.ReplyMarkup, markup) {
			return nil, errNotModified
		}
		cp := *old
		cp.Text, cp.Entities, cp.ReplyMarkup = text, ents, markup
		return &cp, nil
	})
}

func mEditMessageCaption(s *Server, _ *http.Request, q *request) (any, *apiError) {
	caption, ents, err := formatText(q, "caption", "caption_entities", maxCaptionLen, false)
	if err != nil {
		return nil, err
	}
	markup, err := parseEditMarkup(q)
	if err != nil {
		return nil, err
	}
	return s.botEdit(q, func(c *chat, e *entry) (*models.Message, *apiError) {
		old := e.msg
		if old.Text != "" || old.Location != nil {
			return nil, badRequest("there is no caption in the message to edit")
		}
		if old.Caption == caption && sameEntities(old.CaptionEntities, ents) && sameMarkup(old.ReplyMarkup, markup) {
			return nil, errNotModified
		}
		cp := *old
		cp.Caption, cp.CaptionEntities, cp.ReplyMarkup = caption, ents, markup
		return &cp, nil
	})
}

func mEditMessageReplyMarkup(s *Server, _ *http.Request, q *request) (any, *apiError) {
	markup, err := parseEditMarkup(q)
	if err != nil {
		return nil, err
	}
	return s.botEdit(q, func(c *chat, e *entry) (*models.Message, *apiError) {
		if sameMarkup(e.msg.ReplyMarkup, markup) {
			return nil, errNotModified
		}
		cp := *e.msg
		cp.ReplyMarkup = markup
		return &cp, nil
	})
}

// canDelete follows Telegram: the bot's own messages and anything in a
// private chat always; other people's group messages only as an admin.
func (c *chat) canDelete(e *entry) bool {
	return e.fromBot || c.info.Type == models.ChatTypePrivate || c.botAdmin()
}

func mDeleteMessage(s *Server, _ *http.Request, q *request) (any, *apiError) {
	id, ok, err := q.int("message_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		e := c.live(id)
		if e == nil {
			return nil, badRequest("message to delete not found")
		}
		if !c.canDelete(e) {
			return nil, badRequest("message can't be deleted")
		}
		e.deleted = true
		s.emit(c, EventDelete, e)
		return true, nil
	})
}

func mDeleteMessages(s *Server, _ *http.Request, q *request) (any, *apiError) {
	var ids []int
	if _, err := q.json("message_ids", &ids); err != nil || len(ids) == 0 || len(ids) > 100 {
		return nil, badRequest("message_ids must be an array of 1-100 message identifiers")
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		for _, id := range ids {
			if e := c.live(id); e != nil && c.canDelete(e) {
				e.deleted = true
				s.emit(c, EventDelete, e)
			}
		}
		return true, nil
	})
}

// Only these emoji are valid reactions; "✅" is not among them and is the
// classic REACTION_INVALID in production.
var allowedReactions = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range strings.Fields("👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷\u200d♂ 🤷 🤷\u200d♀ 😡") {
		m[r] = true
	}
	return m
}()

// validReaction tolerates the U+FE0F variation selector clients often add.
func validReaction(r models.ReactionType) bool {
	if r.Type != models.ReactionTypeTypeEmoji || r.ReactionTypeEmoji == nil {
		return false
	}
	return allowedReactions[strings.ReplaceAll(r.ReactionTypeEmoji.Emoji, "\uFE0F", "")]
}

func mSetMessageReaction(s *Server, _ *http.Request, q *request) (any, *apiError) {
	id, ok, err := q.int("message_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	var rs []models.ReactionType
	if _, err := q.json("reaction", &rs); err != nil {
		return nil, badRequest("REACTION_INVALID")
	}
	if len(rs) > 1 {
		return nil, badRequest("REACTIONS_TOO_MANY")
	}
	for _, r := range rs {
		if !validReaction(r) {
			return nil, badRequest("REACTION_INVALID")
		}
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		e := c.live(id)
		if e == nil {
			return nil, badRequest("message to react not found")
		}
		e.reactions = rs
		s.emit(c, EventReaction, e)
		return true, nil
	})
}
