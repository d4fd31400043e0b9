package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"cadrebot/attendance"
)

// Leave is one hash per group, leave: user id -> JSON list of ranges
// [{"f":"2026-12-01","t":"2026-12-03","k":"leave"}]. A cadre has a few
// ranges a year, so the whole group's leave is one small read, and it is
// kept for good, like the check-in bits it explains.

// Leaves loads the leave of every member of a group.
func (db *DB) Leaves(ctx context.Context, chat int64) (map[int64]attendance.Leaves, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyLeave(chat)).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return decodeLeaveHash(m), nil
}

// MemberLeaves loads one member's leave in a group.
func (db *DB) MemberLeaves(ctx context.Context, chat, user int64) (attendance.Leaves, error) {
	s, err := db.rdb.HGet(ctx, db.keyLeave(chat), itoa(user)).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err)
	}
	return decodeLeaves(s)
}

// maxLeaveRetries bounds the optimistic retries of UpdateLeave. Every
// round of a conflict lets one writer through, so this many concurrent
// writers of one member's leave all succeed; two is already rare.
const maxLeaveRetries = 32

// UpdateLeave replaces a member's leave with fn's result, under WATCH so
// that a concurrent change (another replica, an admin at the same moment)
// is never overwritten: fn runs again on the fresh value. An error from
// fn is returned as is and nothing is written.
func (db *DB) UpdateLeave(ctx context.Context, chat, user int64, fn func(attendance.Leaves) (attendance.Leaves, error)) error {
	key, field := db.keyLeave(chat), itoa(user)
	for range maxLeaveRetries {
		err := db.rdb.Watch(ctx, func(tx *redis.Tx) error {
			s, err := tx.HGet(ctx, key, field).Result()
			if err != nil && err != redis.Nil {
				return err
			}
			cur, err := decodeLeaves(s)
			if err != nil {
				return fmt.Errorf("leave of %d in %d: %w", user, chat, err)
			}
			next, err := fn(cur)
			if err != nil {
				return errUser{err}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if len(next) == 0 {
					p.HDel(ctx, key, field)
					return nil
				}
				buf, err := json.Marshal(next)
				if err != nil {
					return err
				}
				p.HSet(ctx, key, field, buf)
				return nil
			})
			return err
		}, key)
		var ue errUser
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ue):
			return ue.err
		case errors.Is(err, redis.TxFailedErr):
			continue
		default:
			return wrap(err)
		}
	}
	return fmt.Errorf("leave of %d in %d: %w", user, chat, redis.TxFailedErr)
}

// errUser carries fn's error through Watch untouched.
type errUser struct{ err error }

func (e errUser) Error() string { return e.err.Error() }
