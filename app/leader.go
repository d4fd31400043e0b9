package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"cadrebot/bot"
	"cadrebot/config"
	"cadrebot/lease"
	"cadrebot/outbox"
	"cadrebot/store"
)

// buildOutbox builds the lease this replica leads under, the outbox and
// the Sender. In polling mode one lease covers both polling and sending:
// the process that takes updates also sends what they queue, so it sees
// each chat's queue and keeps replies in order. In webhook mode every
// replica takes updates and the lease covers sending only.
func (a *App) buildOutbox() {
	cfg := a.Cfg.File
	name, fence := "leader", store.InboxFence
	if a.Cfg.Env.WebhookURL != "" {
		name, fence = "outbox", ""
	}
	a.lease = lease.New(a.leaseDB, name, fence, cfg.Limits.LeaderLease.Duration, a.Log)
	oc := outbox.Config{Lease: a.lease, Workers: cfg.Limits.OutboxWorkers, GiveUp: cfg.Limits.SendGiveUp.Duration}
	// Validated at load time; the reclaim runs on real time because it
	// compares with Redis's idle times, which are real.
	if sched, err := config.ParseSchedule(cfg.Schedules.OutboxReclaim); err == nil {
		oc.NextReclaim = func(now time.Time) time.Time { return sched.Next(now) }
	}
	lim := outbox.NewLimiter(outbox.Limits{GlobalPerSecond: cfg.Limits.GlobalPerSecond,
		GroupPerMinute: cfg.Limits.GroupPerMinute, PrivatePerSecond: cfg.Limits.PrivatePerSecond})
	a.Sender, a.Courier = outbox.New(a.API, a.DB, lim, a.Log, a.Metrics, oc)
}

// runLeader competes for the lease and, while it holds it, sends the
// outbox and, given a poller, long-polls: Telegram answers a second
// concurrent getUpdates with 409 Conflict, so several polling replicas
// take turns, one active and the others on standby. The inbox and the
// offset live in Redis, so a successor resumes where the last one stopped.
func (a *App) runLeader(ctx, work context.Context, wg *sync.WaitGroup, p *bot.Poller) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.lease.Run(ctx, func(lctx context.Context) {
			var lw sync.WaitGroup
			lw.Add(1)
			go func() {
				defer lw.Done()
				a.Courier.Lead(lctx, work)
			}()
			if p != nil {
				a.Log.Info("this replica is the poller")
				a.Metrics.PollerLeader.Set(1)
				if err := p.Run(lctx, work, a.lease.Gen()); err != nil {
					a.Log.Error("poller stopped", "err", err)
				}
				a.Metrics.PollerLeader.Set(0)
			}
			lw.Wait()
		})
	}()
}

// startWebhook registers the webhook with Telegram and mounts it. Webhook
// mode always has a secret: without a configured one, the replicas share
// one generated at the first start and kept in Redis.
func (a *App) startWebhook(ctx, work context.Context, mux *http.ServeMux, wg *sync.WaitGroup, j *bot.Journal) (*bot.Webhook, error) {
	secret := a.Cfg.Env.WebhookSecret
	if secret == "" {
		var err error
		if secret, err = a.DB.WebhookSecret(ctx, newSecret()); err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		a.Log.Info("webhook secret generated and kept in Redis; set CADREBOT_WEBHOOK_SECRET to choose one")
	}
	u, err := url.Parse(a.Cfg.Env.WebhookURL)
	if err != nil {
		return nil, fmt.Errorf("CADREBOT_WEBHOOK_URL: %w", err)
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	hook := bot.NewWebhook(secret, a.DB, j, a.dispatch, work, a.Log, a.Metrics)
	mux.Handle(path, hook)
	if err := a.API.SetWebhook(ctx, a.Cfg.Env.WebhookURL, secret, bot.AllowedUpdates); err != nil {
		return nil, fmt.Errorf("setWebhook: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		hook.Run(ctx)
	}()
	a.runLeader(ctx, work, wg, nil)
	a.Log.Info("webhook mode", "path", path)
	return hook, nil
}

// newSecret is a webhook secret: 48 characters of Telegram's alphabet.
func newSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, 48)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// instanceID names this process: host, pid and a random part, so two
// processes never share one, even in one test binary.
func instanceID() string {
	host, _ := os.Hostname()
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<24))
	return fmt.Sprintf("%s-%d-%06x", host, os.Getpid(), n.Int64())
}
