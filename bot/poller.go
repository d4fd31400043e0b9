package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/clock"
	"cadrebot/metrics"
	"cadrebot/store"
)

// PollStore is what the poller needs from Redis (store.DB).
type PollStore interface {
	InboxStore
	Offset(ctx context.Context) (int64, error)
	InboxAddAdmit(ctx context.Context, gen, next int64, ids []int64, raws [][]byte, as []store.Admission, done []int64) ([]int64, []store.Intake, error)
}

// Updates is the Bot API's getUpdates (Client).
type Updates interface {
	GetUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration, allowed []string) ([]json.RawMessage, error)
}

// AllowedUpdates are the update kinds cadrebot asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query", "my_chat_member", "chat_member"}

// Poller is our own getUpdates loop. It keeps fetching while earlier
// updates are still being handled, so one busy chat never holds up the
// intake. Each batch is written to the inbox, with the offset moved past
// it, in one fenced script before any of it is handled: from then on
// Telegram may forget the batch, and a crash loses nothing, because the
// next poller handles what the inbox still holds before it fetches more.
type Poller struct {
	api      Updates
	st       PollStore
	journal  *Journal
	dispatch *Dispatcher
	log      *slog.Logger
	metrics  *metrics.Metrics
	Timeout  time.Duration // long-poll timeout
	Limit    int
	// Prepare, when set, says what to admit of each batch, which the
	// intake asks Redis along with storing it (Router.Prepare).
	Prepare func(ups []*models.Update) ([]store.Admission, func([]store.Intake, map[int64]bool))
}

// NewPoller builds a poller; j keeps its inbox (store.InboxPoll).
func NewPoller(api Updates, st PollStore, j *Journal, d *Dispatcher, log *slog.Logger, m *metrics.Metrics) *Poller {
	return &Poller{api: api, st: st, journal: j, dispatch: d, log: log, metrics: m, Timeout: 30 * time.Second, Limit: 100}
}

// Run polls until ctx ends (shutdown, or the lease lost). gen is the
// lease's fencing generation. Handlers run under work, which outlives ctx
// by the shutdown grace period so in-flight updates can finish.
func (p *Poller) Run(ctx, work context.Context, gen int64) error {
	j := p.journal
	offset, err := p.resume(ctx, work, j)
	for err != nil {
		if ctx.Err() != nil {
			return nil
		}
		p.log.Error("poller: resume from the inbox; retrying", "err", err)
		if !clock.Sleep(ctx, time.Second) {
			return nil
		}
		offset, err = p.resume(ctx, work, j)
	}
	go p.retryKept(ctx, work, j)
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		if !p.dispatch.WaitRoom(ctx) {
			break
		}
		raws, err := p.api.GetUpdates(ctx, offset, p.Limit, p.Timeout, AllowedUpdates)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait, limited := RetryAfter(err)
			if !limited {
				wait = backoff
				backoff = min(backoff*2, 30*time.Second)
			}
			p.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			if !clock.Sleep(ctx, wait) {
				break
			}
			continue
		}
		backoff = 500 * time.Millisecond
		if len(raws) == 0 {
			continue
		}
		p.log.Debug("getUpdates", "offset", offset, "count", len(raws))
		next, err := p.accept(ctx, work, gen, raws, j)
		if errors.Is(err, store.ErrFenced) {
			p.log.Warn("poller: another replica took over; stopping")
			return nil
		}
		if err != nil {
			// Not stored, so not handled: the same batch comes again.
			p.log.Error("poller: store batch in the inbox", "err", err)
			if !clock.Sleep(ctx, time.Second) {
				break
			}
			continue
		}
		offset = max(offset, next)
	}
	return nil
}

// resume hands the inbox's unfinished updates to the dispatcher, oldest
// first, and returns the offset to fetch from.
func (p *Poller) resume(ctx, work context.Context, j *Journal) (int64, error) {
	offset, err := p.st.Offset(ctx)
	if err != nil {
		return 0, err
	}
	n, err := j.Resume(ctx, work, p.dispatch, p.metrics)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		p.log.Info("poller: handling updates left unfinished", "count", n)
	}
	return offset, nil
}

// retryKept hands kept updates over again, a while after a handler kept
// one, until ctx ends.
func (p *Poller) retryKept(ctx, work context.Context, j *Journal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-j.Kept():
		}
		if !clock.Sleep(ctx, j.Retry) {
			return
		}
		if _, err := p.resume(ctx, work, j); err != nil {
			p.log.Warn("poller: hand over kept updates; will retry", "err", err)
			select {
			case j.retry <- struct{}{}:
			default:
			}
		}
	}
}

// accept stores a fetched batch in the inbox and dispatches it, returning
// the next offset. An update that does not parse is logged and skipped;
// Telegram never sends one.
func (p *Poller) accept(ctx, work context.Context, gen int64, raws []json.RawMessage, j *Journal) (int64, error) {
	ids := make([]int64, 0, len(raws))
	bodies := make([][]byte, 0, len(raws))
	us := make([]*models.Update, 0, len(raws))
	for _, r := range raws {
		u := new(models.Update)
		if err := DecodeUpdate(r, u); err != nil || u.ID == 0 {
			p.log.Error("getUpdates: undecodable update skipped", "err", err)
			continue
		}
		ids, bodies, us = append(ids, u.ID), append(bodies, r), append(us, u)
	}
	if len(us) == 0 {
		return 0, errors.New("getUpdates: no update in the batch could be read")
	}
	next := ids[len(ids)-1] + 1
	var as []store.Admission
	var admitted func([]store.Intake, map[int64]bool)
	if p.Prepare != nil {
		as, admitted = p.Prepare(us)
	}
	done := j.ride()
	skipped, ins, err := p.st.InboxAddAdmit(ctx, gen, next, ids, bodies, as, done)
	j.settle(done, err == nil)
	if err != nil {
		return 0, err
	}
	seen := make(map[int64]bool, len(skipped))
	for _, id := range skipped {
		seen[id] = true
		p.metrics.Duplicates.Inc()
	}
	fresh := make([]*models.Update, 0, len(us))
	for _, u := range us {
		if !seen[u.ID] {
			fresh = append(fresh, u)
		}
	}
	if admitted != nil {
		admitted(ins, seen)
	}
	for _, u := range fresh {
		j.Submit(work, p.dispatch, u)
	}
	return next, nil
}
