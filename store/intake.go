package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Admission is what the router tells the store about an update before it
// routes it.
type Admission struct {
	Chat    int64
	IsGroup bool
	Title   string // the group's title as the update shows it
	// User is counted against flood control when Count is set, in fixed
	// windows of Window.
	User   int64
	Count  bool
	Window time.Duration
	Now    time.Time
}

// Intake is what the router learns about an update in its one round trip:
// the group it belongs to and the sender's flood count.
type Intake struct {
	Group   *cadrebot.Group // nil outside groups
	MovedTo int64           // the chat migrated here; handle the update there
	Flood   int64           // the sender's counted updates in this window, this one included (0 when not counted)
}

// Admit registers a group on first contact and loads it, and counts the
// sender for flood control, all in one pipelined round trip. The count
// lives in Redis so that it holds across replicas.
func (db *DB) Admit(ctx context.Context, a Admission) (Intake, error) {
	var (
		meta  *redis.MapStringStringCmd
		moved *redis.StringCmd
		flood *redis.IntCmd
	)
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if a.IsGroup {
			moved = p.Get(ctx, db.keyMoved(a.Chat))
			meta = db.touchGroup(p, ctx, a.Chat, a.Title, a.Now)
		}
		if a.Count && a.Window > 0 {
			k := db.keyFlood(a.User, a.Now.UnixNano()/int64(a.Window))
			flood = p.Incr(ctx, k)
			p.PExpire(ctx, k, 2*a.Window)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return Intake{}, wrap(err)
	}
	var in Intake
	if a.IsGroup {
		if n, err := strconv.ParseInt(moved.Val(), 10, 64); err == nil && n != 0 {
			// A late update of a group that became a supergroup: the
			// touch above brought back a record of the old chat, which
			// must stay gone.
			in.MovedTo = n
			_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, db.keyGroup(a.Chat))
				p.SRem(ctx, db.keyGroups(), itoa(a.Chat))
				return nil
			})
			return in, wrap(err)
		}
		in.Group = decodeGroup(a.Chat, meta.Val())
		if unconfigured(meta.Val()) {
			if err := db.markTransient(ctx, a.Chat, a.Now); err != nil {
				return in, err
			}
		}
	}
	if flood != nil {
		in.Flood = flood.Val()
	}
	return in, nil
}

// CountFlood counts one more update of user against flood control, for an
// update that turned out to be handled only after routing (a dialog answer
// typed as a plain message), and returns the window's count.
func (db *DB) CountFlood(ctx context.Context, user int64, window time.Duration, now time.Time) (int64, error) {
	k := db.keyFlood(user, now.UnixNano()/int64(window))
	var n *redis.IntCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.PExpire(ctx, k, 2*window)
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	return n.Val(), nil
}

// FloodNotice reports whether user is due the one "slow down" notice of a
// flood: true the first time within quiet, so a user who keeps flooding
// hears it once, not once per window.
func (db *DB) FloodNotice(ctx context.Context, user int64, quiet time.Duration) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyFloodNotice(user), "1", quiet).Result()
	return ok, wrap(err)
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
// "remindme"), and their retention (see Retention).
func (db *DB) SetUser(ctx context.Context, user int64, kv ...string) error {
	args := make([]any, 0, len(kv)+1)
	args = append(args, db.retention.Users.Milliseconds())
	for _, s := range kv {
		args = append(args, s)
	}
	return wrap(setUserScript.Run(ctx, db.rdb, []string{db.keyUser(user)}, args...).Err())
}

// WebhookSecret returns the deployment's webhook secret, making candidate
// it when there is none yet, so that every replica hands Telegram the same
// one (setWebhook keeps only the last).
func (db *DB) WebhookSecret(ctx context.Context, candidate string) (string, error) {
	var get *redis.StringCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, db.keyWebhookSecret(), candidate, 0)
		get = p.Get(ctx, db.keyWebhookSecret())
		return nil
	})
	if err != nil {
		return "", wrap(err)
	}
	return get.Val(), nil
}
