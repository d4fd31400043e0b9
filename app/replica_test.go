package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/clock"
	"cadrebot/scheduler"
	"cadrebot/send"
	"cadrebot/telegramtest"
)

// roundRobin is the load balancer in front of the replicas' webhooks.
type roundRobin struct {
	mu       sync.Mutex
	backends []*httputil.ReverseProxy
	next     int
	hits     []atomic.Int64
}

func (lb *roundRobin) add(t *testing.T, rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = nil
	p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	lb.backends = append(lb.backends, p)
	lb.hits = append(lb.hits, atomic.Int64{})
}

func (lb *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lb.mu.Lock()
	if len(lb.backends) == 0 {
		lb.mu.Unlock()
		http.Error(w, "no backend", http.StatusServiceUnavailable)
		return
	}
	i := lb.next % len(lb.backends)
	lb.next++
	p := lb.backends[i]
	lb.hits[i].Add(1)
	lb.mu.Unlock()
	p.ServeHTTP(w, r)
}

// replicaYAML keeps leases short so a standby takes over within a second.
var replicaYAML = strings.Replace(apptest.DefaultYAML, "private_per_second: 100000}",
	"private_per_second: 100000, leader_lease: 3s}", 1)

// startReplicas starts n services on one Redis prefix, one fake Bot API and
// one fake clock, in webhook mode behind a round-robin load balancer.
func startReplicas(t *testing.T, n int, opts ...apptest.Option) ([]*apptest.Env, *roundRobin) {
	t.Helper()
	clk := clock.NewFake(apptest.Monday0800)
	tg := telegramtest.New(telegramtest.WithClock(clk.Now)).Start()
	t.Cleanup(tg.Close)
	lb := &roundRobin{}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	prefix := apptest.NewPrefix(t)
	var envs []*apptest.Env
	for i := 0; i < n; i++ {
		addr := freeAddr(t)
		o := append([]apptest.Option{apptest.WithServer(tg), apptest.WithPrefix(prefix), apptest.WithClock(clk),
			apptest.WithYAML(replicaYAML),
			apptest.WithEnv("CADREBOT_HTTP_ADDR", addr, "CADREBOT_WEBHOOK_URL", front.URL+"/telegram",
				"CADREBOT_WEBHOOK_SECRET", "replica-secret")}, opts...)
		e := apptest.Start(t, o...)
		lb.add(t, "http://"+addr)
		envs = append(envs, e)
	}
	return envs, lb
}

func joinUpdate(id int64, chat models.Chat, u models.User, now time.Time) models.Update {
	return models.Update{ID: id, Message: &models.Message{ID: int(id), Date: int(now.Unix()), Chat: chat, From: &u,
		Text: "/join", Entities: []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}}}
}

// TestReplicasBehindLoadBalancer: every update is processed once, even
// when Telegram redelivers it to the other replica.
func TestReplicasBehindLoadBalancer(t *testing.T) {
	rs, lb := startReplicas(t, 2)
	tg := rs[0].TG
	g := tg.Group(-100701, "村群")
	const users = 12
	var ids []int64
	for i := 0; i < users; i++ {
		u := models.User{ID: int64(3000 + i), FirstName: fmt.Sprintf("干部%02d", i), LanguageCode: "zh"}
		ids = append(ids, tg.Push(joinUpdate(int64(50000+i), g, u, rs[0].Clock.Now())))
	}
	rs[0].WaitSent(g.ID, fmt.Sprintf("干部%02d 已加入名单（本群共 %d 人）", users-1, users))
	rs[0].Drain()
	// Telegram is unsure it delivered them and sends every one again;
	// round robin hands each to the other replica this time.
	for _, id := range ids {
		if !tg.Redeliver(id) {
			t.Fatalf("cannot redeliver %d", id)
		}
	}
	rs[0].Drain()
	for i := range lb.hits {
		if n := lb.hits[i].Load(); n < users/2 {
			t.Errorf("replica %d got %d webhook posts; the balancer should spread %d", i, n, 2*users)
		}
	}
	if n := countSent(rs[0], g.ID, "已加入名单"); n != users {
		t.Errorf("%d join answers, want %d (each update processed once)", n, users)
	}
	dups := 0.0
	for _, r := range rs {
		dups += testutil.ToFloat64(r.App.Metrics.Duplicates)
	}
	if dups != users {
		t.Errorf("replicas skipped %v duplicates, want %d", dups, users)
	}
	roster, err := rs[1].DB.Roster(context.Background(), g.ID)
	if err != nil || len(roster) != users {
		t.Errorf("roster = %d members, %v; want %d", len(roster), err, users)
	}
}

