package scheduler_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/clock"
	"cadrebot/scheduler"
	"cadrebot/store"
)

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Inc(job, result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[job+":"+result]++
}

type firings struct {
	mu  sync.Mutex
	ats []time.Time
	by  map[int64][]time.Time
}

func (f *firings) global(_ context.Context, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ats = append(f.ats, at)
	return nil
}

func (f *firings) group(_ context.Context, g *cadrebot.Group, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[int64][]time.Time{}
	}
	f.by[g.ChatID] = append(f.by[g.ChatID], at)
	return nil
}

func (f *firings) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ats)
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func newDB(t *testing.T) *store.DB {
	return store.New(apptest.NewRedis(t), apptest.NewPrefix(t))
}

func TestEachFiringRunsOnceAcrossReplicas(t *testing.T) {
	db := newDB(t)
	t0 := time.Date(2026, 11, 30, 8, 59, 0, 0, shanghai)
	clk := clock.NewFake(t0)
	var f firings
	job := scheduler.Job{Name: "sweep", Spec: "0 * * * *", Global: f.global}
	var cnt counter
	newSched := func() *scheduler.Scheduler {
		s := scheduler.New(clk, db, shanghai, slog.New(slog.DiscardHandler), &cnt, job)
		s.Lookback = time.Minute
		return s
	}
	ctx := context.Background()
	a, b := newSched(), newSched()
	from := t0
	for h := 1; h <= 3; h++ {
		now := time.Date(2026, 11, 30, 8+h, 0, 30, 0, shanghai) // just after HH:00
		var wg sync.WaitGroup
		for _, s := range []*scheduler.Scheduler{a, b} {
			wg.Add(1)
			go func(s *scheduler.Scheduler) {
				defer wg.Done()
				if err := s.Tick(ctx, from, now); err != nil {
					t.Error(err)
				}
			}(s)
		}
		wg.Wait()
		from = now
	}
	if got := f.count(); got != 3 {
		t.Errorf("two replicas ran %d firings over 3 hours, want 3", got)
	}
}

func TestRunLoopOnFakeClock(t *testing.T) {
	db := newDB(t)
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
	clk := clock.NewFake(t0)
	var f firings
	s := scheduler.New(clk, db, shanghai, slog.New(slog.DiscardHandler), &counter{},
		scheduler.Job{Name: "digest", Spec: "0 9 * * 1", Global: f.global, CatchUp: scheduler.Always})
	s.Lookback = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitParked := func() {
		deadline := time.Now().Add(5 * time.Second)
		for clk.Waiters() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("scheduler never waited on the clock")
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitParked()
	clk.Set(t0.Add(61 * time.Minute)) // 09:01 Monday
	deadline := time.Now().Add(5 * time.Second)
	for f.count() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("digest did not fire at 09:00; fired %d times", f.count())
		}
		time.Sleep(time.Millisecond)
	}
	if want := time.Date(2026, 11, 30, 9, 0, 0, 0, shanghai); !f.ats[0].Equal(want) {
		t.Errorf("fired for %v, want %v", f.ats[0], want)
	}
	// A whole week passes at once: the next Monday fires once, not a storm.
	waitParked()
	clk.Set(time.Date(2026, 12, 7, 9, 30, 0, 0, shanghai))
	deadline = time.Now().Add(5 * time.Second)
	for f.count() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("next Monday did not fire; fired %d times", f.count())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMissedFiringCatchUp(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		catchUp func(at, now time.Time, loc *time.Location) bool
		now     time.Time
		want    int
	}{
		{"same day runs once", scheduler.SameDay, time.Date(2026, 11, 30, 15, 0, 0, 0, shanghai), 1},
		{"next day is skipped", scheduler.SameDay, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), 0},
		{"no catch-up rule", nil, time.Date(2026, 11, 30, 15, 0, 0, 0, shanghai), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			var f firings
			s := scheduler.New(clock.NewFake(tt.now), db, shanghai, slog.New(slog.DiscardHandler), &counter{},
				scheduler.Job{Name: "remind", Spec: "0 10 * * *", Global: f.global, CatchUp: tt.catchUp})
			// The process was down from 08:00 Monday until now.
			from := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
			for i := 0; i < 2; i++ { // a second tick must not repeat it
				if err := s.Tick(ctx, from, tt.now); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.count(); got != tt.want {
				t.Errorf("missed firing ran %d times, want %d", got, tt.want)
			}
		})
	}
}

func TestPerGroupJobsUseGroupTimeZone(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	tz := "America/New_York"
	v := "村"
	for _, c := range []int64{-1, -2} {
		if err := db.UpdateGroup(ctx, c, cadrebot.GroupPatch{Village: &v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateGroup(ctx, -2, cadrebot.GroupPatch{TZ: &tz}); err != nil {
		t.Fatal(err)
	}
	var f firings
	s := scheduler.New(clock.NewFake(time.Now()), db, shanghai, slog.New(slog.DiscardHandler), &counter{},
		scheduler.Job{Name: "remind", Spec: "0 10 * * *", Group: f.group})
	// 10:00 in Shanghai is 21:00 the day before in New York.
	from := time.Date(2026, 11, 30, 9, 59, 0, 0, shanghai)
	now := time.Date(2026, 11, 30, 10, 0, 30, 0, shanghai)
	if err := s.Tick(ctx, from, now); err != nil {
		t.Fatal(err)
	}
	if len(f.by[-1]) != 1 || len(f.by[-2]) != 0 {
		t.Fatalf("firings = %v, want only the Shanghai group at 10:00 Shanghai", f.by)
	}
	ny, _ := time.LoadLocation(tz)
	from, now = time.Date(2026, 11, 30, 9, 59, 0, 0, ny), time.Date(2026, 11, 30, 10, 0, 30, 0, ny)
	if err := s.Tick(ctx, from, now); err != nil {
		t.Fatal(err)
	}
	if len(f.by[-2]) != 1 {
		t.Errorf("New York group fired %d times at 10:00 New York, want 1", len(f.by[-2]))
	}
}

func TestEveryFiresOnAGridWhenTheLoopWakesOften(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	var f firings
	s := scheduler.New(clock.NewFake(time.Now()), db, shanghai, slog.New(slog.DiscardHandler), &counter{},
		scheduler.Job{Name: "sweep", Spec: "@every 1h", Global: f.global})
	// The loop wakes every minute for three hours.
	t0 := time.Date(2026, 11, 30, 8, 0, 30, 0, shanghai)
	from := t0
	for m := 1; m <= 180; m++ {
		now := t0.Add(time.Duration(m) * time.Minute)
		if err := s.Tick(ctx, from, now); err != nil {
			t.Fatal(err)
		}
		from = now
	}
	if got := f.count(); got != 3 {
		t.Fatalf("@every 1h fired %d times in 3 hours of minute ticks, want 3", got)
	}
	for _, at := range f.ats {
		if at.Minute() != 0 || at.Second() != 0 {
			t.Errorf("fired at %v, want on the hour grid", at)
		}
	}
}
