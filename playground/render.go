package playground

import (
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/telegramtest"
)

// msgView is one message as the page shows it.
type msgView struct {
	Chat    int64
	ID      int
	FromBot bool
	Service string // "王芳 加入了群组": service messages have only this
	From    string
	FromID  int64  // a user's messages, so the page can mark the visitor's own
	Time    string // "12-02 08:50"
	Day     string // "2026-12-02", for the page's date separators
	DayText string // "12月2日 周三"
	Edited  bool

	Quote    string        // the message this one replies to, shortened
	Body     template.HTML // text or caption, formatted
	Photo    *fileView
	Doc      *fileView
	Location *locView
	Reacts   []string
	Inline   [][]buttonView
	Reply    [][]buttonView // a reply keyboard sent with the message
	Pressed  []string       // "王芳 点击了 受理", newest last
}

type fileView struct {
	URL, Download, Name, Size string
	Image                     bool
}

type locView struct {
	Text, Map string
}

type buttonView struct {
	Text     string
	Data     string // callback_data: pressing posts it
	URL      string // a link button
	Location bool   // a reply-keyboard button that shares the location
	Disabled bool   // a kind the playground cannot act on
}

// view turns a transcript entry into what the page renders.
func view(e telegramtest.Entry, loc *time.Location) msgView {
	m := e.Message
	t := time.Unix(int64(m.Date), 0).In(loc)
	v := msgView{Chat: m.Chat.ID, ID: m.ID, FromBot: e.FromBot, Time: t.Format("01-02 15:04"),
		Day: t.Format("2006-01-02"), DayText: fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), weekdayZh[t.Weekday()]),
		Edited: m.EditDate != 0}
	if m.From != nil {
		v.From = displayName(*m.From)
		if !m.From.IsBot {
			v.FromID = m.From.ID
		}
	}
	if s := service(m); s != "" {
		v.Service = s
		return v
	}
	if r := m.ReplyToMessage; r != nil {
		q := r.Text + r.Caption
		if q == "" {
			q = "[媒体]"
		}
		if rs := []rune(q); len(rs) > 60 {
			q = string(rs[:60]) + "…"
		}
		if r.From != nil {
			q = displayName(*r.From) + "：" + q
		}
		v.Quote = q
	}
	switch {
	case m.Text != "":
		v.Body = safeHTML(telegramtest.HTML(m.Text, m.Entities))
	case m.Caption != "":
		v.Body = safeHTML(telegramtest.HTML(m.Caption, m.CaptionEntities))
	}
	if n := len(m.Photo); n > 0 {
		p := m.Photo[n-1] // the full size; [0] is the thumbnail
		v.Photo = file(p.FileID, "photo.jpg", int64(p.FileSize), true)
	}
	if d := m.Document; d != nil {
		v.Doc = file(d.FileID, d.FileName, d.FileSize, strings.HasPrefix(d.MimeType, "image/"))
	}
	if l := m.Location; l != nil {
		v.Location = &locView{
			Text: fmt.Sprintf("%.4f, %.4f", l.Latitude, l.Longitude),
			Map:  fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=15/%.5f/%.5f", l.Latitude, l.Longitude, l.Latitude, l.Longitude),
		}
	}
	for _, r := range e.Reactions {
		if r.ReactionTypeEmoji != nil {
			v.Reacts = append(v.Reacts, r.ReactionTypeEmoji.Emoji)
		}
	}
	if k := m.ReplyMarkup; k != nil {
		for _, row := range k.InlineKeyboard {
			var out []buttonView
			for _, b := range row {
				bv := buttonView{Text: b.Text, Data: b.CallbackData}
				switch {
				case b.CallbackData != "":
				case strings.HasPrefix(b.URL, "https://") || strings.HasPrefix(b.URL, "http://"):
					bv.URL = b.URL
				default:
					bv.Disabled = true
				}
				out = append(out, bv)
			}
			v.Inline = append(v.Inline, out)
		}
	}
	if k := e.ReplyKeyboard; k != nil {
		for _, row := range k.Keyboard {
			var out []buttonView
			for _, b := range row {
				out = append(out, buttonView{Text: b.Text, Location: b.RequestLocation})
			}
			v.Reply = append(v.Reply, out)
		}
	}
	for _, cb := range e.Callbacks {
		p := displayName(cb.From) + " 点了" + buttonLabel(m, cb.Data)
		if cb.Text != "" {
			p += " → " + cb.Text
		}
		v.Pressed = append(v.Pressed, p)
	}
	if len(v.Pressed) > 3 {
		v.Pressed = v.Pressed[len(v.Pressed)-3:]
	}
	return v
}

