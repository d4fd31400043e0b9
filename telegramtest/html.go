package telegramtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Telegram's limits, counted on the text after entity parsing.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// formatText turns a text field plus parse_mode/entities into what Telegram
// stores: plain text and entities with UTF-16 offsets. Markdown modes are not
// parsed; the text is kept as sent.
func formatText(q *request, field, entField string, limit int, required bool) (string, []models.MessageEntity, *apiError) {
	text := q.str(field)
	if !utf8.ValidString(text) {
		return "", nil, badRequest("strings must be encoded in UTF-8")
	}
	var plain string
	var ents []models.MessageEntity
	switch mode := q.str("parse_mode"); strings.ToLower(mode) {
	case "html":
		var err error
		if plain, ents, err = parseHTML(text); err != nil {
			return "", nil, badRequest("can't parse entities: %v", err)
		}
	case "", "markdown", "markdownv2":
		plain = text
		if _, err := q.json(entField, &ents); err != nil {
			return "", nil, badRequest("can't parse entities JSON object")
		}
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	n := utf8.RuneCountInString(plain)
	if required && strings.TrimSpace(plain) == "" {
		return "", nil, badRequest("message text is empty")
	}
	if n > limit {
		if limit == maxCaptionLen {
			return "", nil, badRequest("message caption is too long")
		}
		return "", nil, badRequest("message is too long")
	}
	return plain, ents, nil
}

type openTag struct {
	name  string
	start int // UTF-16 offset
	ent   models.MessageEntity
	keep  bool
}

// parseHTML implements the subset of HTML Telegram accepts. It is strict in
// the same places Telegram is, so a bot that forgets to escape "<" in user
// text fails here instead of in production.
func parseHTML(s string) (string, []models.MessageEntity, error) {
	var out strings.Builder
	out.Grow(len(s))
	var stack []openTag
	var ents []models.MessageEntity
	pos := 0 // UTF-16 length of out
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := tagEnd(s, i)
			if end < 0 {
				return "", nil, fmt.Errorf("Can't find end of the tag starting at byte offset %d", i)
			}
			body := s[i+1 : end]
			if strings.HasPrefix(body, "/") {
				name := strings.ToLower(strings.TrimSpace(body[1:]))
				if len(stack) == 0 {
					return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if top.name != name {
					return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if top.keep && pos > top.start {
					top.ent.Offset, top.ent.Length = top.start, pos-top.start
					ents = append(ents, top.ent)
				}
			} else {
				t, err := openingTag(body, i, stack)
				if err != nil {
					return "", nil, err
				}
				t.start = pos
				stack = append(stack, t)
			}
			i = end + 1
		case '&':
			if r, n := htmlEntity(s[i:]); n > 0 {
				out.WriteRune(r)
				pos += utf16Len(r)
				i += n
				continue
			}
			out.WriteByte('&')
			pos++
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			out.WriteString(s[i : i+n])
			pos += utf16Len(r)
			i += n
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sortEntities(ents)
	return out.String(), ents, nil
}

// tagEnd finds the '>' closing the tag at i, skipping quoted attributes.
func tagEnd(s string, i int) int {
	var quote byte
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j
		}
	}
	return -1
}

func openingTag(body string, at int, stack []openTag) (openTag, error) {
	body = strings.TrimSpace(body)
	name, rest := body, ""
	if i := strings.IndexAny(body, " \t\r\n"); i >= 0 {
		name, rest = body[:i], body[i:]
	}
	name = strings.ToLower(strings.TrimSuffix(name, "/"))
	attrs := parseAttrs(rest)
	t := openTag{name: name, keep: true}
	switch name {
	case "b", "strong":
		t.ent.Type = models.MessageEntityTypeBold
	case "i", "em":
		t.ent.Type = models.MessageEntityTypeItalic
	case "u", "ins":
		t.ent.Type = models.MessageEntityTypeUnderline
	case "s", "strike", "del":
		t.ent.Type = models.MessageEntityTypeStrikethrough
	case "tg-spoiler":
		t.ent.Type = models.MessageEntityTypeSpoiler
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return t, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", at)
		}
		t.ent.Type = models.MessageEntityTypeSpoiler
	case "a":
		href := attrs["href"]
		switch {
		case strings.HasPrefix(href, "tg://user?id="):
			id, _ := strconv.ParseInt(strings.TrimPrefix(href, "tg://user?id="), 10, 64)
			t.ent.Type, t.ent.User = models.MessageEntityTypeTextMention, &models.User{ID: id}
		case href != "":
			t.ent.Type, t.ent.URL = models.MessageEntityTypeTextLink, href
		default:
			t.keep = false
		}
	case "code":
		// <pre><code class="language-x"> is one pre entity with a language.
		if n := len(stack); n > 0 && stack[n-1].name == "pre" {
			if lang, ok := strings.CutPrefix(attrs["class"], "language-"); ok {
				stack[n-1].ent.Language = lang
				t.keep = false
				break
			}
		}
		t.ent.Type = models.MessageEntityTypeCode
	case "pre":
		t.ent.Type = models.MessageEntityTypePre
	case "blockquote":
		t.ent.Type = models.MessageEntityTypeBlockquote
		if _, ok := attrs["expandable"]; ok {
			t.ent.Type = models.MessageEntityTypeExpandableBlockquote
		}
	case "tg-emoji":
		id := attrs["emoji-id"]
		if id == "" {
			return t, fmt.Errorf("Custom emoji entity must have emoji-id attribute at byte offset %d", at)
		}
		t.ent.Type, t.ent.CustomEmojiID = models.MessageEntityTypeCustomEmoji, id
	default:
		return t, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, at)
	}
	return t, nil
}