// TestReplicasShareOneSender: whichever replica enqueues, one replica sends,
// keyed messages go out once, and when the sender stops another takes over.
func TestReplicasShareOneSender(t *testing.T) {
	rs, _ := startReplicas(t, 2)
	tg := rs[0].TG
	g := tg.Group(-100702, "村群")
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		for _, r := range rs {
			// Both replicas decide to send the same digest (as two
			// schedulers would without the lock): one copy goes out.
			m := send.Message{ChatID: g.ID, Text: fmt.Sprintf("周报 %d", i), Key: fmt.Sprintf("digest:%d", i)}
			if err := r.App.Sender.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitOutboxEmpty(rs[0], rs[0].DB)
	for i := 0; i < 10; i++ {
		if n := countSent(rs[0], g.ID, fmt.Sprintf("周报 %d", i)); n != 1 {
			t.Errorf("周报 %d sent %d times, want 1", i, n)
		}
	}
	leaders := func() (n int, who int) {
		for i, r := range rs {
			if testutil.ToFloat64(r.App.Metrics.OutboxLeader) == 1 {
				n, who = n+1, i
			}
		}
		return
	}
	n, who := leaders()
	if n != 1 {
		t.Fatalf("%d replicas hold the sender lease, want 1", n)
	}
	standby := rs[1-who]
	rs[who].Stop()
	if err := standby.App.Sender.Enqueue(ctx, send.Message{ChatID: g.ID, Text: "接管后的通知"}); err != nil {
		t.Fatal(err)
	}
	standby.WaitSent(g.ID, "接管后的通知")
	if testutil.ToFloat64(standby.App.Metrics.OutboxLeader) != 1 {
		t.Error("the standby sent without holding the lease")
	}
}

// TestPollingReplicasTakeTurns: in long-polling mode only one replica
// polls (Telegram would answer a second with 409), and a standby takes
// over when it stops.
func TestPollingReplicasTakeTurns(t *testing.T) {
	clk := clock.NewFake(apptest.Monday0800)
	tg := telegramtest.New(telegramtest.WithClock(clk.Now)).Start()
	t.Cleanup(tg.Close)
	prefix := apptest.NewPrefix(t)
	var rs []*apptest.Env
	for i := 0; i < 2; i++ {
		rs = append(rs, apptest.Start(t, apptest.WithServer(tg), apptest.WithPrefix(prefix), apptest.WithClock(clk),
			apptest.WithYAML(replicaYAML)))
	}
	polling := func() []int {
		var out []int
		for i, r := range rs {
			if testutil.ToFloat64(r.App.Metrics.PollerLeader) == 1 {
				out = append(out, i)
			}
		}
		return out
	}
	rs[0].Wait("one poller", func() bool { return len(polling()) == 1 })
	active := polling()[0]
	g := tg.Group(-100703, "村群")
	tg.SendText(g, apptest.Wang, "/join")
	rs[0].WaitSent(g.ID, "王芳 已加入名单")
	rs[active].Stop()
	other := rs[1-active]
	other.Wait("the standby to poll", func() bool { return testutil.ToFloat64(other.App.Metrics.PollerLeader) == 1 })
	tg.SendText(g, apptest.Li, "/join")
	other.WaitSent(g.ID, "李强 已加入名单（本群共 2 人）")
	for _, c := range tg.CallsTo("getUpdates") {
		if c.Status == 409 {
			t.Errorf("a getUpdates call got 409 Conflict: two pollers overlapped")
		}
	}
}

// TestReplicasSendOneReminder: two replicas with the same schedules, one
// clock; the 10:00 check-in reminder reaches each group once.
func TestReplicasSendOneReminder(t *testing.T) {
	rs, _ := startReplicas(t, 2)
	e := rs[0]
	var chats []models.Chat
	for i := 0; i < 5; i++ {
		g := e.TG.Group(int64(-100710-i), fmt.Sprintf("村%d工作群", i))
		chats = append(chats, g)
		e.TG.SendText(g, apptest.Admin, fmt.Sprintf("/setup 村%d", i))
		e.TG.SendText(g, apptest.Wang, "/join")
		e.TG.SendText(g, apptest.Li, "/join")
	}
	e.Drain()
	// Both schedulers park on the shared clock, then 10:00 comes.
	e.Wait("both schedulers to wait on the clock", func() bool { return e.Clock.Waiters() >= 2 })
	e.Clock.Set(time.Date(2026, 11, 30, 10, 0, 30, 0, apptest.Shanghai))
	ran := func() (n float64) {
		for _, r := range rs {
			n += testutil.ToFloat64(r.App.Metrics.JobRuns.WithLabelValues("checkin_reminder", "ran"))
		}
		return n
	}
	e.Wait("the reminder firing", func() bool { return ran() >= 1 })
	e.Wait("both schedulers to wait on the clock", func() bool { return e.Clock.Waiters() >= 2 })
	e.Drain()
	if n := ran(); n != 1 {
		t.Errorf("checkin_reminder ran %v times across the replicas, want 1", n)
	}
	for _, g := range chats {
		if n := countSent(e, g.ID, "⏰"); n != 1 {
			t.Errorf("group %d got %d reminders, want 1", g.ID, n)
		}
	}
}

// TestReplicaSchedulersRunEachFiringOnce runs two schedulers' loops (as
// two replicas would) on one Redis and one fake clock through several
// firings of a global and a per-group job.
func TestReplicaSchedulersRunEachFiringOnce(t *testing.T) {
	e := apptest.Start(t, apptest.WithoutScheduler())
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		village := fmt.Sprintf("村%02d", i)
		if err := e.DB.UpdateGroup(ctx, int64(-100800-i), storePatch(village)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	runs := map[string]int{}
	record := func(k string) {
		mu.Lock()
		defer mu.Unlock()
		runs[k]++
	}
	jobs := []scheduler.Job{
		{Name: "sweep", Spec: "*/10 * * * *", Global: func(_ context.Context, at time.Time) error {
			record("sweep " + at.Format("15:04"))
			return nil
		}},
		{Name: "remind", Spec: "0,30 * * * *", Groups: func(g *cadrebot.Group) bool { return g.IsVillage() },
			Group: func(_ context.Context, g *cadrebot.Group, at time.Time) error {
				record(fmt.Sprintf("remind %d %s", g.ChatID, at.Format("15:04")))
				return nil
			}},
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		s := scheduler.New(e.Clock, e.DB, apptest.Shanghai,
			slog.New(slog.NewTextHandler(io.Discard, nil)), nopCounter{}, jobs...)
		s.Lookback = time.Minute
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Run(runCtx)
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	// Step through an hour a minute at a time, letting both loops park.
	for m := 1; m <= 60; m++ {
		e.Wait("both schedulers to wait on the clock", func() bool { return e.Clock.Waiters() >= 2 })
		e.Clock.Advance(time.Minute)
	}
	// The loops end at 09:00. They start at 08:00, which the app's own
	// scheduler has already seen, so 08:00 is not theirs to fire.
	want := map[string]int{}
	for m := 10; m <= 60; m += 10 {
		want["sweep "+apptest.Monday0800.Add(time.Duration(m)*time.Minute).Format("15:04")] = 1
	}
	for i := 0; i < 20; i++ {
		for _, hm := range []string{"08:30", "09:00"} {
			want[fmt.Sprintf("remind %d %s", -100800-i, hm)] = 1
		}
	}
	got := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(runs)
	}
	e.Wait("every firing", func() bool { return len(got()) >= len(want) })
	e.Wait("both schedulers to wait on the clock", func() bool { return e.Clock.Waiters() >= 2 })
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("runs per firing (-want +got):\n%s", diff)
	}
}

type nopCounter struct{}

func (nopCounter) Inc(job, result string) {}

func storePatch(village string) cadrebot.GroupPatch { return cadrebot.GroupPatch{Village: &village} }
