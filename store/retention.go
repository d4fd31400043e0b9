package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// What the bot learns about chats and people that never became part of the
// deployment is kept only for a while. A group is configured once it has
// any setting beyond what the intake records on contact (created, title,
// the bot's own status): a village, a department, approval, a language, a
// schedule. Until then it is listed in P transient with the last time it
// was seen, and the retention sweep deletes the keys of one unseen for
// longer than the retention. A person's private settings (P {u<id>}) live
// for the user retention after their last private message, unless they
// turned on reminders by DM, which keeps them for good.

// Retention sets how long unconfigured chats and users are kept.
type Retention struct {
	Users time.Duration
}

// SetRetention configures the user retention (SetUser applies it).
func (db *DB) SetRetention(r Retention) { db.retention = r }

func (db *DB) keyTransient() string { return db.k("transient") }

// unconfigured reports whether a group's meta holds only what the intake
// writes on contact.
func unconfigured(m map[string]string) bool {
	for f := range m {
		switch f {
		case fCreated, fTitle, fBot:
		default:
			return false
		}
	}
	return true
}

// markTransient notes that an unconfigured group was seen now.
func (db *DB) markTransient(ctx context.Context, chat int64, now time.Time) error {
	return wrap(db.rdb.ZAdd(ctx, db.keyTransient(), redis.Z{Score: float64(now.Unix()), Member: itoa(chat)}).Err())
}

// SweepTransient deletes every key of the groups that stayed unconfigured
// and were last seen before cutoff, and returns how many it deleted.
func (db *DB) SweepTransient(ctx context.Context, cutoff time.Time) (int, error) {
	ids, err := db.rdb.ZRangeByScore(ctx, db.keyTransient(), &redis.ZRangeBy{
		Min: "-inf", Max: "(" + strconv.FormatInt(cutoff.Unix(), 10)}).Result()
	if err != nil {
		return 0, wrap(err)
	}
	n := 0
	for _, s := range ids {
		chat, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue
		}
		m, err := db.rdb.HGetAll(ctx, db.keyGroup(chat)).Result()
		if err != nil {
			return n, wrap(err)
		}
		if len(m) > 0 && !unconfigured(m) {
			// Set up meanwhile: it stays, for good.
			if err := db.rdb.ZRem(ctx, db.keyTransient(), s).Err(); err != nil {
				return n, wrap(err)
			}
			continue
		}
		keys, err := db.groupKeys(ctx, chat)
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			if err := db.rdb.Del(ctx, k).Err(); err != nil {
				return n, wrap(err)
			}
		}
		_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.SRem(ctx, db.keyGroups(), s)
			p.ZRem(ctx, db.keyTransient(), s)
			db.groupChanged(ctx, p, chat)
			return nil
		})
		if err != nil {
			return n, wrap(err)
		}
		n++
	}
	return n, nil
}

// setUserScript sets a user's fields and their retention: kept for good
// while reminders by DM are on, else for the retention from now.
// KEYS[1] the user's hash. ARGV[1] retention ms (0: none), ARGV[2..]
// field, value, ...
var setUserScript = redis.NewScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if redis.call('HGET', KEYS[1], 'remindme') == '1' or tonumber(ARGV[1]) == 0 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
`)

// PruneUndeliverable forgets undeliverable records older than cutoff.
func (db *DB) PruneUndeliverable(ctx context.Context, cutoff time.Time) (int, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyUndeliverable()).Result()
	if err != nil {
		return 0, wrap(err)
	}
	var old []string
	for ref, raw := range m {
		var v struct {
			At int64 `json:"at"`
		}
		if json.Unmarshal([]byte(raw), &v) != nil || v.At < cutoff.Unix() {
			old = append(old, ref)
		}
	}
	if len(old) == 0 {
		return 0, nil
	}
	return len(old), wrap(db.rdb.HDel(ctx, db.keyUndeliverable(), old...).Err())
}
