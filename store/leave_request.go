package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"cadrebot/attendance"
)

// Leave requests are one hash per group, leavereq: request id -> JSON of
// attendance.Request. They sit beside the leave hash, in the same hash
// slot, so that approving one moves it into the member's leave in one
// transaction, and nothing that reads leave ever sees a request.

// SaveLeaveRequest stores (or updates) a pending request.
func (db *DB) SaveLeaveRequest(ctx context.Context, r attendance.Request) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("leave request %s: %w", r.ID, err)
	}
	return wrap(db.rdb.HSet(ctx, db.keyLeaveReq(r.Chat), r.ID, b).Err())
}

// LeaveRequest loads a pending request; ErrNotFound when it was decided
// or withdrawn.
func (db *DB) LeaveRequest(ctx context.Context, chat int64, id string) (attendance.Request, error) {
	s, err := db.rdb.HGet(ctx, db.keyLeaveReq(chat), id).Result()
	if err != nil {
		return attendance.Request{}, wrap(err)
	}
	var r attendance.Request
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("leave request %s in %d: %w", id, chat, err)
	}
	return r, nil
}

// LeaveRequests lists a member's pending requests in a group, oldest
// first.
func (db *DB) LeaveRequests(ctx context.Context, chat, user int64) ([]attendance.Request, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyLeaveReq(chat)).Result()
	if err != nil {
		return nil, wrap(err)
	}
	var out []attendance.Request
	for _, s := range m {
		var r attendance.Request
		if json.Unmarshal([]byte(s), &r) == nil && r.User == user {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b attendance.Request) int { return a.Leave.From.Compare(b.Leave.From) })
	return out, nil
}

// DeleteLeaveRequest withdraws a request; false when it was not pending.
func (db *DB) DeleteLeaveRequest(ctx context.Context, chat int64, id string) (bool, error) {
	n, err := db.rdb.HDel(ctx, db.keyLeaveReq(chat), id).Result()
	return n == 1, wrap(err)
}

// ApproveLeaveRequest turns a pending request into leave: fn gets the
// request and the member's current leave and returns the leave to store.
// The request is removed in the same transaction, under WATCH of both
// keys, so of two admins pressing Approve at once exactly one succeeds
// and the other gets cadrebot.ErrNotFound. An error from fn is returned as is and
// nothing changes.
func (db *DB) ApproveLeaveRequest(ctx context.Context, chat int64, id string, fn func(attendance.Request, attendance.Leaves) (attendance.Leaves, error)) (attendance.Request, error) {
	reqKey, leaveKey := db.keyLeaveReq(chat), db.keyLeave(chat)
	var req attendance.Request
	for range maxLeaveRetries {
		err := db.rdb.Watch(ctx, func(tx *redis.Tx) error {
			s, err := tx.HGet(ctx, reqKey, id).Result()
			if err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(s), &req); err != nil {
				return fmt.Errorf("leave request %s in %d: %w", id, chat, err)
			}
			field := itoa(req.User)
			cur, err := tx.HGet(ctx, leaveKey, field).Result()
			if err != nil && err != redis.Nil {
				return err
			}
			ls, err := decodeLeaves(cur)
			if err != nil {
				return fmt.Errorf("leave of %d in %d: %w", req.User, chat, err)
			}
			next, err := fn(req, ls)
			if err != nil {
				return errUser{err}
			}
			buf, err := json.Marshal(next)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, leaveKey, field, buf)
				p.HDel(ctx, reqKey, id)
				return nil
			})
			return err
		}, reqKey, leaveKey)
		var ue errUser
		switch {
		case err == nil:
			return req, nil
		case errors.As(err, &ue):
			return req, ue.err
		case errors.Is(err, redis.TxFailedErr):
			continue
		default:
			return req, wrap(err)
		}
	}
	return req, fmt.Errorf("leave request %s in %d: %w", id, chat, redis.TxFailedErr)
}
