package app

import (
	"context"
	"sync"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"cadrebot/bot"
	"cadrebot/config"
)

// buildOutbox routes Sender.Enqueue through the durable outbox.
func (a *App) buildOutbox(rdb redis.UniversalClient) {
	cfg := a.Cfg.File
	oc := bot.OutboxConfig{Workers: cfg.Limits.OutboxWorkers, Lease: cfg.Limits.LeaderLease.Duration,
		GiveUp: cfg.Limits.SendGiveUp.Duration}
	// Validated at load time; the reclaim runs on real time because it
	// compares with Redis's idle times, which are real.
	if sched, err := config.ParseSchedule(cfg.Schedules.OutboxReclaim); err == nil {
		oc.NextReclaim = func(now time.Time) time.Time { return sched.Next(now) }
	}
	a.Courier = bot.NewCourier(a.DB, a.Sender, redislock.New(rdb), a.Log, a.Metrics, oc)
	a.Sender.SetOutbox(a.Courier)
}

// runOutbox sends the outbox while this replica holds the sender lease.
func (a *App) runOutbox(ctx, work context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = a.Courier.Run(ctx, work)
	}()
}

// runPoller long-polls while this replica holds the poller lease: Telegram
// answers a second concurrent getUpdates with 409 Conflict, so several
// polling replicas take turns, one active and the others on standby. The
// offset lives in Redis, so a successor resumes where the last one stopped.
func (a *App) runPoller(ctx, work context.Context, wg *sync.WaitGroup, p *bot.Poller) {
	lease := bot.NewLease(redislock.New(a.DB.Client()), a.DB.KeyLock("poller"), a.Cfg.File.Limits.LeaderLease.Duration, a.Log)
	lease.OnChange = func(held bool) {
		if held {
			a.Log.Info("this replica is the poller")
			a.Metrics.PollerLeader.Set(1)
		} else {
			a.Metrics.PollerLeader.Set(0)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		lease.Run(ctx, func(lctx context.Context) {
			if err := p.Run(lctx, work); err != nil {
				a.Log.Error("poller stopped", "err", err)
			}
		})
	}()
}