func parseAttrs(s string) map[string]string {
	var m map[string]string
	for {
		s = strings.TrimLeft(s, " \t\r\n/")
		if s == "" {
			return m
		}
		if m == nil {
			m = map[string]string{}
		}
		k := s
		if i := strings.IndexAny(s, "= \t\r\n"); i >= 0 {
			k, s = s[:i], s[i:]
		} else {
			s = ""
		}
		k = strings.ToLower(k)
		s = strings.TrimLeft(s, " \t\r\n")
		if !strings.HasPrefix(s, "=") {
			m[k] = ""
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
		var v string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
				v, s = s[1:1+end], s[2+end:]
			} else {
				v, s = s[1:], ""
			}
		} else if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
			v, s = s[:i], s[i:]
		} else {
			v, s = s, ""
		}
		m[k] = unescapeHTML(v)
	}
}

func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := htmlEntity(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// htmlEntity decodes the entities Telegram supports (the four named ones and
// numeric references) and reports how many bytes it consumed; other
// ampersands are left as literal text, as Telegram does.
func htmlEntity(s string) (rune, int) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 10 {
		return 0, 0
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	case "amp":
		return '&', semi + 1
	case "quot":
		return '"', semi + 1
	}
	if name[0] != '#' {
		return 0, 0
	}
	var n uint64
	var err error
	if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || n == 0 || n > utf8.MaxRune {
		return 0, 0
	}
	return rune(n), semi + 1
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// UTF16Len is the length Telegram uses for entity offsets.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

func sortEntities(ents []models.MessageEntity) {
	sort.SliceStable(ents, func(i, j int) bool {
		if ents[i].Offset != ents[j].Offset {
			return ents[i].Offset < ents[j].Offset
		}
		return ents[i].Length > ents[j].Length
	})
}

// commandEntity marks a leading "/cmd" or "/cmd@bot" like Telegram clients do.
func commandEntity(text string) []models.MessageEntity {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return nil
	}
	cmd := text
	if i := strings.IndexAny(text, " \t\n"); i >= 0 {
		cmd = text[:i]
	}
	if len(cmd) < 2 {
		return nil
	}
	return []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: UTF16Len(cmd)}}
}
