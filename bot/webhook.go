package bot

import (
	"context"
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/clock"
	"cadrebot/metrics"
	"cadrebot/store"
)

// WebhookStore is what the webhook needs from Redis (store.DB).
type WebhookStore interface {
	InboxStore
	WebhookAdd(ctx context.Context, owner string, id int64, raw []byte, now time.Time) (bool, error)
	InboxBeat(ctx context.Context, owner string, now time.Time) error
	InboxAdopt(ctx context.Context, owner string, cutoff time.Time) ([]store.InboxEntry, error)
	InboxLeave(ctx context.Context, owner string) error
}

// Webhook receives updates pushed by Telegram. It refuses a request
// without the right secret with 401, always: there is no configuration in
// which it accepts an unauthenticated update. An accepted update is
// written to this replica's inbox first, so a replica that dies loses
// nothing: its inbox is adopted by another (Run). Telegram gets its answer
// once the update is handled, which keeps a chat's updates in order even
// across replicas, since Telegram sends the next one only then; an update
// still not handled after Hold is answered anyway (it is safe in the
// inbox), so one slow chat cannot tie up Telegram's connections.
type Webhook struct {
	secret   []byte
	st       WebhookStore
	owner    string
	dispatch *Dispatcher
	journal  *Journal
	work     context.Context
	log      *slog.Logger
	metrics  *metrics.Metrics
	now      func() time.Time

	// Beat is how often this replica says it is alive; a replica silent
	// for Silence has its inbox adopted.
	Beat    time.Duration
	Silence time.Duration
	// Hold is how long a request waits for its update to be handled.
	Hold time.Duration

	wg     sync.WaitGroup
	mu     sync.RWMutex
	closed bool
}

// NewWebhook builds the handler; j keeps this replica's inbox. An empty
// secret refuses every request. Handlers run under work.
func NewWebhook(secret string, st WebhookStore, j *Journal, d *Dispatcher, work context.Context, log *slog.Logger, m *metrics.Metrics) *Webhook {
	return &Webhook{secret: []byte(secret), st: st, owner: j.Owner(), dispatch: d, journal: j,
		work: work, log: log, metrics: m, now: time.Now, Beat: 2 * time.Second, Silence: 10 * time.Second, Hold: 5 * time.Second}
}

func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	if len(w.secret) == 0 || subtle.ConstantTimeCompare(got, w.secret) != 1 {
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	u := new(models.Update)
	if err := DecodeUpdate(body, u); err != nil || u.ID == 0 {
		w.log.Warn("webhook: undecodable update", "err", err)
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		// Shutting down: let Telegram deliver it again to a live replica.
		http.Error(rw, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.wg.Add(1)
	w.mu.RUnlock()
	defer w.wg.Done()
	fresh, err := w.st.WebhookAdd(r.Context(), w.owner, u.ID, body, w.now())
	if err != nil {
		// Not stored: Telegram retries it.
		w.log.Error("webhook: store update", "update_id", u.ID, "err", err)
		http.Error(rw, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !fresh {
		w.metrics.Duplicates.Inc()
		rw.WriteHeader(http.StatusOK)
		return
	}
	if done := w.journal.SubmitWait(w.work, w.dispatch, u); done != nil {
		t := time.NewTimer(w.Hold)
		select {
		case <-done:
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}
	rw.WriteHeader(http.StatusOK)
}

// Run beats and adopts the inboxes of replicas that stopped beating, until
// ctx ends.
func (w *Webhook) Run(ctx context.Context) {
	// Updates this replica's previous life left behind are adopted like a
	// stranger's, once it has been silent long enough.
	t := time.NewTicker(w.Beat)
	defer t.Stop()
	for {
		if err := w.st.InboxBeat(ctx, w.owner, w.now()); err != nil && ctx.Err() == nil {
			w.log.Warn("webhook: heartbeat", "err", err)
		}
		es, err := w.st.InboxAdopt(ctx, w.owner, w.now().Add(-w.Silence))
		if err != nil && ctx.Err() == nil {
			w.log.Warn("webhook: adopt silent replicas' updates", "err", err)
		}
		us, bad := decodeEntries(es, w.log)
		for _, id := range bad {
			w.journal.forget(id)
		}
		for _, u := range us {
			if w.journal.Submit(w.work, w.dispatch, u) {
				w.metrics.Replays.Inc()
			}
		}
		if len(us) > 0 {
			w.log.Info("webhook: took over updates of a replica that stopped", "count", len(us))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.journal.Kept():
			// A handler kept an update: hand this replica's own inbox
			// over again once Redis answers.
			if clock.Sleep(ctx, w.journal.Retry) {
				if _, err := w.journal.Resume(ctx, w.work, w.dispatch, w.metrics); err != nil {
					w.log.Warn("webhook: hand over kept updates", "err", err)
				}
			}
		}
	}
}

// Close stops taking updates and waits for requests in flight.
func (w *Webhook) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}

// Leave takes this replica off the heartbeats if its inbox is empty, once
// the dispatcher has drained and the journal flushed; otherwise it stays
// to be adopted.
func (w *Webhook) Leave(ctx context.Context) error { return w.st.InboxLeave(ctx, w.owner) }
