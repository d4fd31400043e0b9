package app_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/clock"
	"cadrebot/telegramtest"
)

// BenchmarkCheckinThroughput drives check-ins through the whole stack:
// the fake Bot API (getUpdates, setMessageReaction, the boards), the real
// poller, dispatcher, router and handler, and real Redis. Each group's 20
// members check in once a day; after every member of every group has, the
// fake clock moves to the next workday, so each day also creates one
// board per group, and within a day the clock follows the wall clock, so
// boards are edited as often as the debounce allows. Figures:
// docs/benchmarks.md.
//
//	go test ./app -run '^$' -bench CheckinThroughput -benchtime 40000x
func BenchmarkCheckinThroughput(b *testing.B) {
	const groups, members = 200, 20
	clk := clock.NewFake(apptest.Monday0800)
	srv := telegramtest.New(telegramtest.WithClock(clk.Now), telegramtest.WithRecordLimit(1000)).Start()
	b.Cleanup(srv.Close)
	// Milestones are left out: in the field a cadre reaches one of
	// 5, 10, 20, 50, 100 five times in 100 workdays, but a benchmark that
	// starts from nothing would send a reply for every check-in of day 5.
	yaml := apptest.DefaultYAML + "checkin:\n  milestones: [100000]\n"
	e := apptest.Start(b, apptest.WithServer(srv), withClock(clk), apptest.WithYAML(yaml),
		apptest.WithoutScheduler(), apptest.WithEnv("CADREBOT_LOG_LEVEL", "warn"))
	ctx := context.Background()
	chats := make([]models.Chat, groups)
	// Each cadre serves one village, as in the field (and so per-user
	// flood control sees one check-in per person per day).
	users := make([][]models.User, groups)
	for i := range chats {
		users[i] = make([]models.User, members)
		for j := range users[i] {
			users[i][j] = models.User{ID: int64(50000 + i*members + j), FirstName: fmt.Sprintf("干部%d-%02d", i, j)}
		}
		chats[i] = srv.Group(int64(-7000000-i), fmt.Sprintf("村%04d", i))
		village := fmt.Sprintf("村%04d", i)
		if err := e.DB.UpdateGroup(ctx, chats[i].ID, cadrebot.GroupPatch{Village: &village}); err != nil {
			b.Fatal(err)
		}
		for _, u := range users[i] {
			if _, err := e.DB.AddMember(ctx, chats[i].ID, cadrebot.Member{UserID: u.ID, Name: u.FirstName}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm up: scripts loaded, connections open, one board per group.
	for i := range chats {
		srv.SendText(chats[i], users[i][0], "打卡")
	}
	e.Drain()

	stats := e.DB.Stats()
	rt0, cmd0 := stats.RoundTrips.Load(), stats.Commands.Load()
	cpu0, rcpu0 := cpuTime(b), redisCPU(b, e)
	react0 := srv.CallCount("setMessageReaction")
	day := apptest.Monday0800
	b.ResetTimer()
	start := time.Now()
	tick := time.Now()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%(groups*members) == 0 {
			// Everyone has checked in: on to the next workday.
			e.Drain()
			day = e.App.Calendar.NextWorkday(calendar.DateOf(day)).Time(apptest.Shanghai).Add(8 * time.Hour)
			clk.Set(day)
		}
		if i%256 == 0 {
			// The service clock follows the wall clock within a day, so
			// the boards are refreshed as often as the debounce allows,
			// as they would be.
			now := time.Now()
			clk.Advance(now.Sub(tick))
			tick = now
		}
		g, m := i%groups, (i/groups)%members
		srv.SendText(chats[g], users[g][m], "/checkin 在村委会")
	}
	e.Drain()
	e.Wait("every check-in acknowledged", func() bool { return srv.CallCount("setMessageReaction")-react0 >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	n := float64(b.N)
	// CPU per check-in is what the machine's capacity divides: this
	// process (bot and fake Bot API) plus the Redis server.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/n, "µs-cpu-bot+api/checkin")
	b.ReportMetric(float64((redisCPU(b, e)-rcpu0).Microseconds())/n, "µs-cpu-redis/checkin")
	b.ReportMetric(n/elapsed.Seconds(), "checkins/s")
	b.ReportMetric(float64(stats.RoundTrips.Load()-rt0)/n, "redis-roundtrips/checkin")
	b.ReportMetric(float64(stats.Commands.Load()-cmd0)/n, "redis-cmds/checkin")
	calls := srv.Stats().Calls
	b.ReportMetric(float64(calls["editMessageText"]+calls["sendMessage"])/n, "board-sends/checkin")
	if got := calls["setMessageReaction"]; got < b.N {
		b.Errorf("%d reactions for %d check-ins", got, b.N)
	}
}

// cpuTime is the user and system CPU time of this process.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the Redis server's user and system CPU time (INFO cpu).
func redisCPU(b *testing.B, e *apptest.Env) time.Duration {
	info, err := e.Redis.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

func withClock(c *clock.Fake) apptest.Option { return func(e *apptest.Env) { e.Clock = c } }
