package app_test

import (
	"fmt"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
)

// BenchmarkUpdates drives /join updates from many users in 100 groups
// through the fake Bot API into the whole service with real Redis, and
// reports updates/s and Redis commands and round trips per update.
func BenchmarkUpdates(b *testing.B) {
	e := apptest.Start(b)
	groups := make([]models.Chat, 100)
	for i := range groups {
		groups[i] = e.TG.Group(int64(-1000000-i), fmt.Sprintf("g%d", i))
	}
	// Warm up: every group registered, connections open.
	for i, g := range groups {
		e.TG.SendText(g, models.User{ID: int64(i + 1), FirstName: "w"}, "/help")
	}
	e.Drain()
	st := e.DB.Stats()
	cmd0, rt0 := st.Commands.Load(), st.RoundTrips.Load()
	sent0 := e.TG.CallCount("sendMessage")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := groups[i%len(groups)]
		e.TG.SendText(g, models.User{ID: int64(100000 + i), FirstName: "cadre"}, "/join")
	}
	e.Wait("every /join answered", func() bool { return e.TG.CallCount("sendMessage")-sent0 >= b.N })
	b.StopTimer()
	// The poller's getUpdates offset writes are per batch, not per update;
	// they are included, which is what production pays.
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(st.Commands.Load()-cmd0)/float64(b.N), "redis-cmds/update")
	b.ReportMetric(float64(st.RoundTrips.Load()-rt0)/float64(b.N), "redis-rtt/update")
}
