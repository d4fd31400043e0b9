package store

import (
	"context"
	"time"
)

// A confirmation is what a command asked a group to confirm with buttons
// (a /bind, a /setup that renames a village with data): one string per
// pending question, under the group's tag, expiring on its own. Taking it
// deletes it, so two presses cannot both carry it out.

// SaveConfirmation stores a pending confirmation for ttl.
func (db *DB) SaveConfirmation(ctx context.Context, chat int64, nonce string, v []byte, ttl time.Duration) error {
	return wrap(db.rdb.Set(ctx, db.keyConfirm(chat, nonce), v, ttl).Err())
}

// Confirmation reads a pending confirmation; ErrNotFound once it was
// taken or expired.
func (db *DB) Confirmation(ctx context.Context, chat int64, nonce string) ([]byte, error) {
	b, err := db.rdb.Get(ctx, db.keyConfirm(chat, nonce)).Bytes()
	return b, wrap(err)
}

// TakeConfirmation reads and deletes a pending confirmation in one step;
// ErrNotFound when another press took it first.
func (db *DB) TakeConfirmation(ctx context.Context, chat int64, nonce string) ([]byte, error) {
	b, err := db.rdb.GetDel(ctx, db.keyConfirm(chat, nonce)).Bytes()
	return b, wrap(err)
}

// VillageProblemCount is how many problems a village group ever reported.
func (db *DB) VillageProblemCount(ctx context.Context, chat int64) (int64, error) {
	n, err := db.rdb.ZCard(ctx, db.keyPrVillage(chat)).Result()
	return n, wrap(err)
}
