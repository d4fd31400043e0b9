package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flood control counts each sender's updates in fixed windows, in one
// hash per window (flood:<window>: user -> count) that outlives its
// window by one. A batch from the poller counts all its senders at once:
// a few senders by HINCRBY each, more by one script that reads and
// writes them all, so a busy batch costs three commands, not one per
// update.

// floodBatch gathers a batch's counted updates by window and sender.
type floodBatch struct {
	windows map[int64]*floodWindow
	order   []int64
}

type floodWindow struct {
	window time.Duration
	users  []int64         // distinct senders, in the batch's order
	n      map[int64]int64 // sender -> updates in the batch
	at     []floodAt       // the batch's updates in this window
	incr   []*redis.IntCmd // HINCRBY per sender, when few
	all    *redis.Cmd      // the script's answer, when many
}

type floodAt struct {
	i    int // index in the batch
	user int64
}

// floodScriptMin is how many senders make the script cheaper than one
// HINCRBY each (EVAL, HMGET and HSET).
const floodScriptMin = 4

func (b *floodBatch) add(i int, a Admission) {
	w := a.Now.UnixNano() / int64(a.Window)
	if b.windows == nil {
		b.windows = map[int64]*floodWindow{}
	}
	fw := b.windows[w]
	if fw == nil {
		fw = &floodWindow{window: a.Window, n: map[int64]int64{}}
		b.windows[w] = fw
		b.order = append(b.order, w)
	}
	if fw.n[a.User] == 0 {
		fw.users = append(fw.users, a.User)
	}
	fw.n[a.User]++
	fw.at = append(fw.at, floodAt{i: i, user: a.User})
}

// floodAddScript adds counts to a window's hash and returns the counts
// from before. KEYS[1] the window's hash. ARGV[1] its TTL in ms, or 0 to
// leave it; then user, increment pairs.
var floodAddScript = redis.NewScript(`
local users = {}
for i = 2, #ARGV, 2 do users[#users + 1] = ARGV[i] end
local cur = redis.call('HMGET', KEYS[1], unpack(users))
local kv = {}
for j, u in ipairs(users) do
  cur[j] = tonumber(cur[j] or '0')
  kv[#kv + 1] = u
  kv[#kv + 1] = cur[j] + tonumber(ARGV[2 * j + 1])
end
redis.call('HSET', KEYS[1], unpack(kv))
if ARGV[1] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return cur
`)

// countFloods queues the batch's counting on p.
func (db *DB) countFloods(ctx context.Context, p redis.Pipeliner, b *floodBatch) {
	for _, w := range b.order {
		fw := b.windows[w]
		k := db.keyFlood(w)
		// Once per window and process: the window's counts outlive it
		// by one window, then go.
		expire := db.floodWindow.Swap(w) != w
		if len(fw.users) < floodScriptMin {
			fw.incr = make([]*redis.IntCmd, len(fw.users))
			for j, u := range fw.users {
				fw.incr[j] = p.HIncrBy(ctx, k, itoa(u), fw.n[u])
			}
			if expire {
				p.PExpire(ctx, k, 2*fw.window)
			}
			continue
		}
		args := make([]any, 0, 1+2*len(fw.users))
		ttl := int64(0)
		if expire {
			ttl = (2 * fw.window).Milliseconds()
		}
		args = append(args, ttl)
		for _, u := range fw.users {
			args = append(args, itoa(u), fw.n[u])
		}
		// EVAL, not EVALSHA: a pipeline cannot retry on NOSCRIPT.
		fw.all = floodAddScript.Eval(ctx, p, []string{k}, args...)
	}
}

// results gives each counted update its sender's count, this update
// included: the count before the batch plus its place among the sender's
// updates in the batch.
func (b *floodBatch) results(out []Intake) {
	for _, w := range b.order {
		fw := b.windows[w]
		before := make(map[int64]int64, len(fw.users))
		switch {
		case fw.incr != nil:
			for j, u := range fw.users {
				before[u] = fw.incr[j].Val() - fw.n[u]
			}
		case fw.all != nil:
			vals, _ := fw.all.Int64Slice()
			for j, u := range fw.users {
				if j < len(vals) {
					before[u] = vals[j]
				}
			}
		}
		seen := map[int64]int64{}
		for _, at := range fw.at {
			seen[at.user]++
			out[at.i].Flood = before[at.user] + seen[at.user]
		}
	}
}
