package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The inbox holds every update the bot has taken from Telegram and not yet
// finished, verbatim, so that a crash loses none: once an update is here,
// Telegram may forget it. The poller writes a whole batch and moves the
// getUpdates offset past it in one script, fenced by the lease generation,
// and only then hands the batch to the handlers; a finished update is
// deleted. The next poller (or the same process restarted) handles what is
// left before it asks Telegram for more. In webhook mode each replica has
// its own inbox and a heartbeat; a replica that stops beating has its
// inbox adopted by another (InboxAdopt).
//
// All inbox keys share the hash tag {in}: the script that stores a batch
// touches the fence, the inbox and the offset at once.

// InboxPoll is the poller's inbox owner.
const InboxPoll = "poll"

// InboxFence is the fencing name of the poller lease (see Fence).
const InboxFence = "in"

// WebhookDedupeTTL keeps webhook update IDs long enough to cover Telegram's
// own 24-hour retention with margin.
const WebhookDedupeTTL = 48 * time.Hour

func (db *DB) keyInbox(owner string) string { return db.k("{in}:q:", owner) }
func (db *DB) keyInOffset() string          { return db.k("{in}:offset") }
func (db *DB) keyInOwners() string          { return db.k("{in}:owners") }
func (db *DB) keyInSeen(id int64) string    { return db.k("{in}:u:", itoa(id)) }
func (db *DB) keyLegacyOffset() string      { return db.k("offset") }
func (db *DB) keyInFence() string           { return db.keyFence(InboxFence) }
func inboxField(id int64) string            { return itoa(id) }
func parseInboxField(f string) (int64, bool) {
	n, err := strconv.ParseInt(f, 10, 64)
	return n, err == nil
}

// Offset returns the getUpdates offset to resume from (0 when unset). A
// deployment from before the inbox kept it under "offset".
func (db *DB) Offset(ctx context.Context) (int64, error) {
	var cur, legacy *redis.StringCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		cur = p.Get(ctx, db.keyInOffset())
		legacy = p.Get(ctx, db.keyLegacyOffset())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, wrap(err)
	}
	a, _ := cur.Int64()
	b, _ := legacy.Int64()
	return max(a, b), nil
}

