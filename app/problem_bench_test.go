package app_test

import (
	"fmt"
	"os"
	"runtime/pprof"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
)

// BenchmarkReports files one-step reports through the whole stack: the
// fake Bot API, the real poller and router, real Redis. Each report is
// two updates, "/report TEXT" and the press of its category button, and
// ends with the card posted in the department chat. It reports reports/s
// and Redis commands and round trips per report (both updates, the
// intake included).
func BenchmarkReports(b *testing.B) {
	e, villages := reportVillages(b)
	st := e.DB.Stats()
	cmd0, rt0 := st.Commands.Load(), st.RoundTrips.Load()
	sent0 := e.TG.CallCount("sendMessage")
	b.ResetTimer()
	cpu0, rcpu0 := cpuTime(b), redisCPU(b, e)
	defer profileCPU(b)()
	users := make([]models.User, b.N)
	for i := range villages {
		users[i] = models.User{ID: int64(8000000 + i), FirstName: "cadre"}
		e.TG.SendText(villages[i], users[i], "/report 工业园区旁没有划定停车位，车辆进出有安全隐患")
	}
	// Waiting counts API calls, which is cheap, rather than scanning the
	// chats, which would compete with the bot for the CPU.
	sends := func() int { return e.TG.CallCount("sendMessage") }
	e.Wait("every category prompt", func() bool { return sends()-sent0 >= b.N })
	prompts := make([]int, b.N)
	for i, v := range villages {
		for _, m := range e.TG.Sent(v.ID) {
			if m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
				prompts[i] = m.ID
			}
		}
	}
	for i, v := range villages {
		if _, err := e.TG.PressButton(v, users[i], prompts[i], "停车与交通"); err != nil {
			b.Fatal(err)
		}
	}
	e.Wait("every card", func() bool { return sends()-sent0 >= 2*b.N })
	e.Drain()
	b.StopTimer()
	// CPU per report is steadier than reports/s on a shared machine: this
	// process (bot and fake Bot API, as in the check-in benchmark) and
	// the Redis server.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "µs-cpu-bot+api/report")
	b.ReportMetric(float64((redisCPU(b, e)-rcpu0).Microseconds())/float64(b.N), "µs-cpu-redis/report")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(st.Commands.Load()-cmd0)/float64(b.N), "redis-cmds/report")
	b.ReportMetric(float64(st.RoundTrips.Load()-rt0)/float64(b.N), "redis-rtt/report")
}

// BenchmarkReportAlone files the same reports one at a time, each waiting
// for the last one's card: the round trips of a report on a quiet bot,
// whose card goes straight out (a burst queues cards in the outbox behind
// the department chat's budget, which BenchmarkReports measures). The
// figure includes what the service does in the background meanwhile
// (lease refreshes, the sender's blocking read), a fraction per report.
func BenchmarkReportAlone(b *testing.B) {
	e, villages := reportVillages(b)
	st := e.DB.Stats()
	cmd0, rt0 := st.Commands.Load(), st.RoundTrips.Load()
	sends := func() int { return e.TG.CallCount("sendMessage") }
	b.ResetTimer()
	for i, v := range villages {
		u := models.User{ID: int64(8000000 + i), FirstName: "cadre"}
		n := sends()
		e.TG.SendText(v, u, "/report 工业园区旁没有划定停车位，车辆进出有安全隐患")
		e.Wait("the category prompt", func() bool { return sends() > n })
		var prompt int
		for _, m := range e.TG.Sent(v.ID) {
			if m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
				prompt = m.ID
			}
		}
		if _, err := e.TG.PressButton(v, u, prompt, "停车与交通"); err != nil {
			b.Fatal(err)
		}
		e.Wait("the card", func() bool { return sends() > n+1 })
	}
	e.Drain() // Drain reads Redis too: once, not per report
	b.StopTimer()
	b.ReportMetric(float64(st.Commands.Load()-cmd0)/float64(b.N), "redis-cmds/report")
	b.ReportMetric(float64(st.RoundTrips.Load()-rt0)/float64(b.N), "redis-rtt/report")
}

// reportVillages starts the service with a department and b.N village
// groups set up: a village per report, so no duplicate hint interrupts
// the filing.
func reportVillages(b *testing.B) (*apptest.Env, []models.Chat) {
	e := apptest.Start(b, apptest.WithoutScheduler())
	e.TG.Group(-1002, "交通运输局")
	villages := make([]models.Chat, b.N)
	for i := range villages {
		villages[i] = e.TG.Group(int64(-3000000-i), fmt.Sprintf("village %d", i))
		admin := models.User{ID: int64(7000000 + i), FirstName: "admin"}
		e.MakeAdmin(villages[i].ID, admin)
		e.TG.SendText(villages[i], admin, fmt.Sprintf("/setup 村%d", i))
	}
	e.Drain()
	return e, villages
}

// profileCPU writes a CPU profile of the measured part of a benchmark to
// the file BENCH_CPUPROFILE names (-cpuprofile covers the setup too, which
// here is most of the run), and returns the function that ends it.
//
//	BENCH_CPUPROFILE=/tmp/reports.prof go test -run '^$' -bench 'BenchmarkReports$' -benchtime 3000x ./app/
func profileCPU(b *testing.B) func() {
	path := os.Getenv("BENCH_CPUPROFILE")
	if path == "" || b.N == 1 {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}
