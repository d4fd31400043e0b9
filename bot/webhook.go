package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Webhook receives updates pushed by Telegram. Unlike go-telegram/bot's
// handler it rejects a wrong secret with 401, and it answers only after
// the update was handled, so Telegram redelivers anything we did not
// finish; the dedupe key makes the redelivery harmless.
type Webhook struct {
	secret   []byte
	dispatch *Dispatcher
	work     context.Context
	log      *slog.Logger
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
}

// NewWebhook builds the handler. Handlers run under work.
func NewWebhook(secret string, d *Dispatcher, work context.Context, log *slog.Logger) *Webhook {
	return &Webhook{secret: []byte(secret), dispatch: d, work: work, log: log}
}

func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	if len(w.secret) > 0 && subtle.ConstantTimeCompare(got, w.secret) != 1 {
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil {
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
	done := make(chan struct{})
	w.dispatch.Submit(w.work, &u, func() { close(done) })
	select {
	case <-done:
		rw.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
	}
}

// Close stops taking updates and waits for those in flight.
func (w *Webhook) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}
