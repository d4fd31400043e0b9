// Package scheduler runs cadrebot's timed jobs: check-in reminders, the
// overdue sweep, weekly digests. Specs are robfig/cron/v3 specs, parsed and
// stepped with cron's own parser and Schedule.Next, but the loop is ours:
// cron.Cron reads the wall clock (tests need a fake one), runs every job in
// every replica, and silently drops firings missed while the process was
// down. Here each firing takes a Redis lock keyed by job, scope and
// scheduled time, is marked done once it ran, and a missed firing runs at
// most once, if the job says it is still worth running.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cadrebot"
	"cadrebot/clock"
	"cadrebot/config"
)

// Job is one kind of scheduled work.
type Job struct {
	Name string
	// Spec is the deployment-wide spec; per-group jobs use it unless the
	// group overrides Name in its schedules.
	Spec string
	// Global jobs run once per firing, in the deployment time zone.
	Global func(ctx context.Context, at time.Time) error
	// Group jobs run for every group matching Groups whose own schedule
	// fired, in the group's time zone.
	Group  func(ctx context.Context, g *cadrebot.Group, at time.Time) error
	Groups func(g *cadrebot.Group) bool
	// CatchUp says whether a firing at `at` that was missed (the process
	// was down) should still run at now. Nil means "only on time".
	CatchUp func(at, now time.Time, loc *time.Location) bool
}

// Store is what the scheduler needs from Redis.
type Store interface {
	AllGroups(ctx context.Context) ([]*cadrebot.Group, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	Done(ctx context.Context, name string) (bool, error)
	SchedulerSeen(ctx context.Context) (time.Time, error)
	MarkSchedulerSeen(ctx context.Context, t time.Time) error
	// WithLock runs fn under a lock shared by replicas: false, without
	// running it, when someone else holds it.
	WithLock(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context) error) (bool, error)
}

// Counter counts job firings by job and result.
type Counter interface {
	Inc(job, result string)
}

// Scheduler runs jobs on a clock.
type Scheduler struct {
	clk     clock.Clock
	db      Store
	loc     *time.Location
	jobs    []Job
	log     *slog.Logger
	count   Counter
	workers int

	// OnTime is how late a firing may be handled and still count as on
	// time rather than missed.
	OnTime time.Duration
	// Lookback bounds how far back missed firings are searched at start;
	// the search starts no earlier than the deployment's last scheduler run.
	Lookback time.Duration
	// Poll is the longest the loop sleeps, so new group schedules are
	// picked up.
	Poll time.Duration
}

// New builds a scheduler.
func New(clk clock.Clock, db Store, loc *time.Location, log *slog.Logger, count Counter, jobs ...Job) *Scheduler {
	return &Scheduler{clk: clk, db: db, loc: loc, jobs: jobs, log: log, count: count, workers: 8,
		OnTime: 2 * time.Minute, Lookback: 8 * 24 * time.Hour, Poll: time.Minute}
}

func (s *Scheduler) schedule(spec string) (cron.Schedule, error) { return parse(spec) }

// parsed caches parsed specs: the loop and the digest sweep ask often.
var parsed sync.Map

func parse(spec string) (cron.Schedule, error) {
	if sc, ok := parsed.Load(spec); ok {
		return sc.(cron.Schedule), nil
	}
	sc, err := config.ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	parsed.Store(spec, sc)
	return sc, nil
}

// scope is one schedule in one time zone and the groups sharing it.
type scope struct {
	job    *Job
	spec   string
	loc    *time.Location
	groups []*cadrebot.Group // nil for global jobs
}

func (sc scope) id() string { return sc.job.Name + "|" + sc.spec + "|" + sc.loc.String() }

