package dashboard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/dashboard"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
	"cadrebot/storetest"
)

// The load benchmark's deployment: 2,000 village groups of 20 cadres in
// 100 towns, twelve weeks of check-ins, and 60,000 problems over the year
// before, most of the older ones closed.
const (
	benchVillages = 2000
	benchMembers  = 20
	benchTowns    = 100
	benchProblems = 60000
	benchAdmin    = 9001
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	// benchNow is a Wednesday afternoon.
	benchNow = time.Date(2026, 12, 9, 15, 0, 0, 0, shanghai)
)

// bench is the seeded deployment, shared by the benchmarks of one run and
// deleted when the run ends.
var bench struct {
	once   sync.Once
	prefix string
	db     *store.DB
	cal    *calendar.Calendar
	texts  *i18n.Catalog
	cfg    *config.File
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.prefix != "" {
		storetest.Delete(bench.prefix)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		rdb := storetest.Dial(b)
		buf := make([]byte, 6)
		_, _ = rand.Read(buf)
		bench.prefix = "cadrebot-bench:" + hex.EncodeToString(buf) + ":"
		bench.db = store.New(rdb, bench.prefix)
		bench.cal = calendar.New(calendar.Overrides{})
		t0 := time.Now()
		if bench.err = seed(rdb, bench.db, bench.cal); bench.err != nil {
			return
		}
		b.Logf("seeded %d village groups x %d cadres, %d problems in %s", benchVillages, benchMembers, benchProblems,
			time.Since(t0).Round(time.Millisecond))
		if bench.texts, bench.err = i18n.Load("zh"); bench.err != nil {
			return
		}
		cfg := config.Defaults()
		cfg.Admins = []int64{benchAdmin}
		cfg.Categories = []config.Category{{ID: "parking", Name: "停车与交通", Department: "traffic"},
			{ID: "sanitation", Name: "环境卫生", Department: "environment"}}
		cfg.Departments = []config.Department{{ID: "traffic", Name: "交通运输局", ChatID: -1002, Parent: "county"},
			{ID: "environment", Name: "生态环境分局", ChatID: -1004, Parent: "county"}, {ID: "county", Name: "县驻村办", ChatID: -1003}}
		bench.cfg = &cfg
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	b.ResetTimer()
}

func benchChat(g int) int64 { return -1009000000 - int64(g) }

// seed writes the deployment: groups, rosters and check-in bitmaps in the
// store's layout with raw pipelines (one SET per group-year: the
// bitmap built here, bit i*368+day as attendance.BitOffset places it),
// read back through the store to check; problems through the store's
// own write path.
func seed(rdb redis.UniversalClient, db *store.DB, cal *calendar.Calendar) error {
	ctx := context.Background()
	p := db.Prefix()
	today := calendar.DateOf(benchNow)
	from := digest.WeekOf(today, shanghai).From.AddDays(-7 * 11)
	pipe := rdb.Pipeline()
	tag := func(chat int64) string { return p + "{g" + strconv.FormatInt(chat, 10) + "}" }
	created := strconv.FormatInt(benchNow.AddDate(-1, 0, -7).Unix(), 10)
	for g := range benchVillages {
		chat := benchChat(g)
		t := tag(chat)
		pipe.SAdd(ctx, p+"groups", chat)
		pipe.HSet(ctx, t+":meta", "title", fmt.Sprintf("第%d村工作群", g+1), "village", fmt.Sprintf("第%d村", g+1),
			"town", fmt.Sprintf("第%d镇", g%benchTowns+1), "created", created)
		bits := make([]byte, benchMembers*attendance.RowBytes)
		for m := range benchMembers {
			user := strconv.Itoa(100000 + g*benchMembers + m)
			js, _ := json.Marshal(map[string]any{"n": "干部" + user, "i": m})
			pipe.HSet(ctx, t+":members", user, js)
			pipe.HSet(ctx, t+":idx", user, m)
			for d := from; !d.After(today); d = d.AddDays(1) {
				if cal.IsWorkday(d) && (g+m+d.Day)%7 != 0 && (g%50 != 7 || m%2 == 0) { // about 6 in 7; some villages lag
					off := attendance.BitOffset(m, d)
					bits[off/8] |= 0x80 >> (off % 8)
				}
			}
		}
		pipe.HSet(ctx, t+":idx", "_seq", benchMembers)
		pipe.Set(ctx, t+":ci:"+strconv.Itoa(today.Year), bits, 0)
		if g%50 == 49 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	ps, err := db.CheckinPeriods(ctx, []int64{benchChat(3)}, today.AddDays(-2), today)
	if err != nil {
		return err
	}
	if r := attendance.Rates(cal, ps[benchChat(3)]); len(r.Members) != benchMembers || r.Present == 0 {
		return fmt.Errorf("seeded group reads back as %d members, %d present", len(r.Members), r.Present)
	}

	jobs := make(chan int)
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				if err := seedProblem(ctx, db, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range benchProblems {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

// seedProblem stores problem i in its final state: reported at a spread
// over the year before benchNow; of those older than three weeks nearly
// all closed, of the recent ones half still open.
func seedProblem(ctx context.Context, db *store.DB, i int) error {
	g := (i * 7919) % benchVillages
	age := time.Duration(i%364)*24*time.Hour + time.Duration(i%9)*time.Hour
	created := benchNow.Add(-age)
	dept, cat := "traffic", "parking"
	if i%3 == 0 {
		dept, cat = "environment", "sanitation"
	}
	pr := cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: benchChat(g), Village: fmt.Sprintf("第%d村", g+1),
		Reporter: int64(100000 + g*benchMembers + i%benchMembers), ReporterName: "干部", Category: cat, Dept: dept,
		Text: "工业园区门口没有停车位，进出车辆有安全隐患", Created: created, SLA: 72 * time.Hour, Due: created.Add(72 * time.Hour)}
	if i%5 == 0 {
		pr.HasLoc, pr.Lat, pr.Lon = true, 29.5+float64(g%40)*0.02, 120.2+float64(g/40)*0.02
	}
	recent := age < 21*24*time.Hour
	switch k := i % 100; {
	case recent && k < 20, !recent && k < 1:
		// new
	case recent && k < 50, !recent && k < 3:
		pr.Status = cadrebot.StatusAccepted
	case recent && k < 80, !recent && k < 6:
		pr.Status, pr.ResolvedAt = cadrebot.StatusResolved, created.Add(time.Duration(20+k)*time.Hour)
	default:
		pr.Status, pr.ResolvedAt = cadrebot.StatusClosed, created.Add(time.Duration(20+k)*time.Hour)
		pr.ClosedAt = pr.ResolvedAt.Add(24 * time.Hour)
	}
	_, err := db.CreateProblem(ctx, &pr, cadrebot.Entry{At: created, By: pr.Reporter, Action: cadrebot.ActCreate, To: pr.Status, Dept: dept}, false)
	return err
}

var countRE = regexp.MustCompile(`<p class="count"[^>]*>[^<]*</p>`)

// admins lets benchAdmin see everything; nobody is in any group.
type admins struct{}

func (admins) IsDeploymentAdmin(user int64) bool                        { return user == benchAdmin }
func (admins) IsChatMember(context.Context, int64, int64) (bool, error) { return false, nil }

// server is a dashboard over the seeded deployment with nothing loaded
// yet: every page it serves first reads Redis.
func server(publicURL string) *dashboard.Server {
	dg := &handlers.Digests{Store: bench.db, Cfg: bench.cfg}
	src := &dashboard.Deployment{Store: bench.db, Members: admins{}, Tree: dg.Tree, Cfg: bench.cfg, Cal: bench.cal, Loc: shanghai,
		Now: func() time.Time { return benchNow },
		Workbook: func(context.Context, dashboard.ExportScope, digest.Period, string) (*send.File, error) {
			return &send.File{Name: "x.xlsx"}, nil
		}}
	return &dashboard.Server{Units: src, Figures: src, Problems: src, Export: src, Sessions: bench.db, Texts: bench.texts,
		Cfg: bench.cfg, Token: "123456:bench-token", PublicURL: publicURL, Loc: shanghai, Now: func() time.Time { return benchNow },
		SessionTTL: time.Hour}
}

// session signs the admin in and returns the session cookie.
func session(b *testing.B) *http.Cookie {
	b.Helper()
	const id = "bench-session-id-bench-session-id"
	if err := bench.db.SaveDashSession(context.Background(), id, store.DashSession{User: benchAdmin, Lang: "zh"}, time.Hour); err != nil {
		b.Fatal(err)
	}
	return &http.Cookie{Name: "cadrebot_dash", Value: id}
}

// BenchmarkPage is the server time of dashboard pages over 2,000 village
// groups of 20 cadres and 60,000 problems: cold, a new dashboard with
// nothing loaded (every page reads Redis), and warm, the same dashboard
// again within its 30 s.
//
//	go test -run '^$' -bench BenchmarkPage -benchtime 10x ./dashboard/
func BenchmarkPage(b *testing.B) {
	benchSetup(b)
	ck := session(b)
	for _, pg := range []struct{ name, path, want string }{
		{"league", "/dash/league?u=d:", `data-name="第1镇"`},
		{"league-villages", "/dash/league?u=d:&level=village", `data-name="第2000村"`},
		{"league-town", "/dash/league?u=u:t:第7镇", `data-name="第7村"`},
		{"depts", "/dash/depts?u=d:", `data-name="交通运输局"`},
		{"problems", "/dash/problems?u=d:", `data-id="`},
		{"problem", "/dash/problem/77?u=d:", `id="history"`},
		{"map", "/dash/map?u=d:", `<circle`},
		{"trend", "/dash/trend?u=d:", `2026-W50`},
	} {
		for _, warm := range []bool{false, true} {
			name := pg.name + "/cold"
			if warm {
				name = pg.name + "/warm"
			}
			b.Run(name, func(b *testing.B) {
				srv := server("")
				h := srv.Handler()
				serve := func() int {
					req := httptest.NewRequest(http.MethodGet, pg.path, nil)
					req.AddCookie(ck)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), pg.want) {
						b.Fatalf("%s = %d, lacks %q", pg.path, rec.Code, pg.want)
					}
					if m := countRE.FindString(rec.Body.String()); m != "" && !warm {
						b.Logf("%s: %s", pg.path, m)
					}
					return rec.Body.Len()
				}
				if warm {
					serve()
				}
				size := 0
				var rts, cmds int64
				for b.Loop() {
					if !warm {
						b.StopTimer()
						h = server("").Handler()
						b.StartTimer()
					}
					r0, c0 := bench.db.Stats().RoundTrips.Load(), bench.db.Stats().Commands.Load()
					size = serve()
					rts += bench.db.Stats().RoundTrips.Load() - r0
					cmds += bench.db.Stats().Commands.Load() - c0
				}
				b.ReportMetric(float64(size)/1024, "KiB/page")
				b.ReportMetric(float64(rts)/float64(b.N), "roundtrips/op")
				b.ReportMetric(float64(cmds)/float64(b.N), "commands/op")
			})
		}
	}
}

// BenchmarkFirstRender is the time from navigation to the first paint of
// the league table (of the towns, and of all 2,000 villages) in headless
// Chromium, the page's server time included (a new dashboard each time:
// nothing loaded), as the browser's Paint Timing reports it; and when the
// page's last byte arrived (Navigation Timing's responseEnd).
//
//	go test -run '^$' -bench BenchmarkFirstRender -benchtime 10x ./dashboard/
func BenchmarkFirstRender(b *testing.B) {
	path := os.Getenv("CADREBOT_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		b.Skipf("chromium not found at %s; run scripts/ensure-chromium.sh", path)
	}
	benchSetup(b)
	ck := session(b)
	var cur atomic.Pointer[http.Handler]
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*cur.Load()).ServeHTTP(w, r) }))
	defer ts.Close()
	fresh := func() { h := server(ts.URL).Handler(); cur.Store(&h) }
	fresh()

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(b.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	defer cancelA()
	ctx, cancelT := chromedp.NewContext(actx)
	defer cancelT()
	// The cookie goes in through a page of the origin: Chromium keeps it
	// for the next navigation.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dash/static/dash.css"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.cookie = %q`, ck.Name+"="+ck.Value+"; path=/dash/"))); err != nil {
		b.Fatal(err)
	}
	for _, pg := range []struct {
		name, path string
		rows       int
	}{{"league", "/dash/league?u=d:", benchTowns}, {"league-villages", "/dash/league?u=d:&level=village", benchVillages}} {
		b.Run(pg.name, func(b *testing.B) {
			var total, resp float64
			for b.Loop() {
				b.StopTimer()
				fresh()
				b.StartTimer()
				if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+pg.path)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// The entry may land a moment after the load event.
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](`performance.getEntriesByName("first-contentful-paint").length > 0`,
					chromedp.WithPollingInterval(10*time.Millisecond)))
				cancel()
				if err != nil {
					b.Fatalf("no first-contentful-paint: %v", err)
				}
				fcp, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByName("first-contentful-paint")[0].startTime`))
				if err != nil {
					b.Fatal(err)
				}
				rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#league tbody tr").length`))
				if err != nil || rows != pg.rows {
					b.Fatalf("the page shows %d rows, want %d (%v)", rows, pg.rows, err)
				}
				end, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].responseEnd`))
				if err != nil {
					b.Fatal(err)
				}
				total, resp = total+fcp, resp+end
				b.StartTimer()
			}
			b.ReportMetric(total/float64(b.N), "ms-first-paint")
			b.ReportMetric(resp/float64(b.N), "ms-response-end")
		})
	}
}