// inboxAddScript stores a fetched batch and moves the offset past it,
// only for the current lease generation. An update below the offset has
// been taken before (Telegram delivered it again) and is skipped, unless
// it is far below: after a week without updates Telegram starts numbering
// again from a random point.
// It also deletes finished updates, which costs their deletion no round
// trip of its own.
// KEYS[1] fence, KEYS[2] inbox, KEYS[3] offset. ARGV[1] generation,
// ARGV[2] new offset, ARGV[3] redelivery window, ARGV[4] n, the number
// of finished updates, ARGV[5..4+n] their ids, then update id, update
// JSON, ... Returns -1 when the generation is stale, else the number of
// updates skipped followed by their ids.
var inboxAddScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local n = tonumber(ARGV[4])
if n > 0 then redis.call('HDEL', KEYS[2], unpack(ARGV, 5, 4 + n)) end
local cur = tonumber(redis.call('GET', KEYS[3]) or '0')
local window = tonumber(ARGV[3])
local kv, skipped = {}, {0}
for i = 5 + n, #ARGV, 2 do
  local id = tonumber(ARGV[i])
  if id < cur and cur - id <= window then
    skipped[1] = skipped[1] + 1
    skipped[#skipped + 1] = id
  else
    kv[#kv + 1] = ARGV[i]
    kv[#kv + 1] = ARGV[i + 1]
  end
end
if #kv > 0 then redis.call('HSET', KEYS[2], unpack(kv)) end
if tonumber(ARGV[2]) > cur then redis.call('SET', KEYS[3], ARGV[2]) end
return skipped
`)

// redeliveryWindow is how far below the offset an update counts as one
// delivered before.
const redeliveryWindow = 1 << 20

// ErrFenced is returned when a write needs a lease generation that has
// passed: this process lost its lease to another.
var ErrFenced = errors.New("lease generation is stale")

// InboxAdd stores a batch taken from getUpdates and moves the offset to
// next, if gen is still the poller lease's generation (ErrFenced if not).
// It returns the ids it skipped as delivered before.
func (db *DB) InboxAdd(ctx context.Context, gen, next int64, ids []int64, raws [][]byte) ([]int64, error) {
	skipped, _, err := db.InboxAddAdmit(ctx, gen, next, ids, raws, nil, nil)
	return skipped, err
}

// InboxAddAdmit is InboxAdd and AdmitBatch(as) in one round trip: the
// intake's whole cost for a batch. The updates it skips are admitted too
// (their senders counted once more); it cannot know them in advance, and
// they are rare. Once the batch is stored, a failed admission is no
// reason to fetch it again: the intakes are then nil, and each update is
// admitted at its turn instead. done are the poll inbox's finished
// updates, forgotten in the same script (as InboxDone would): when
// updates arrive one at a time, as they do on a quiet bot, a round trip
// of their own cost a tenth of one per update. They stay when the
// generation is stale.
func (db *DB) InboxAddAdmit(ctx context.Context, gen, next int64, ids []int64, raws [][]byte, as []Admission, done []int64) ([]int64, []Intake, error) {
	args := make([]any, 0, 4+len(done)+2*len(ids))
	args = append(args, gen, next, redeliveryWindow, len(done))
	for _, id := range done {
		args = append(args, inboxField(id))
	}
	for i, id := range ids {
		args = append(args, inboxField(id), raws[i])
	}
	keys := []string{db.keyInFence(), db.keyInbox(InboxPoll), db.keyInOffset()}
	var add *redis.Cmd
	var ad *admitting
	cmds, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		// EVALSHA: EVAL sent the script's text with every batch for Redis
		// to hash, 11 µs of Redis CPU per update at 500 a second, when
		// each update is a batch of its own (docs/benchmarks.md).
		add = inboxAddScript.EvalSha(ctx, p, keys, args...)
		if len(as) > 0 {
			ad = db.queueAdmit(ctx, p, as)
		}
		return nil
	})
	if redis.HasErrorPrefix(add.Err(), "NOSCRIPT") {
		// Redis lost its scripts (a restart or a failover). The batch was
		// not stored, but the admission beside it ran: store the batch
		// alone, loading the script, and keep the admission's results.
		sent := add
		add = inboxAddScript.Run(ctx, db.rdb, keys, args...)
		err = nil
		for _, c := range cmds {
			if c != sent && c.Err() != nil && c.Err() != redis.Nil {
				err = c.Err()
				break
			}
		}
	}
	res, aerr := add.Int64Slice()
	if aerr != nil {
		return nil, nil, wrap(aerr)
	}
	if len(res) == 0 || res[0] < 0 {
		return nil, nil, ErrFenced
	}
	var ins []Intake
	if ad != nil && (err == nil || err == redis.Nil) {
		if ins, err = ad.finish(ctx); err != nil {
			ins = nil
		}
	}
	return res[1:], ins, nil
}

// webhookAddScript stores one pushed update unless it was seen before.
// KEYS[1] seen marker, KEYS[2] inbox, KEYS[3] owners. ARGV[1] update id,
// ARGV[2] JSON, ARGV[3] marker TTL ms, ARGV[4] owner, ARGV[5] now ms.
// Returns 1 when stored, 0 for a duplicate.
var webhookAddScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return 1
`)

// WebhookAdd stores an update pushed to this replica's webhook, reporting
// false for one delivered before (Telegram redelivers when it did not get
// our answer).
func (db *DB) WebhookAdd(ctx context.Context, owner string, id int64, raw []byte, now time.Time) (bool, error) {
	n, err := webhookAddScript.Run(ctx, db.rdb, []string{db.keyInSeen(id), db.keyInbox(owner), db.keyInOwners()},
		inboxField(id), raw, WebhookDedupeTTL.Milliseconds(), owner, now.UnixMilli()).Int()
	if err != nil {
		return false, wrap(err)
	}
	return n == 1, nil
}

// InboxEntry is one unfinished update.
type InboxEntry struct {
	ID  int64
	Raw []byte
}

// Inbox returns owner's unfinished updates.
func (db *DB) Inbox(ctx context.Context, owner string) ([]InboxEntry, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyInbox(owner)).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return inboxEntries(m), nil
}

func inboxEntries(m map[string]string) []InboxEntry {
	out := make([]InboxEntry, 0, len(m))
	for f, v := range m {
		if id, ok := parseInboxField(f); ok {
			out = append(out, InboxEntry{ID: id, Raw: []byte(v)})
		}
	}
	return out
}

// InboxGet returns the updates with the given IDs that owner still holds.
func (db *DB) InboxGet(ctx context.Context, owner string, ids []int64) ([]InboxEntry, error) {
	vs, err := db.rdb.HMGet(ctx, db.keyInbox(owner), inboxFields(ids)...).Result()
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]InboxEntry, 0, len(ids))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, InboxEntry{ID: ids[i], Raw: []byte(s)})
		}
	}
	return out, nil
}

