package telegramtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/go-telegram/bot/models"
)

type hook struct {
	url         string
	secret      string
	maxConn     int
	stop        chan struct{}
	lastErrDate int // guarded by queue.mu
	lastErrMsg  string
}

func validSecret(s string) bool {
	if len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func mSetWebhook(s *Server, _ *http.Request, q *request) (any, *apiError) {
	raw := q.str("url")
	if raw == "" {
		return mDeleteWebhook(s, nil, q)
	}
	// Telegram insists on HTTPS; plain http is accepted so that
	// httptest receivers work.
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid webhook URL specified")
	}
	secret := q.str("secret_token")
	if !validSecret(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, _, aerr := q.int("max_connections")
	if aerr != nil {
		return nil, aerr
	}
	if maxConn == 0 {
		maxConn = 40
	}
	var allowed []string
	hasAllowed, jerr := q.json("allowed_updates", &allowed)
	if jerr != nil {
		return nil, badRequest("can't parse allowed_updates JSON array")
	}
	h := &hook{url: raw, secret: secret, maxConn: maxConn, stop: make(chan struct{})}
	s.q.mu.Lock()
	if old := s.q.hook; old != nil {
		close(old.stop)
	}
	if q.flag("drop_pending_updates") {
		s.q.pending, s.q.forced = nil, nil
	}
	if hasAllowed {
		s.q.setAllowed(allowed)
	}
	s.q.hook = h
	s.q.signal() // long polls still waiting must now fail with 409
	s.q.mu.Unlock()
	go s.deliver(h)
	return true, nil
}

func mDeleteWebhook(s *Server, _ *http.Request, q *request) (any, *apiError) {
	s.q.mu.Lock()
	if h := s.q.hook; h != nil {
		close(h.stop)
		s.q.hook = nil
	}
	if q.flag("drop_pending_updates") {
		s.q.pending, s.q.forced = nil, nil
	}
	s.q.mu.Unlock()
	return true, nil
}

func mGetWebhookInfo(s *Server, _ *http.Request, _ *request) (any, *apiError) {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	info := &models.WebhookInfo{PendingUpdateCount: len(s.q.pending) + len(s.q.forced)}
	if h := s.q.hook; h != nil {
		info.URL, info.MaxConnections = h.url, h.maxConn
		info.LastErrorDate, info.LastErrorMessage = h.lastErrDate, h.lastErrMsg
	}
	for k := range s.q.allowed {
		info.AllowedUpdates = append(info.AllowedUpdates, k)
	}
	sort.Strings(info.AllowedUpdates)
	return info, nil
}

// WebhookURL returns the currently set webhook URL ("" in polling mode).
func (s *Server) WebhookURL() string {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	if s.q.hook == nil {
		return ""
	}
	return s.q.hook.url
}

// deliver POSTs queued updates to one webhook strictly in order, one at a
// time, until the webhook is replaced or deleted. A single goroutine per
// webhook keeps ordering trivial and costs nothing per update.
func (s *Server) deliver(h *hook) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
		case <-s.closed:
		case <-ctx.Done():
		}
		cancel()
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		s.q.mu.Lock()
		var it queued
		forced := false
		for {
			if s.q.hook != h {
				s.q.mu.Unlock()
				return
			}
			if len(s.q.forced) > 0 {
				it, forced = s.q.forced[0], true
				break
			}
			s.q.dropUnwanted()
			if len(s.q.pending) > 0 {
				it = s.q.pending[0]
				break
			}
			wake := s.q.wake
			s.q.mu.Unlock()
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
			s.q.mu.Lock()
		}
		s.q.mu.Unlock()

		errMsg := s.post(ctx, client, h, it)
		if ctx.Err() != nil {
			return
		}
		s.q.mu.Lock()
		if forced {
			if len(s.q.forced) > 0 && s.q.forced[0].id == it.id {
				s.q.forced = s.q.forced[1:]
			}
		} else if len(s.q.pending) > 0 && s.q.pending[0].id == it.id {
			s.q.pending = s.q.pending[1:]
		}
		if errMsg != "" {
			h.lastErrDate, h.lastErrMsg = s.now(), errMsg
		}
		s.q.mu.Unlock()
	}
}

// post tries one update with bounded retries and reports the last error, or
// "" once the receiver answered 2xx.
func (s *Server) post(ctx context.Context, client *http.Client, h *hook, it queued) string {
	backoff := s.cfg.webhookBackoff
	var last string
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(it.raw))
		if err != nil {
			return err.Error()
		}
		req.Header.Set("Content-Type", "application/json")
		if h.secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return ""
			}
			last = fmt.Sprintf("Wrong response from the webhook: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		} else {
			last = "Connection failed: " + err.Error()
		}
		if attempt >= s.cfg.webhookAttempts {
			return last
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return last
		}
		backoff = min(backoff*2, time.Second)
	}
}
