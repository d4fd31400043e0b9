package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// UpdateTTL keeps processed update IDs long enough to cover Telegram's own
// 24-hour retention with margin.
const UpdateTTL = 48 * time.Hour

// Offset returns the getUpdates offset to resume from (0 when unset).
func (db *DB) Offset(ctx context.Context) (int64, error) {
	n, err := db.rdb.Get(ctx, db.keyOffset()).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	return n, wrap(err)
}

// offsetScript moves the offset forward only, so a slow replica can never
// move it back.
// KEYS[1] offset. ARGV[1] new offset.
var offsetScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`)

// SetOffset records that every update below offset was processed.
func (db *DB) SetOffset(ctx context.Context, offset int64) error {
	return wrap(offsetScript.Run(ctx, db.rdb, []string{db.keyOffset()}, offset).Err())
}

// Intake is what the dispatcher learns about an update in its one round
// trip: whether it is new, and the group it belongs to.
type Intake struct {
	Duplicate bool
	Group     *cadrebot.Group // nil outside groups
	MovedTo   int64           // the chat migrated here; handle the update there
}

// Admit claims an update ID (at most once, across replicas) and, for a
// group chat, registers the group on first contact and loads it, all in
// one pipelined round trip.
func (db *DB) Admit(ctx context.Context, updateID, chat int64, isGroup bool, title string, now time.Time) (Intake, error) {
	var (
		claim *redis.BoolCmd
		meta  *redis.MapStringStringCmd
		moved *redis.StringCmd
	)
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		claim = p.SetNX(ctx, db.keyUpdate(updateID), "1", UpdateTTL)
		if isGroup {
			moved = p.Get(ctx, db.keyMoved(chat))
			meta = db.touchGroup(p, ctx, chat, title, now)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return Intake{}, wrap(err)
	}
	in := Intake{Duplicate: !claim.Val()}
	if isGroup {
		if n, err := strconv.ParseInt(moved.Val(), 10, 64); err == nil && n != 0 {
			in.MovedTo = n
		}
		in.Group = decodeGroup(chat, meta.Val())
	}
	return in, nil
}

// Release forgets an update claim, for an update that could not be
// processed because Redis failed half-way and should be retried.
func (db *DB) Release(ctx context.Context, updateID int64) error {
	return wrap(db.rdb.Del(ctx, db.keyUpdate(updateID)).Err())
}

// Once sets a marker that something happened (a digest sent, a reminder
// fired), returning false if it was already set. TTL bounds its life.
func (db *DB) Once(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyOnce(name), "1", ttl).Result()
	return ok, wrap(err)
}

// Done reports whether a marker set with Once exists.
func (db *DB) Done(ctx context.Context, name string) (bool, error) {
	n, err := db.rdb.Exists(ctx, db.keyOnce(name)).Result()
	return n > 0, wrap(err)
}

// User is per-user state outside any group.
type User struct {
	Lang     string
	Started  bool // the user started the bot privately, so DMs work
	RemindMe bool
}

// UserState loads a user's private settings.
func (db *DB) UserState(ctx context.Context, user int64) (User, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyUser(user)).Result()
	if err != nil {
		return User{}, wrap(err)
	}
	return User{Lang: m["lang"], Started: m["started"] == "1", RemindMe: m["remindme"] == "1"}, nil
}

// SetUser sets fields of a user's private settings ("lang", "started",
// "remindme").
func (db *DB) SetUser(ctx context.Context, user int64, kv ...string) error {
	args := make([]any, len(kv))
	for i, s := range kv {
		args[i] = s
	}
	return wrap(db.rdb.HSet(ctx, db.keyUser(user), args...).Err())
}
