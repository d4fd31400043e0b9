package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// The digest benchmark's deployment: 2,000 village groups of 20 cadres
// under 12 towns of one county, three department groups, the leaders'
// groups of the county and of each town, and the county chat.
const (
	benchGroups  = 2000
	benchMembers = 20
	benchTowns   = 12
	benchWeeks   = 5 // weeks of problems: the digest's, the one before, three older
	benchPerWeek = 2 // problems per group per week
)

// benchDigestCount is how many digests a firing composes: every village,
// the three departments, the county's and the towns' leaders' groups and
// the county chat.
const benchDigestCount = benchGroups + 3 + 1 + benchTowns + 1

func benchTownChat(i int) int64 { return -1100 - int64(i) }

var benchFiring = time.Date(2026, 12, 7, 9, 0, 0, 0, apptest.Shanghai) // Monday: the week of Nov 30

// benchSeed writes the deployment under a fresh prefix. Groups, rosters,
// check-in bits and leave go in pipelines of raw commands (in the layout
// store/keys.go and the attendance package define; benchCheck verifies
// it through the store); problems go through the store's own write path,
// from 32 goroutines.
func benchSeed(b *testing.B, rdb redis.UniversalClient, db *store.DB, cal *calendar.Calendar) {
	ctx := context.Background()
	p := db.Prefix()
	week := digest.LastWeek(benchFiring, apptest.Shanghai)
	from := week.Prev().From
	t0 := time.Now()
	pipe := rdb.Pipeline()
	flush := func() {
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	tag := func(chat int64) string { return p + "{g" + strconv.FormatInt(chat, 10) + "}" }
	created := strconv.FormatInt(from.AddDays(-60).Time(apptest.Shanghai).Unix(), 10)
	leaders := []struct {
		chat  int64
		title string
	}{{-1002, "交通运输局"}, {-1004, "生态环境分局"}, {-1003, "县驻村办"}, {-1009, "县领导群"}, {-1008, "柯桥区领导群"}}
	for i := range benchTowns {
		leaders = append(leaders, struct {
			chat  int64
			title string
		}{benchTownChat(i), fmt.Sprintf("第%d镇领导群", i+1)})
	}
	for _, d := range leaders {
		pipe.SAdd(ctx, p+"groups", d.chat)
		pipe.HSet(ctx, tag(d.chat)+":meta", "title", d.title, "created", created)
	}
	since := from.AddDays(-60).String()
	for g := range benchGroups {
		chat := benchChat(g)
		t := tag(chat)
		pipe.SAdd(ctx, p+"groups", chat)
		pipe.HSet(ctx, t+":meta", "title", fmt.Sprintf("第%d村工作群", g+1), "village", fmt.Sprintf("第%d村", g+1), "created", created,
			"town", fmt.Sprintf("第%d镇", g%benchTowns+1))
		for m := range benchMembers {
			user := strconv.Itoa(100000 + g*benchMembers + m)
			js, _ := json.Marshal(map[string]any{"n": "干部" + user, "i": m})
			pipe.HSet(ctx, t+":members", user, js)
			pipe.HSet(ctx, t+":idx", user, m)
			// Periods of service, as /join writes them: the last cadre of
			// each village joined in the digest's week.
			svcFrom := since
			if m == benchMembers-1 {
				svcFrom = week.From.AddDays(2).String()
			}
			sj, _ := json.Marshal(map[string]any{"n": "干部" + user, "p": []map[string]string{{"f": svcFrom, "b": "第19批", "h": "县农业农村局"}}})
			pipe.HSet(ctx, t+":svc", user, sj)
			for d := from; !d.After(week.To); d = d.AddDays(1) {
				onLeave := m == 3 && !d.Before(week.From.AddDays(1)) && !d.After(week.From.AddDays(2))
				if cal.IsWorkday(d) && (g+m+d.Day)%7 != 0 && !onLeave { // about 6 in 7 workdays
					pipe.SetBit(ctx, t+":ci:"+strconv.Itoa(d.Year), attendance.BitOffset(m, d), 1)
				}
			}
			if m == 3 { // one cadre a group on leave for two days
				ls := attendance.Leaves{{From: week.From.AddDays(1), To: week.From.AddDays(2), Kind: cadrebot.LeaveAbsence}}
				js, _ := json.Marshal(ls)
				pipe.HSet(ctx, t+":leave", user, js)
			}
		}
		pipe.HSet(ctx, t+":idx", "_seq", benchMembers)
		if g%50 == 49 {
			flush()
		}
	}
	flush()
	b.Logf("check-ins seeded in %s", time.Since(t0).Round(time.Millisecond))

	// Problems: benchPerWeek per group per week, in every state.
	type job struct{ g, w, k int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	depts := []string{"traffic", "environment", "county"}
	var failed error
	var mu sync.Mutex
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := benchProblem(ctx, db, j.g, j.w, j.k, depts[(j.g+j.k)%3], week); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		}()
	}
	for g := range benchGroups {
		for w := range benchWeeks {
			for k := range benchPerWeek {
				jobs <- job{g, w, k}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
}

func benchChat(g int) int64 { return -1009000000 - int64(g) }

// benchProblem reports one problem in week-w-before-the-digest's week and
// moves it along: resolved, closed, accepted or left new by turns.
func benchProblem(ctx context.Context, db *store.DB, g, w, k int, dept string, week digest.Period) error {
	created := week.Start().AddDate(0, 0, -7*w+(g+k)%5).Add(10*time.Hour + time.Duration(k*30)*time.Minute)
	user := int64(100000 + g*benchMembers + k)
	p := cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: benchChat(g), Village: fmt.Sprintf("第%d村", g+1),
		Reporter: user, ReporterName: "干部", Category: "parking", Dept: dept, Text: "工业园区门口没有停车位，进出车辆有安全隐患",
		Created: created, SLA: 72 * time.Hour, Due: created.Add(72 * time.Hour)}
	if _, err := db.CreateProblem(ctx, &p, cadrebot.Entry{At: created, By: user, Action: cadrebot.ActCreate, To: p.Status, Dept: dept}, false); err != nil {
		return err
	}
	steps := []cadrebot.Action{}
	switch (g + w + k) % 4 {
	case 0:
		steps = []cadrebot.Action{cadrebot.ActAccept, cadrebot.ActResolve}
	case 1:
		steps = []cadrebot.Action{cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActClose}
	case 2:
		steps = []cadrebot.Action{cadrebot.ActAccept}
	}
	at := created
	for _, a := range steps {
		at = at.Add(time.Duration(5+g%40) * time.Hour)
		if at.After(benchFiring) {
			break
		}
		np, e, err := cadrebot.Transition(p, cadrebot.Change{Action: a, Roles: cadrebot.RoleDeployAdmin, By: 1, Name: "办理人",
			Note: "已处理"}, at)
		if err != nil {
			return err
		}
		if err := db.ApplyProblem(ctx, p, np, e); err != nil {
			return err
		}
		p = np
	}
	return nil
}

// benchCheck verifies the raw seeding through the store: a group's
// roster and check-in rate come back as seeded.
func benchCheck(b *testing.B, db *store.DB, cal *calendar.Calendar) {
	week := digest.LastWeek(benchFiring, apptest.Shanghai)
	ps, err := db.CheckinPeriods(context.Background(), []int64{benchChat(7)}, week.From, week.To)
	if err != nil {
		b.Fatal(err)
	}
	r := attendance.Rates(cal, ps[benchChat(7)])
	if len(r.Members) != benchMembers || r.Present == 0 || r.Members[3].Leave != 2 || r.Members[benchMembers-1].Workdays >= r.Workdays {
		b.Fatalf("seeded group reads back as %d members, %d present, member 3 on leave %d days, the last one serving %d of %d workdays",
			len(r.Members), r.Present, r.Members[3].Leave, r.Members[benchMembers-1].Workdays, r.Workdays)
	}
}

func benchDigests(db *store.DB, texts *i18n.Catalog, cal *calendar.Calendar, cfg *config.File) *handlers.Digests {
	return &handlers.Digests{Store: db, Texts: texts, Cal: cal, Cfg: cfg, Loc: apptest.Shanghai,
		Now: func() time.Time { return benchFiring }}
}

// BenchmarkDigests computes every digest of a firing for 2,000 groups of
// 20: load (pipelined), figures, texts and chart inputs, for the village
// groups, the departments and the county. Charts are rendered in
// BenchmarkDigestCharts.
//
//	go test -run '^$' -bench BenchmarkDigests$ -benchtime 5x ./app/
func BenchmarkDigests(b *testing.B) {
	db, texts, cal, cfg := benchSetup(b)
	ctx := context.Background()
	var rts, cmds int64
	var n int
	for b.Loop() {
		r0, c0 := db.Stats().RoundTrips.Load(), db.Stats().Commands.Load()
		ps, err := benchDigests(db, texts, cal, cfg).Preview(ctx, benchFiring)
		if err != nil {
			b.Fatal(err)
		}
		rts += db.Stats().RoundTrips.Load() - r0
		cmds += db.Stats().Commands.Load() - c0
		n = len(ps)
	}
	if n != benchDigestCount {
		b.Fatalf("%d digests, want %d", n, benchDigestCount)
	}
	b.ReportMetric(float64(rts)/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(cmds)/float64(b.N), "commands/op")
	b.ReportMetric(float64(n), "digests/op")
}

// BenchmarkDigestCharts renders the chart of every digest, and the
// attached league workbook of the leaders' digests too long for a
// message, on all cores, as the jobs do while sending.
//
//	go test -run '^$' -bench BenchmarkDigestCharts -benchtime 1x ./app/
func BenchmarkDigestCharts(b *testing.B) {
	db, texts, cal, cfg := benchSetup(b)
	ps, err := benchDigests(db, texts, cal, cfg).Preview(context.Background(), benchFiring)
	if err != nil {
		b.Fatal(err)
	}
	var bytes, attached, xlsxBytes int64
	var xlsxTime time.Duration
	for b.Loop() {
		work := make(chan handlers.Preview)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range work {
					png, err := p.Report.Render()
					if err != nil {
						b.Error(err)
					}
					var xlsx []byte
					var spent time.Duration
					if len(p.Report.Attachment) > 0 {
						t0 := time.Now()
						if xlsx, err = digest.XLSX(p.Report.Attachment); err != nil {
							b.Error(err)
						}
						spent = time.Since(t0)
					}
					mu.Lock()
					bytes += int64(len(png))
					if xlsx != nil {
						attached++
						xlsxTime += spent
						xlsxBytes += int64(len(xlsx))
					}
					mu.Unlock()
				}
			}()
		}
		for _, p := range ps {
			work <- p
		}
		close(work)
		wg.Wait()
	}
	b.ReportMetric(float64(len(ps)), "charts/op")
	b.ReportMetric(float64(attached)/float64(b.N), "workbooks/op")
	if attached > 0 {
		b.ReportMetric(float64(xlsxTime.Milliseconds())/float64(attached), "ms/workbook")
		b.ReportMetric(float64(xlsxBytes)/float64(attached)/1024, "KiB/workbook")
	}
	b.ReportMetric(float64(bytes)/float64(b.N)/float64(len(ps))/1024, "KiB/chart")
}