// scopes gathers every (job, spec, zone) with its groups.
func (s *Scheduler) scopes(ctx context.Context) ([]scope, error) {
	var out []scope
	var groups []*cadrebot.Group
	needGroups := false
	for i := range s.jobs {
		if s.jobs[i].Group != nil {
			needGroups = true
		}
	}
	if needGroups {
		var err error
		groups, err = s.db.AllGroups(ctx)
		if err != nil {
			return nil, err
		}
	}
	for i := range s.jobs {
		j := &s.jobs[i]
		if j.Global != nil && j.Spec != "" {
			out = append(out, scope{job: j, spec: j.Spec, loc: s.loc})
		}
		if j.Group == nil {
			continue
		}
		by := map[string]*scope{}
		for _, g := range groups {
			if j.Groups != nil && !j.Groups(g) {
				continue
			}
			spec := j.Spec
			if o := g.Schedules[j.Name]; o != "" {
				spec = o
			}
			if spec == "" || spec == "off" {
				continue
			}
			loc := g.Location(s.loc)
			k := spec + "|" + loc.String()
			if by[k] == nil {
				by[k] = &scope{job: j, spec: spec, loc: loc}
			}
			by[k].groups = append(by[k].groups, g)
		}
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, *by[k])
		}
	}
	return out, nil
}

// latest returns the last firing of sc in (from, to], or zero.
func (s *Scheduler) latest(sc scope, from, to time.Time) (time.Time, error) {
	return Latest(sc.spec, from, to, sc.loc)
}

// Latest returns the last firing of spec in (from, to] in zone loc, or
// zero: the firing a job run at to is about. "@every" specs fire on a
// grid from the Unix epoch (see gridFloor).
func Latest(spec string, from, to time.Time, loc *time.Location) (time.Time, error) {
	sched, err := parse(spec)
	if err != nil {
		return time.Time{}, err
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		at := gridFloor(to, every.Delay)
		if at.After(from) {
			return at.In(loc), nil
		}
		return time.Time{}, nil
	}
	var last time.Time
	t := from.In(loc)
	for i := 0; i < 100000; i++ {
		n := sched.Next(t)
		if n.IsZero() || n.After(to) {
			break
		}
		last, t = n, n
	}
	return last, nil
}

// next returns the first firing of any scope after t.
func (s *Scheduler) next(scs []scope, t time.Time) time.Time {
	var best time.Time
	for _, sc := range scs {
		sched, err := s.schedule(sc.spec)
		if err != nil {
			continue
		}
		var n time.Time
		if every, ok := sched.(cron.ConstantDelaySchedule); ok {
			n = gridFloor(t, every.Delay).Add(every.Delay)
		} else {
			n = sched.Next(t.In(sc.loc))
		}
		if !n.IsZero() && (best.IsZero() || n.Before(best)) {
			best = n
		}
	}
	return best
}

// gridFloor is the latest multiple of d since the Unix epoch at or before
// t. cron's "@every" schedules count from whatever time they are asked
// about, which gives a loop that wakes often no firing at all and gives
// replicas different firing times; a fixed grid gives every replica the
// same firings, and so the same lock keys.
func gridFloor(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	return time.Unix(0, t.UnixNano()-t.UnixNano()%int64(d))
}

// Run loops until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	last := s.clk.Now().Add(-s.Lookback)
	if seen, err := s.db.SchedulerSeen(ctx); err != nil {
		s.log.Warn("scheduler: last run unknown; catching up over the whole lookback", "err", err)
	} else if seen.IsZero() {
		last = s.clk.Now() // a new deployment: nothing was missed
	} else if seen.After(last) {
		last = seen
	}
	for {
		now := s.clk.Now()
		scs, err := s.scopes(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("scheduler: load schedules", "err", err)
		} else {
			s.tick(ctx, scs, last, now)
			last = now
			if err := s.db.MarkSchedulerSeen(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("scheduler: record last run", "err", err)
			}
		}
		wait := s.Poll
		if n := s.next(scs, now); !n.IsZero() && n.Sub(now) < wait {
			wait = n.Sub(now)
		}
		// A clock that jumped while the firings ran (a fake clock moved
		// forward) is looked at again at once, not a poll later.
		if s.clk.Now().Sub(now) > time.Second {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clk.After(wait):
		}
	}
}

