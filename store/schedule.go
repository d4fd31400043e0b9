package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

func (db *DB) keySchedulerSeen() string { return db.k("sched:seen") }

// SchedulerSeen is the last time any replica's scheduler looked at the
// clock, or zero for a deployment that never ran one. Missed firings are
// caught up only from there: a new deployment does not replay last
// week's jobs on its first start.
func (db *DB) SchedulerSeen(ctx context.Context) (time.Time, error) {
	n, err := db.rdb.Get(ctx, db.keySchedulerSeen()).Int64()
	if err == redis.Nil {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap(err)
	}
	return time.Unix(n, 0), nil
}

// forwardScript sets a number key only to a larger value, so a slow
// replica can never move it back.
// KEYS[1] key. ARGV[1] new value.
var forwardScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`)

// MarkSchedulerSeen records t as seen; it only moves forward.
func (db *DB) MarkSchedulerSeen(ctx context.Context, t time.Time) error {
	return wrap(forwardScript.Run(ctx, db.rdb, []string{db.keySchedulerSeen()}, t.Unix()).Err())
}
