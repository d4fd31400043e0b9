package playground

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/config"
	"cadrebot/telegramtest"
)

// BenchmarkStart is the time from `go run` having compiled to the page
// being ready: embedded Redis and Bot API, the app, and the seeded
// history.
func BenchmarkStart(b *testing.B) {
	env := config.Env{HTTPAddr: "127.0.0.1:0", KeyPrefix: "cadrebot:", LogLevel: "info", LogFormat: "text"}
	today := time.Date(2026, 12, 3, 12, 0, 0, 0, shanghai)
	for b.Loop() {
		p, err := Start(context.Background(), Options{Env: env, Today: today, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkRenderEvent is the page's cost per chat change: one message
// rendered to HTML for every open event stream.
func BenchmarkRenderEvent(b *testing.B) {
	u := Zhao.User
	e := telegramtest.Entry{FromBot: true, Message: &models.Message{ID: 42, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: Traffic.ID}, From: &u, Text: "🆕 #12 停车与交通 · 待受理\n🏘 村：谢家坞村\n工业园区门口没有划定停车位",
		Entities: []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: 3, Length: 3}},
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "📥 受理", CallbackData: "p:acc:12:1"}, {Text: "✅ 办结", CallbackData: "p:res:12:1"}},
			{{Text: "↩️ 退回", CallbackData: "p:ret:12:1"}, {Text: "🔀 转派", CallbackData: "p:asg:12:1"}}}}}}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := pageTmpl.ExecuteTemplate(&buf, "msg", view(e, shanghai)); err != nil {
			b.Fatal(err)
		}
	}
}
