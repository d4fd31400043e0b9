package store

import (
	"context"
	"strconv"
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
	FormReport  = "dlg"  // the /report dialog
	FormAction  = "pact" // a card action waiting for its note
	FormProject = "proj" // the /project dialog
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
	return wrap(db.auto.Set(ctx, db.keyForm(chat, kind, user), data, ttl).Err())
}

// DeleteForm drops a form and its messages.
func (db *DB) DeleteForm(ctx context.Context, chat, user int64, kind string) error {
	k := db.keyForm(chat, kind, user)
	return wrap(db.rdb.Del(ctx, k, k+":m").Err())
}

// A form's messages that waited in the outbox get their ids only when the
// outbox sends them, which may be before or after the form's owner saves
// the form. They go to a hash of their own beside the form, message id ->
// mark, so that neither write can undo the other.

// AddFormMessage records message msgID of a form with its owner's mark.
func (db *DB) AddFormMessage(ctx context.Context, chat, user int64, kind string, msgID int, mark string, ttl time.Duration) error {
	k := db.keyForm(chat, kind, user) + ":m"
	_, err := db.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, itoa(int64(msgID)), mark)
		p.Expire(ctx, k, ttl)
		return nil
	})
	return wrap(err)
}

// FormAndMessages returns a saved form (nil when none) and the messages
// recorded with AddFormMessage, in one round trip.
func (db *DB) FormAndMessages(ctx context.Context, chat, user int64, kind string) ([]byte, map[int]string, error) {
	var f formRead
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		f = db.queueForm(ctx, p, chat, kind, user)
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, nil, wrap(err)
	}
	c, err := f.result()
	if err != nil {
		return nil, nil, err
	}
	return c.Body, c.Msgs, nil
}

// FormCopy is a form read along with something else: its bytes (nil when
// there is none) and the messages recorded with it.
type FormCopy struct {
	Body []byte
	Msgs map[int]string
}

// formRead is a form's read queued on a pipeline.
type formRead struct {
	body *redis.StringCmd
	msgs *redis.MapStringStringCmd
}

func (db *DB) queueForm(ctx context.Context, p redis.Pipeliner, chat int64, kind string, user int64) formRead {
	k := db.keyForm(chat, kind, user)
	return formRead{body: p.Get(ctx, k), msgs: p.HGetAll(ctx, k+":m")}
}

// result is the form once the pipeline ran.
func (f formRead) result() (*FormCopy, error) {
	if err := f.body.Err(); err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	if err := f.msgs.Err(); err != nil {
		return nil, wrap(err)
	}
	body, _ := f.body.Bytes()
	return &FormCopy{Body: body, Msgs: formMessages(f.msgs.Val())}, nil
}

func formMessages(m map[string]string) map[int]string {
	out := make(map[int]string, len(m))
	for f, v := range m {
		if id, err := strconv.Atoi(f); err == nil {
			out[id] = v
		}
	}
	return out
}

// Held reports are problem reports of a village group not yet approved:
// kept in the group's slot, in order, until a deployment admin approves
// the group and they are filed.

func (db *DB) keyHeld(chat int64) string { return db.k(gtag(chat), ":held") }

// HoldReport keeps a report of an unapproved group and returns how many
// the group now holds.
func (db *DB) HoldReport(ctx context.Context, chat int64, report []byte) (int64, error) {
	n, err := db.rdb.RPush(ctx, db.keyHeld(chat), report).Result()
	return n, wrap(err)
}

// HeldReports returns a group's held reports, oldest first.
func (db *DB) HeldReports(ctx context.Context, chat int64) ([][]byte, error) {
	ss, err := db.rdb.LRange(ctx, db.keyHeld(chat), 0, -1).Result()
	if err != nil {
		return nil, wrap(err)
	}
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out, nil
}

// DropHeld forgets the first n held reports of a group (filed now).
func (db *DB) DropHeld(ctx context.Context, chat int64, n int) error {
	return wrap(db.rdb.LTrim(ctx, db.keyHeld(chat), int64(n), -1).Err())
}