func benchSetup(b *testing.B) (*store.DB, *i18n.Catalog, *calendar.Calendar, *config.File) {
	b.Helper()
	rdb := apptest.NewRedis(b)
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	prefix := "cadrebot-bench:" + hex.EncodeToString(buf) + ":"
	b.Cleanup(func() { apptest.DeletePrefix(b, prefix) })
	db := store.New(rdb, prefix)
	cal := calendar.New(calendar.Overrides{})
	start := time.Now()
	benchSeed(b, rdb, db, cal)
	benchCheck(b, db, cal)
	b.Logf("seeded %d groups x %d members, %d problems in %s", benchGroups, benchMembers,
		benchGroups*benchWeeks*benchPerWeek, time.Since(start).Round(time.Millisecond))
	texts, err := i18n.Load("zh")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DigestChatID = -1009
	cfg.Categories = []config.Category{{ID: "parking", Name: "停车与交通", Department: "traffic"}}
	cfg.Departments = []config.Department{{ID: "traffic", Name: "交通运输局", ChatID: -1002, Parent: "county"},
		{ID: "environment", Name: "生态环境分局", ChatID: -1004, Parent: "county"}, {ID: "county", Name: "县驻村办", ChatID: -1003}}
	cfg.Units = []config.Unit{{ID: "keqiao", Name: "柯桥区", Level: config.LevelCounty, ChatID: -1008}}
	for i := range benchTowns {
		cfg.Units = append(cfg.Units, config.Unit{ID: fmt.Sprintf("town%d", i+1), Name: fmt.Sprintf("第%d镇", i+1),
			Level: config.LevelTown, Parent: "keqiao", ChatID: benchTownChat(i)})
	}
	b.ResetTimer()
	return db, texts, cal, &cfg
}

