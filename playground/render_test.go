package playground

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/telegramtest"
)

func entry(m models.Message, fromBot bool) telegramtest.Entry {
	m.Chat = models.Chat{ID: Xiejiawu.ID, Type: models.ChatTypeSupergroup}
	if m.Date == 0 {
		m.Date = int(at("2026-12-02 08:50").Unix())
	}
	if m.ID == 0 {
		m.ID = 7
	}
	if m.From == nil {
		u := Wang.User
		if fromBot {
			u = telegramtest.DefaultBot
		}
		m.From = &u
	}
	return telegramtest.Entry{Message: &m, FromBot: fromBot}
}

func render(t *testing.T, e telegramtest.Entry) string {
	t.Helper()
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, "msg", view(e, shanghai)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderMessages(t *testing.T) {
	link := func(off, n int, url string) models.MessageEntity {
		return models.MessageEntity{Type: models.MessageEntityTypeTextLink, Offset: off, Length: n, URL: url}
	}
	tests := []struct {
		name    string
		e       telegramtest.Entry
		want    []string
		notWant []string
	}{
		{
			name:    "user text is escaped",
			e:       entry(models.Message{Text: `<script>alert("x")</script> & <b>`}, false),
			want:    []string{"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;", `data-from="1001"`, "王芳", "12-02 08:50"},
			notWant: []string{"<script>"},
		},
		{
			name: "bot formatting survives",
			e: entry(models.Message{Text: "今日打卡 3/4", Entities: []models.MessageEntity{
				{Type: models.MessageEntityTypeBold, Offset: 0, Length: 4}}}, true),
			want:    []string{"<b>今日打卡</b> 3/4", `class="msg bot"`, "cadrebot 驻村助手"},
			notWant: []string{"data-from"},
		},
		{
			name:    "script links are defused, web links kept",
			e:       entry(models.Message{Text: "ab cd", Entities: []models.MessageEntity{link(0, 2, "javascript:alert(1)"), link(3, 2, "https://example.org/?a=1&b=2")}}, true),
			want:    []string{"<a>ab</a>", `<a href="https://example.org/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">cd</a>`},
			notWant: []string{"javascript:"},
		},
		{
			name: "mentions are highlighted, not links",
			e: entry(models.Message{Text: "李强 请打卡", Entities: []models.MessageEntity{
				{Type: models.MessageEntityTypeTextMention, Offset: 0, Length: 2, User: &Li.User}}}, true),
			want:    []string{`<a class="mention">李强</a>`},
			notWant: []string{"tg://"},
		},
		{
			name: "photo shows the full size with a download link",
			e: entry(models.Message{Caption: "本周打卡率", Photo: []models.PhotoSize{
				{FileID: "thumb", Width: 90}, {FileID: "full", Width: 1280, FileSize: 2048}}}, true),
			want:    []string{`<img src="/file/full"`, `href="/file/full?download=photo.jpg"`, "本周打卡率"},
			notWant: []string{"/file/thumb"},
		},
		{
			name: "documents get a download link with their name",
			e: entry(models.Message{Document: &models.Document{FileID: "doc1", FileName: "谢家坞村 11月.xlsx", FileSize: 10240,
				MimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}, true),
			want:    []string{`href="/file/doc1?download=%E8%B0%A2%E5%AE%B6%E5%9D%9E%E6%9D%91&#43;11%E6%9C%88.xlsx"`, "谢家坞村 11月.xlsx", "10.0 KB"},
			notWant: []string{"<img"},
		},
		{
			name: "inline keyboard",
			e: entry(models.Message{Text: "#12 停车问题", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
				{{Text: "受理", CallbackData: "pr:acc:12"}, {Text: "办结", CallbackData: "pr:res:12"}},
				{{Text: "地图", URL: "https://example.org/map"}, {Text: "分享", SwitchInlineQuery: "x"}},
			}}}, true),
			want: []string{`data-press="pr:acc:12">受理</button>`, `data-press="pr:res:12">办结</button>`,
				`href="https://example.org/map"`, `disabled>分享</button>`},
		},
		{
			name: "reactions and presses",
			e: func() telegramtest.Entry {
				e := entry(models.Message{Text: "/checkin", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "受理", CallbackData: "a"}}}}}, false)
				e.Reactions = []models.ReactionType{{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "✅"}}}
				e.Callbacks = []telegramtest.Callback{{From: Zhao.User, Data: "a", Text: "已受理"}}
				return e
			}(),
			want: []string{`<span class="react">✅</span>`, "赵队长 点了「受理」 → 已受理"},
		},
		{
			name: "location",
			e:    entry(models.Message{Location: &models.Location{Latitude: 29.9321, Longitude: 120.6449}}, false),
			want: []string{"📍 位置", "29.9321, 120.6449"},
		},
		{
			name: "join",
			e:    entry(models.Message{From: &Chen.User, NewChatMembers: []models.User{Wang.User, Li.User}}, false),
			want: []string{`class="msg service"`, "陈主任 邀请 王芳、李强 加入了群组"},
		},
		{
			name: "leave",
			e:    entry(models.Message{From: &Li.User, LeftChatMember: &Li.User}, false),
			want: []string{"李强 离开了群组"},
		},
		{
			name: "reply quote",
			e:    entry(models.Message{Text: "收到", ReplyToMessage: &models.Message{From: &Li.User, Text: strings.Repeat("长", 80)}}, true),
			want: []string{`<div class="quote">李强：` + strings.Repeat("长", 60) + "…</div>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.e)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
		})
	}
}