// buttonLabel names the button that carried data, while the keyboard
// still has it.
func buttonLabel(m *models.Message, data string) string {
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData == data {
					return "「" + b.Text + "」"
				}
			}
		}
	}
	return "按钮"
}

func file(id, name string, size int64, image bool) *fileView {
	u := "/file/" + url.PathEscape(id)
	return &fileView{URL: u, Download: u + "?download=" + url.QueryEscape(name), Name: name, Size: humanSize(size), Image: image}
}

func humanSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1024/1024, 'f', 1, 64) + " MB"
}

// service describes a service message, or returns "".
func service(m *models.Message) string {
	by := ""
	if m.From != nil {
		by = displayName(*m.From)
	}
	switch {
	case len(m.NewChatMembers) > 0:
		names := make([]string, 0, len(m.NewChatMembers))
		self := false
		for _, u := range m.NewChatMembers {
			names = append(names, displayName(u))
			self = self || (m.From != nil && u.ID == m.From.ID)
		}
		if self && len(names) == 1 {
			return names[0] + " 加入了群组"
		}
		return by + " 邀请 " + strings.Join(names, "、") + " 加入了群组"
	case m.LeftChatMember != nil:
		if m.From != nil && m.From.ID == m.LeftChatMember.ID {
			return displayName(*m.LeftChatMember) + " 离开了群组"
		}
		return by + " 将 " + displayName(*m.LeftChatMember) + " 移出了群组"
	case m.MigrateToChatID != 0 || m.MigrateFromChatID != 0:
		return "群组已升级为超级群组"
	case m.NewChatTitle != "":
		return by + " 将群名改为 " + m.NewChatTitle
	case m.PinnedMessage != nil:
		return by + " 置顶了一条消息"
	}
	return ""
}

func displayName(u models.User) string {
	n := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if n == "" {
		n = "@" + u.Username
	}
	if u.IsBot && u.Username != "" && n == "cadrebot" {
		return "cadrebot 驻村助手"
	}
	return n
}

var (
	anchorTag = regexp.MustCompile(`<a href="([^"]*)">`)
	spoiler   = strings.NewReplacer("<tg-spoiler>", `<span class="spoiler">`, "</tg-spoiler>", "</span>")
	emojiTag  = regexp.MustCompile(`<tg-emoji emoji-id="[^"]*">`)
)

// safeHTML makes the Telegram HTML that telegramtest.HTML rebuilt from a
// message's entities fit for the page. telegramtest escapes all text and
// emits only Telegram's tags; links are the one way in for script, so only
// web links stay clickable, and tg://user mentions become plain
// highlights.
func safeHTML(s string) template.HTML {
	s = anchorTag.ReplaceAllStringFunc(s, func(tag string) string {
		href := anchorTag.FindStringSubmatch(tag)[1]
		switch {
		case strings.HasPrefix(href, "tg://user?id="):
			return `<a class="mention">`
		case strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://"):
			return `<a href="` + href + `" target="_blank" rel="noopener noreferrer">`
		}
		return `<a>`
	})
	s = emojiTag.ReplaceAllString(s, `<span>`)
	s = strings.ReplaceAll(s, "</tg-emoji>", "</span>")
	return template.HTML(spoiler.Replace(s)) //nolint:gosec // built from escaped text and a fixed tag set, see above
}