// BenchmarkDigestOutboxPeak puts every digest of a firing (text, chart
// and attached workbook) into the outbox at once, as when Telegram's
// 30 messages a second hold them back, and reports what Redis holds for
// them at that peak (INFO used_memory), with the size the same messages
// would have as JSON with their files base64-encoded inside (how the
// outbox stored uploads before). Run it on a Redis of its own, so that
// no one else's keys move used_memory:
//
//	REDIS_URL=redis://127.0.0.1:6391/0 go test -run '^$' -bench BenchmarkDigestOutboxPeak -benchtime 1x ./app/
func BenchmarkDigestOutboxPeak(b *testing.B) {
	db, texts, cal, cfg := benchSetup(b)
	ps, err := benchDigests(db, texts, cal, cfg).Preview(context.Background(), benchFiring)
	if err != nil {
		b.Fatal(err)
	}
	var msgs []send.Message
	for _, p := range ps {
		m := send.Message{ChatID: p.Chat, Text: p.Report.Text}
		png, err := p.Report.Render()
		if err != nil {
			b.Fatal(err)
		}
		m.Photo = &send.File{Name: "digest.png", Data: png}
		msgs = append(msgs, m)
		if len(p.Report.Attachment) > 0 {
			x, err := digest.XLSX(p.Report.Attachment)
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, send.Message{ChatID: p.Chat, Text: p.Report.AttachmentText, Document: &send.File{Name: p.Report.AttachmentName, Data: x}})
		}
	}
	var inline int64
	for _, m := range msgs {
		j, err := json.Marshal(m) // []byte as base64, as before
		if err != nil {
			b.Fatal(err)
		}
		inline += int64(len(j))
	}
	rdb := apptest.NewRedis(b)
	ctx := context.Background()
	used := func() int64 {
		s, err := rdb.Info(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(s, "\r\n") {
			if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		b.Fatal("no used_memory")
		return 0
	}
	var peak int64
	for b.Loop() {
		b.StopTimer()
		before := used()
		b.StartTimer()
		for i, m := range msgs {
			m.Key = "bench:" + strconv.Itoa(i)
			if _, err := db.OutboxAdd(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		peak = used() - before
		if err := rdb.Del(ctx, db.Prefix()+"{outbox}").Err(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(msgs)), "messages")
	b.ReportMetric(float64(peak)/(1<<20), "redis-MiB")
	b.ReportMetric(float64(inline)/(1<<20), "base64-json-MiB")
}
