package handlers

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"cadrebot"
	"cadrebot/digest"
	"cadrebot/scheduler"
)

// JobWeeklyDigest is the per-group digest job's name: the key of a
// group's schedule override.
const JobWeeklyDigest = "weekly_digest"

const (
	// retryWindow is how long after its scheduled time a digest that did
	// not go out is still worth sending.
	retryWindow = 24 * time.Hour
	// retryDelay leaves a firing to the scheduler before the sweep
	// steps in.
	retryDelay = 5 * time.Minute
	// retryWorkers bounds the digests the sweep composes at once: after
	// an outage every group may be pending, and each renders a chart.
	retryWorkers = 4
)

// RetryDigests is a global job, run every few minutes, that sends the
// digests of the latest firing that did not go out: a group whose send
// failed (Redis or Telegram briefly down), or groups the scheduler never
// reached because the process stopped in the middle of the run, which it
// counts as done. deliver keeps it from sending anything twice.
func (d *Digests) RetryDigests(ctx context.Context, now time.Time) error {
	gs, err := d.Store.AllGroups(ctx)
	if err != nil {
		return err
	}
	chats, moves, err := d.deptChats(ctx)
	if err != nil {
		return err
	}
	tree, err := d.Tree(ctx, gs, moves)
	if err != nil {
		return err
	}
	type due struct {
		g     *cadrebot.Group // nil for the deployment digest
		at    time.Time
		kinds []string // the kinds of digest the group gets
	}
	var dues []due
	var names []string
	var kinds []string
	need := func(kind string, chat int64, at time.Time, loc *time.Location) {
		k := DigestKey(kind, chat, digest.LastWeek(at, loc))
		names = append(names, k, k+":failed")
		kinds = append(kinds, kind)
	}
	for _, g := range gs {
		if !d.IsDigestGroup(g) {
			continue
		}
		spec := d.Cfg.Schedules.WeeklyDigest
		if o := g.Schedules[JobWeeklyDigest]; o != "" {
			spec = o
		}
		loc := g.Location(d.Loc)
		at := d.lastFiring(spec, now, loc)
		if at.IsZero() || (!g.Created.IsZero() && g.Created.After(at)) {
			continue
		}
		n := len(names)
		kinds = nil
		if g.IsVillage() {
			need(KindVillage, g.ChatID, at, loc)
		}
		if len(digest.DeptsOfChat(d.Cfg, chats, g.ChatID)) > 0 {
			need(KindDept, g.ChatID, at, loc)
		}
		if tree.Leading(g.ChatID) != nil {
			need(KindUnit, g.ChatID, at, loc)
		}
		if len(names) > n {
			dues = append(dues, due{g: g, at: at, kinds: kinds})
		}
	}
	if chat := d.Cfg.DigestChatID; chat != 0 {
		if at := d.lastFiring(d.Cfg.Schedules.WeeklyDigest, now, d.Loc); !at.IsZero() {
			need(KindDeployment, chat, at, d.Loc)
			dues = append(dues, due{at: at})
		}
	}
	if len(dues) == 0 {
		return nil
	}
	state, err := d.Store.DoneMany(ctx, names)
	if err != nil {
		return err
	}
	pending := func(kind string, chat int64, at time.Time, loc *time.Location) bool {
		k := DigestKey(kind, chat, digest.LastWeek(at, loc))
		return !state[k] && !state[k+":failed"]
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, retryWorkers)
	)
	run := func(fn func() error) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	for _, x := range dues {
		if x.g == nil {
			if pending(KindDeployment, d.Cfg.DigestChatID, x.at, d.Loc) {
				run(func() error { return d.DeploymentDigest(ctx, x.at) })
			}
			continue
		}
		loc := x.g.Location(d.Loc)
		if slices.ContainsFunc(x.kinds, func(k string) bool { return pending(k, x.g.ChatID, x.at, loc) }) {
			// WeeklyDigest sends only what is still missing.
			run(func() error { return d.WeeklyDigest(ctx, x.g, x.at) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lastFiring is the latest firing of spec in (now-retryWindow,
// now-retryDelay] in loc, or zero.
func (d *Digests) lastFiring(spec string, now time.Time, loc *time.Location) time.Time {
	if spec == "" || spec == "off" {
		return time.Time{}
	}
	at, err := scheduler.Latest(spec, now.Add(-retryWindow), now.Add(-retryDelay), loc)
	if err != nil {
		return time.Time{}
	}
	return at
}
