package telegramtest

import (
	"html"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

// HTML renders text and its entities back to Telegram-style HTML. The server
// stores messages the way Telegram returns them (plain text + entities); the
// playground uses this to show formatting, tests to assert on markup.
func HTML(text string, entities []models.MessageEntity) string {
	ents := make([]models.MessageEntity, 0, len(entities))
	for _, e := range entities {
		if _, ok := openHTML(e); ok && e.Length > 0 {
			ents = append(ents, e)
		}
	}
	sortEntities(ents)

	type open struct {
		e   models.MessageEntity
		end int
	}
	var b strings.Builder
	b.Grow(len(text) + 16*len(ents))
	var stack []open
	next, pos := 0, 0
	// closeAt closes everything ending at p. Entities from raw entity lists
	// may overlap instead of nest; those are closed and reopened around the
	// boundary so the output stays well-formed.
	closeAt := func(p int) {
		k := -1
		for i, o := range stack {
			if o.end <= p {
				k = i
				break
			}
		}
		if k < 0 {
			return
		}
		above := append([]open(nil), stack[k+1:]...)
		for i := len(stack) - 1; i >= k; i-- {
			b.WriteString(closeHTML(stack[i].e))
		}
		stack = stack[:k]
		for _, o := range above {
			if o.end > p {
				tag, _ := openHTML(o.e)
				b.WriteString(tag)
				stack = append(stack, o)
			}
		}
	}
	openAt := func(p int) {
		for next < len(ents) && ents[next].Offset <= p {
			e := ents[next]
			next++
			tag, _ := openHTML(e)
			b.WriteString(tag)
			stack = append(stack, open{e: e, end: e.Offset + e.Length})
		}
	}
	for _, r := range text {
		closeAt(pos)
		openAt(pos)
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
		pos += utf16Len(r)
	}
	closeAt(pos)
	openAt(pos)
	for i := len(stack) - 1; i >= 0; i-- {
		b.WriteString(closeHTML(stack[i].e))
	}
	return b.String()
}

func openHTML(e models.MessageEntity) (string, bool) {
	switch e.Type {
	case models.MessageEntityTypeBold:
		return "<b>", true
	case models.MessageEntityTypeItalic:
		return "<i>", true
	case models.MessageEntityTypeUnderline:
		return "<u>", true
	case models.MessageEntityTypeStrikethrough:
		return "<s>", true
	case models.MessageEntityTypeSpoiler:
		return "<tg-spoiler>", true
	case models.MessageEntityTypeCode:
		return "<code>", true
	case models.MessageEntityTypePre:
		if e.Language != "" {
			return `<pre><code class="language-` + html.EscapeString(e.Language) + `">`, true
		}
		return "<pre>", true
	case models.MessageEntityTypeTextLink:
		return `<a href="` + html.EscapeString(e.URL) + `">`, true
	case models.MessageEntityTypeTextMention:
		if e.User == nil {
			return "", false
		}
		return `<a href="tg://user?id=` + strconv.FormatInt(e.User.ID, 10) + `">`, true
	case models.MessageEntityTypeBlockquote:
		return "<blockquote>", true
	case models.MessageEntityTypeExpandableBlockquote:
		return "<blockquote expandable>", true
	case models.MessageEntityTypeCustomEmoji:
		return `<tg-emoji emoji-id="` + html.EscapeString(e.CustomEmojiID) + `">`, true
	}
	return "", false
}

func closeHTML(e models.MessageEntity) string {
	switch e.Type {
	case models.MessageEntityTypeBold:
		return "</b>"
	case models.MessageEntityTypeItalic:
		return "</i>"
	case models.MessageEntityTypeUnderline:
		return "</u>"
	case models.MessageEntityTypeStrikethrough:
		return "</s>"
	case models.MessageEntityTypeSpoiler:
		return "</tg-spoiler>"
	case models.MessageEntityTypeCode:
		return "</code>"
	case models.MessageEntityTypePre:
		if e.Language != "" {
			return "</code></pre>"
		}
		return "</pre>"
	case models.MessageEntityTypeTextLink, models.MessageEntityTypeTextMention:
		return "</a>"
	case models.MessageEntityTypeBlockquote, models.MessageEntityTypeExpandableBlockquote:
		return "</blockquote>"
	case models.MessageEntityTypeCustomEmoji:
		return "</tg-emoji>"
	}
	return ""
}
