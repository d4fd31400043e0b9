package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// OffsetStore keeps the getUpdates offset across restarts.
type OffsetStore interface {
	Offset(ctx context.Context) (int64, error)
	SetOffset(ctx context.Context, offset int64) error
}

// Poller is our own getUpdates loop. go-telegram/bot's poller confirms an
// update as soon as it is buffered, so a crash loses it; here the offset
// moves past a batch only after every update in it was handled, and it is
// kept in Redis, so a restart neither loses nor replays updates.
type Poller struct {
	base     string // API URL + "/bot" + token; never logged
	token    string
	client   *http.Client
	offsets  OffsetStore
	dispatch *Dispatcher
	log      *slog.Logger
	Timeout  time.Duration // long-poll timeout
	Limit    int
	Allowed  []string
}

// NewPoller builds a poller against apiURL.
func NewPoller(apiURL, token string, client *http.Client, offsets OffsetStore, d *Dispatcher, log *slog.Logger) *Poller {
	return &Poller{base: apiURL + "/bot" + token, token: token, client: client, offsets: offsets, dispatch: d, log: log,
		Timeout: 30 * time.Second, Limit: 100,
		Allowed: []string{"message", "callback_query", "my_chat_member", "chat_member"}}
}

// Run polls until ctx ends. Handlers run under work, which outlives ctx
// by the shutdown grace period so in-flight updates can finish.
func (p *Poller) Run(ctx, work context.Context) error {
	offset, err := p.offsets.Offset(ctx)
	for err != nil {
		p.log.Error("read getUpdates offset; retrying", "err", err)
		if !sleep(ctx, 2*time.Second) {
			return nil
		}
		offset, err = p.offsets.Offset(ctx)
	}
	backoff := time.Second
	for ctx.Err() == nil {
		ups, retryAfter, err := p.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait := backoff
			if retryAfter > 0 {
				wait = retryAfter
			} else if backoff < 30*time.Second {
				backoff *= 2
			}
			p.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		backoff = time.Second
		if len(ups) == 0 {
			continue
		}
		p.dispatch.RunBatch(work, ups)
		offset = ups[len(ups)-1].ID + 1
		if err := p.offsets.SetOffset(work, offset); err != nil {
			// The in-memory offset still moves on; after a restart the
			// per-update dedupe keys stop any replay from acting twice.
			p.log.Error("save getUpdates offset", "offset", offset, "err", err)
		}
	}
	return nil
}

type updatesResponse struct {
	OK          bool             `json:"ok"`
	Result      []*models.Update `json:"result"`
	ErrorCode   int              `json:"error_code"`
	Description string           `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func (p *Poller) getUpdates(ctx context.Context, offset int64) ([]*models.Update, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"offset": offset, "limit": p.Limit,
		"timeout": int(p.Timeout / time.Second), "allowed_updates": p.Allowed})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates request: %w", p.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates: %w", p.redact(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates read: %w", p.redact(err))
	}
	var r updatesResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("getUpdates decode (HTTP %d): %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, time.Duration(r.Parameters.RetryAfter) * time.Second,
			fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, 0, nil
}

// redact removes the token from errors that carry the request URL.
func (p *Poller) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, p.token, "***")
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
