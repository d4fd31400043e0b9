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
