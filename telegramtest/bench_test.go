package telegramtest

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func benchClient(b *testing.B, s *Server) *tgbot.Bot {
	// Keep-alive connections for every parallel goroutine: the default
	// transport keeps only two idle connections per host, which would make
	// the benchmark measure TCP handshakes instead of the server.
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	c, err := tgbot.New(testToken, tgbot.WithServerURL(s.URL), tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(0, &http.Client{Transport: tr}))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkSendMessageAndReact(b *testing.B) {
	s := New(WithRecordLimit(1000)).Start()
	defer s.Close()
	c := benchClient(b, s)
	const groups = 64
	for i := 0; i < groups; i++ {
		s.Group(-8000-int64(i), "G")
	}
	var n atomic.Int64
	react := []models.ReactionType{{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "👍"}}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			chat := -8000 - n.Add(1)%groups
			m, err := c.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: "<b>日报</b> 已收到", ParseMode: models.ParseModeHTML})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := c.SetMessageReaction(ctx, &tgbot.SetMessageReactionParams{ChatID: chat, MessageID: m.ID, Reaction: react}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "calls/s")
}