// InboxDone forgets finished updates.
func (db *DB) InboxDone(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap(db.rdb.HDel(ctx, db.keyInbox(owner), inboxFields(ids)...).Err())
}

func inboxFields(ids []int64) []string {
	fs := make([]string, len(ids))
	for i, id := range ids {
		fs[i] = inboxField(id)
	}
	return fs
}

// InboxBeat records that owner (a webhook replica) is alive.
func (db *DB) InboxBeat(ctx context.Context, owner string, now time.Time) error {
	return wrap(db.rdb.ZAdd(ctx, db.keyInOwners(), redis.Z{Score: float64(now.UnixMilli()), Member: owner}).Err())
}

// InboxLeave removes owner from the heartbeats after a clean shutdown
// whose inbox is empty; one with updates left stays to be adopted.
func (db *DB) InboxLeave(ctx context.Context, owner string) error {
	n, err := db.rdb.HLen(ctx, db.keyInbox(owner)).Result()
	if err != nil || n > 0 {
		return wrap(err)
	}
	return wrap(db.rdb.ZRem(ctx, db.keyInOwners(), owner).Err())
}

// adoptScript moves a silent owner's inbox into another's.
// KEYS[1] dead inbox, KEYS[2] own inbox, KEYS[3] owners. ARGV[1] dead
// owner, ARGV[2] its last beat (ms) as read, so a replica that beat again
// meanwhile is left alone. Returns the moved field/value pairs.
var adoptScript = redis.NewScript(`
local beat = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not beat or tonumber(beat) > tonumber(ARGV[2]) then return {} end
local kv = redis.call('HGETALL', KEYS[1])
if #kv > 0 then
  redis.call('HSET', KEYS[2], unpack(kv))
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[3], ARGV[1])
return kv
`)

// InboxAdopt moves into owner's inbox the inboxes of webhook replicas that
// have not beaten since before cutoff, and returns their updates.
func (db *DB) InboxAdopt(ctx context.Context, owner string, cutoff time.Time) ([]InboxEntry, error) {
	dead, err := db.rdb.ZRangeByScoreWithScores(ctx, db.keyInOwners(), &redis.ZRangeBy{
		Min: "-inf", Max: "(" + strconv.FormatInt(cutoff.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, wrap(err)
	}
	var out []InboxEntry
	for _, z := range dead {
		o, _ := z.Member.(string)
		if o == "" || o == owner {
			continue
		}
		kv, err := adoptScript.Run(ctx, db.rdb, []string{db.keyInbox(o), db.keyInbox(owner), db.keyInOwners()},
			o, strconv.FormatInt(int64(z.Score), 10)).StringSlice()
		if err != nil {
			return out, wrap(err)
		}
		m := make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		out = append(out, inboxEntries(m)...)
	}
	return out, nil
}