// Tick evaluates every firing due in (from, now] once; exported for tests
// and for the playground's fast-forward.
func (s *Scheduler) Tick(ctx context.Context, from, now time.Time) error {
	scs, err := s.scopes(ctx)
	if err != nil {
		return err
	}
	s.tick(ctx, scs, from, now)
	return nil
}

func (s *Scheduler) tick(ctx context.Context, scs []scope, from, now time.Time) {
	for _, sc := range scs {
		at, err := s.latest(sc, from, now)
		if err != nil {
			s.log.Error("scheduler: bad spec", "job", sc.job.Name, "spec", sc.spec, "err", err)
			continue
		}
		if at.IsZero() {
			continue
		}
		if now.Sub(at) > s.OnTime && (sc.job.CatchUp == nil || !sc.job.CatchUp(at, now, sc.loc)) {
			s.count.Inc(sc.job.Name, "missed")
			continue
		}
		s.fire(ctx, sc, at)
	}
}

// fire runs one firing under its lock, at most once across replicas.
func (s *Scheduler) fire(ctx context.Context, sc scope, at time.Time) {
	name := "job:" + sc.id() + ":" + strconv.FormatInt(at.Unix(), 10)
	if done, err := s.db.Done(ctx, name); err != nil || done {
		if err != nil {
			s.log.Error("scheduler: check firing", "job", sc.job.Name, "err", err)
		}
		return
	}
	ran, err := s.db.WithLock(ctx, name, 10*time.Minute, func(ctx context.Context) error {
		// Checked again under the lock: another replica may have finished
		// it between our first look and our lock.
		if done, err := s.db.Done(ctx, name); err != nil || done {
			if err != nil {
				s.log.Error("scheduler: check firing", "job", sc.job.Name, "err", err)
			}
			return nil
		}
		if err := s.run(ctx, sc, at); err != nil {
			s.count.Inc(sc.job.Name, "failed")
			s.log.Error("scheduler: job failed", "job", sc.job.Name, "at", at, "err", err)
		} else {
			s.count.Inc(sc.job.Name, "ran")
		}
		// Marked done even after a partial failure: per-group work inside
		// a job keeps its own idempotency keys, and retrying the whole
		// firing would repeat what did succeed. A run cut short by
		// shutdown is not done: the next start catches it up.
		if ctx.Err() != nil {
			return nil
		}
		if _, err := s.db.Once(context.WithoutCancel(ctx), name, s.Lookback+24*time.Hour); err != nil {
			s.log.Error("scheduler: mark firing done", "job", sc.job.Name, "err", err)
		}
		return nil
	})
	switch {
	case err != nil:
		s.log.Error("scheduler: lock", "job", sc.job.Name, "err", err)
		s.count.Inc(sc.job.Name, "failed")
	case !ran:
		s.count.Inc(sc.job.Name, "locked")
	}
}

func (s *Scheduler) run(ctx context.Context, sc scope, at time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	if sc.groups == nil {
		return sc.job.Global(ctx, at)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, s.workers)
	)
	for _, g := range sc.groups {
		wg.Add(1)
		sem <- struct{}{}
		go func(g *cadrebot.Group) {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("group %d: panic: %v", g.ChatID, r))
					mu.Unlock()
				}
			}()
			// One group's failure (a Telegram error, say) must not stop
			// the others.
			if err := sc.job.Group(ctx, g, at); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("group %d: %w", g.ChatID, err))
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// SameDay is a CatchUp rule: a missed firing still runs on the same
// calendar day in the group's zone (check-in reminders).
func SameDay(at, now time.Time, loc *time.Location) bool {
	a, n := at.In(loc), now.In(loc)
	return a.Year() == n.Year() && a.YearDay() == n.YearDay()
}

// Always is a CatchUp rule: the latest missed firing always runs once
// (digests, sweeps).
func Always(at, now time.Time, loc *time.Location) bool { return true }
