package store

import (
	"context"
	"strconv"
	"time"

	"cadrebot"

	"github.com/redis/go-redis/v9"

	"cadrebot/calendar"
)

// boardPending marks a day's board message that a process is creating.
const boardPending = "0"

// boardTTL keeps a day's board message id a little past the day, in every
// time zone.
const boardTTL = 3 * 24 * time.Hour

// boardPendingTTL bounds a claim to create a board: if its owner dies
// before sending, a later refresh creates the board instead. It matches
// the longest a send may wait on Telegram's 429s (bot.Sender's
// MaxRetryAfter), so a slow owner is not mistaken for a dead one.
const boardPendingTTL = 2 * time.Minute

// ClaimBoard reserves the creation of a day's board message, so that of
// several replicas only one sends it; false means another has it. The
// check-in script claims it for the day's first check-in; this serves
// the rare re-creation of a board someone deleted.
func (db *DB) ClaimBoard(ctx context.Context, chat int64, day calendar.Date) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyBoard(chat, day), boardPending, boardPendingTTL).Result()
	return ok, wrap(err)
}

// SetBoard records the day's board message.
func (db *DB) SetBoard(ctx context.Context, chat int64, day calendar.Date, msgID int) error {
	return wrap(db.rdb.Set(ctx, db.keyBoard(chat, day), strconv.Itoa(msgID), boardTTL).Err())
}

// DropBoard forgets the day's board message (it was deleted in Telegram,
// or its creation failed), so the next refresh creates a new one.
func (db *DB) DropBoard(ctx context.Context, chat int64, day calendar.Date) error {
	return wrap(db.rdb.Del(ctx, db.keyBoard(chat, day)).Err())
}

// remindedTTL keeps the per-day reminder counts past the day in every
// time zone.
const remindedTTL = 3 * 24 * time.Hour

// countRemindersScript enforces "at most N reminders per person per day":
// it increments the day's count of every user still under the limit and
// returns those users.
// KEYS[1] the group's reminder counts of the day. ARGV[1] the limit,
// ARGV[2] TTL in seconds, ARGV[3..] user ids.
var countRemindersScript = redis.NewScript(`
local out = {}
local max = tonumber(ARGV[1])
for i = 3, #ARGV do
  local n = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if n < max then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
    out[#out + 1] = ARGV[i]
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return out
`)

// CountReminders records a reminder for each of users on day and returns
// the ones it may go to: those who had fewer than max reminders that day.
func (db *DB) CountReminders(ctx context.Context, chat int64, day calendar.Date, users []int64, max int) ([]int64, error) {
	if len(users) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(users)+2)
	args = append(args, max, int64(remindedTTL/time.Second))
	for _, u := range users {
		args = append(args, u)
	}
	ss, err := countRemindersScript.Run(ctx, db.rdb, []string{db.keyReminded(chat, day)}, args...).StringSlice()
	if err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	out := make([]int64, 0, len(ss))
	for _, s := range ss {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// UserStates loads the private settings of many users in one pipelined
// round trip (the reminder job's DM opt-ins).
func (db *DB) UserStates(ctx context.Context, users []int64) (map[int64]cadrebot.UserState, error) {
	cmds := make([]*redis.MapStringStringCmd, len(users))
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, u := range users {
			cmds[i] = p.HGetAll(ctx, db.keyUser(u))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[int64]cadrebot.UserState, len(users))
	for i, c := range cmds {
		m := c.Val()
		out[users[i]] = cadrebot.UserState{Lang: m["lang"], Started: m["started"] == "1", RemindMe: m["remindme"] == "1"}
	}
	return out, nil
}
