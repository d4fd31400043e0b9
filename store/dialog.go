package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Forms are small conversation states of one user in one chat, such as
// the /report dialog or a handler's pending "send the resolution note".
// The store keeps them as opaque bytes; their owner versions their
// layout and decides when they expire (by its clock, which tests fake),
// so ttl here only collects the garbage.

// Form kinds.
const (
	FormReport = "dlg"  // the /report dialog
	FormAction = "pact" // a card action waiting for its note
)

// Form returns a saved form, or nil when there is none.
func (db *DB) Form(ctx context.Context, chat, user int64, kind string) ([]byte, error) {
	b, err := db.rdb.Get(ctx, db.keyForm(chat, kind, user)).Bytes()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err)
	}
	return b, nil
}

// SaveForm stores a form for ttl.
func (db *DB) SaveForm(ctx context.Context, chat, user int64, kind string, data []byte, ttl time.Duration) error {
	return wrap(db.rdb.Set(ctx, db.keyForm(chat, kind, user), data, ttl).Err())
}

// DeleteForm drops a form.
func (db *DB) DeleteForm(ctx context.Context, chat, user int64, kind string) error {
	return wrap(db.rdb.Del(ctx, db.keyForm(chat, kind, user)).Err())
}
