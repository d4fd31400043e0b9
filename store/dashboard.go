package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// UseDashLink marks the nonce of a one-time dashboard link used, for ttl
// (at least until the link expires): it reports whether this call used
// it first. A second use, a replay, gets false.
func (db *DB) UseDashLink(ctx context.Context, nonce string, ttl time.Duration) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyDashLink(nonce), "1", ttl).Result()
	return ok, wrap(err)
}

// DashSession is a browser signed in to the dashboard: who, in which
// language, since when. What they may see is decided on every request.
type DashSession struct {
	User    int64  `json:"u"`
	Lang    string `json:"l,omitempty"`
	Created int64  `json:"at"` // unix seconds
}

// SaveDashSession stores a session under its id for ttl.
func (db *DB) SaveDashSession(ctx context.Context, id string, s DashSession, ttl time.Duration) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("dashboard session: %w", err)
	}
	return wrap(db.rdb.Set(ctx, db.keyDashSession(id), b, ttl).Err())
}

// DashSession loads a session, or cadrebot.ErrNotFound when it expired or
// never existed.
func (db *DB) DashSession(ctx context.Context, id string) (DashSession, error) {
	var s DashSession
	b, err := db.rdb.Get(ctx, db.keyDashSession(id)).Bytes()
	if err == redis.Nil {
		return s, cadrebot.ErrNotFound
	}
	if err != nil {
		return s, wrap(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("dashboard session: %w", err)
	}
	return s, nil
}

// DeleteDashSession signs a session out.
func (db *DB) DeleteDashSession(ctx context.Context, id string) error {
	return wrap(db.rdb.Del(ctx, db.keyDashSession(id)).Err())
}
