package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
	"cadrebot/clock"
	"cadrebot/send"
	"cadrebot/telegramtest"
)

// BenchmarkFanOut queues one message for each of b.N groups (a digest or a
// reminder round) and measures how fast the outbox delivers them to a fake
// Bot API that enforces Telegram's limits, with the default limits config.
// The target is at least 90% of the 30 msg/s global limit with no 429.
//
//	go test -run '^$' -bench BenchmarkFanOut -benchtime 900x ./app/
func BenchmarkFanOut(b *testing.B) {
	clk := clock.NewFake(apptest.Monday0800)
	tg := telegramtest.New(telegramtest.WithClock(clk.Now), telegramtest.WithTelegramLimits(telegramtest.DefaultLimits()),
		telegramtest.WithRecordLimit(1000)).Start()
	b.Cleanup(tg.Close)
	yaml := strings.Replace(apptest.DefaultYAML,
		"limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}", "", 1)
	e := apptest.Start(b, apptest.WithServer(tg), apptest.WithClock(clk), apptest.WithYAML(yaml))
	chats := make([]int64, b.N)
	for i := range chats {
		chats[i] = tg.Group(int64(-1009000000-i), fmt.Sprintf("村%d", i)).ID
	}
	ctx := context.Background()
	st := e.DB.Stats()
	rt0 := st.RoundTrips.Load()
	b.ResetTimer()
	start := time.Now()
	for i, chat := range chats {
		m := send.Message{ChatID: chat, Text: fmt.Sprintf("第49周周报 %d", i), Key: fmt.Sprintf("digest:w49:%d", chat)}
		if err := e.App.Sender.Enqueue(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	deadline := start.Add(time.Duration(b.N)*time.Second/20 + 30*time.Second)
	for tg.Stats().Sent < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d messages sent by the deadline", tg.Stats().Sent, b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	s := tg.Stats()
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "msg/s")
	b.ReportMetric(100*rate/float64(telegramtest.DefaultLimits().Global), "%-of-limit")
	b.ReportMetric(float64(s.TooManyRequests), "429s")
	b.ReportMetric(float64(s.MaxGlobalPerSecond), "peak-msg/s")
	b.ReportMetric(float64(st.RoundTrips.Load()-rt0)/float64(b.N), "redis-rtt/msg")
}
