package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
)

// Migration to a supergroup. Telegram gives the group a new chat id and
// tells the bot twice (migrate_to_chat_id in the old chat,
// migrate_from_chat_id in the new one), in either order, possibly at the
// same time on two workers or replicas, and possibly after people already
// wrote in the new chat. So MigrateGroup merges the old group into
// whatever the new one already holds, never overwrites it, and can run
// any number of times: each run merges what the old chat holds at that
// moment and then deletes exactly what it merged. The merge rule of each
// kind of key is in mergeKind; docs/operations.md sums them up.
//
// The keys of the two chats live in different Cluster slots, so nothing
// spans both: the old group is read with one transaction in its slot, and
// the new one is written by one script in its own slot (mergeScript), which
// also makes the merge atomic against check-ins landing in the new chat
// meanwhile.

// migrateLockTTL bounds a migration's lock; merging a group takes
// milliseconds, so a lock this old belongs to a process that died.
const migrateLockTTL = time.Minute

// MigrateGroup merges group from into its supergroup to and points every
// reference to from at to (see the comment above).
func (db *DB) MigrateGroup(ctx context.Context, from, to int64) error {
	if from == 0 || to == 0 || from == to {
		return fmt.Errorf("migrate group %d to %d: not a migration", from, to)
	}
	// The two announcements usually arrive together: the second run waits
	// for the first instead of merging the same keys alongside it, then
	// finds next to nothing to do.
	lock, err := redislock.New(db.rdb).Obtain(ctx, db.keyLock("migrate:"+itoa(from)), migrateLockTTL,
		&redislock.Options{RetryStrategy: redislock.LinearBackoff(20 * time.Millisecond)})
	if err != nil {
		return fmt.Errorf("lock: %w", wrap(err))
	}
	defer func() { _ = lock.Release(context.WithoutCancel(ctx)) }()

	// The move is recorded first, so late updates of the old chat are
	// handled in the new one (the intake reads moved:) and configured chat
	// ids resolve to it while the merge runs.
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		db.groupChanged(ctx, p, from, to)
		p.Set(ctx, db.keyMoved(from), itoa(to), 0)
		p.HSet(ctx, db.keyMigrated(), itoa(from), itoa(to))
		p.SAdd(ctx, db.keyGroups(), itoa(to))
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	if err := repointScript.Run(ctx, db.rdb, []string{db.keyDeptChats()}, from, to).Err(); err != nil {
		return fmt.Errorf("department bindings: %w", wrap(err))
	}
	if err := repointScript.Run(ctx, db.rdb, []string{db.keyUnitChats()}, from, to).Err(); err != nil {
		return fmt.Errorf("unit bindings: %w", wrap(err))
	}
	keys, err := db.groupKeys(ctx, from)
	if err != nil {
		return err
	}
	if err := db.mergeGroup(ctx, from, to, keys); err != nil {
		return err
	}
	for _, h := range db.migrateHooks {
		if err := h(ctx, from, to); err != nil {
			return err
		}
	}
	// Only the keys merged are deleted: one the old chat got since (a late
	// update) is merged by the next run.
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, db.keyGroups(), itoa(from))
		if len(keys) > 0 {
			p.Del(ctx, keys...) // one slot: the old group's
		}
		db.groupChanged(ctx, p, from, to)
		return nil
	})
	return wrap(err)
}

// repointScript moves every /bind (or /leaders) of the old chat to the
// new one. Only bindings that still name the old chat move: a department
// or unit bound elsewhere since stays there.
// KEYS[1] deptchats or unitchats. ARGV[1] old chat, ARGV[2] new chat.
var repointScript = redis.NewScript(`
local kv = redis.call('HGETALL', KEYS[1])
for i = 1, #kv, 2 do
  if kv[i + 1] == ARGV[1] then redis.call('HSET', KEYS[1], kv[i], ARGV[2]) end
end
return 1
`)

// Moved returns the chat a migrated group moved to, or 0.
func (db *DB) Moved(ctx context.Context, chat int64) (int64, error) {
	n, err := db.rdb.Get(ctx, db.keyMoved(chat)).Int64()
	if err != nil {
		if err == redis.Nil {
			return 0, nil
		}
		return 0, wrap(err)
	}
	return n, nil
}

// ChatMoves returns every migration seen: old chat id -> new chat id. It
// is one small hash (a group migrates once), read whenever chat ids from
// the config are used.
func (db *DB) ChatMoves(ctx context.Context) (cadrebot.ChatMoves, error) {
	m, err := db.hgetAll(ctx, db.keyMigrated())
	if err != nil {
		return nil, err
	}
	out := make(cadrebot.ChatMoves, len(m))
	for k, v := range m {
		from, err1 := strconv.ParseInt(k, 10, 64)
		to, err2 := strconv.ParseInt(v, 10, 64)
		if err1 == nil && err2 == nil {
			out[from] = to
		}
	}
	return out, nil
}

// Kinds of group key, by how they merge.
const (
	mergeMeta    = "meta"  // settings: see mergeScript
	mergeUsers   = "users" // idx and members: the roster and its indexes
	mergeRows    = "rows"  // ci:, off: bitmaps: OR, row by row, each member's row at its new index
	mergeTimes   = "times" // cit: first check-in minute per index: the earlier one
	mergeHashNX  = "hnx"   // cin: notes per user: the new chat's note wins
	mergeHashMax = "hmax"  // rem: reminders sent per user: the larger count
	mergeLeave   = "leave" // leave: union; the new chat's ranges win where they overlap
	mergeService = "svc"   // svc: periods of service, the union of both chats' per member
	mergeForm    = "snx"   // dlg:, pact: forms: the new chat's form wins
	mergeDrop    = "drop"  // board:, boardd: message ids and timers of the old chat, useless in the new one
	mergeCopy    = "copy"  // anything else: copied when the new chat has no such key
)

// mergeKind classifies a group key by its name after the group's tag.
func mergeKind(suffix string) string {
	name, _, _ := strings.Cut(suffix, ":")
	switch name {
	case "meta":
		return mergeMeta
	case "idx", "members":
		return mergeUsers
	case "ci", "off":
		return mergeRows
	case "cit":
		return mergeTimes
	case "cin":
		return mergeHashNX
	case "rem":
		return mergeHashMax
	case "leave":
		return mergeLeave
	case "svc":
		return mergeService
	case FormReport, FormAction:
		return mergeForm
	case "board", "boardd":
		return mergeDrop
	}
	return mergeCopy
}

// oldKey is one key of the old group as read for the merge.
type oldKey struct {
	key, suffix, kind string
	str               *redis.StringCmd
	hash              *redis.MapStringStringCmd
	ttl               *redis.DurationCmd
}

// mergeGroup merges the old group's keys into the new group.
func (db *DB) mergeGroup(ctx context.Context, from, to int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	head := len(db.prefix) + len(gtag(from)) + 1
	olds := make([]*oldKey, 0, len(keys))
	// One transaction in the old group's slot: a consistent snapshot.
	_, err := db.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			o := &oldKey{key: k, suffix: k[head:]}
			o.kind = mergeKind(o.suffix)
			switch o.kind {
			case mergeDrop:
			case mergeMeta, mergeUsers, mergeHashNX, mergeHashMax, mergeLeave, mergeService:
				o.hash = p.HGetAll(ctx, k)
			case mergeCopy:
				o.str = p.Dump(ctx, k)
			default:
				o.str = p.Get(ctx, k)
			}
			o.ttl = p.PTTL(ctx, k)
			olds = append(olds, o)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return wrap(err)
	}
	// The keys read are deleted afterwards, so one that could not be read
	// stops the migration rather than being skipped (a key gone since the
	// scan, redis.Nil, is no loss).
	for _, o := range olds {
		var err error
		switch {
		case o.str != nil:
			err = o.str.Err()
		case o.hash != nil:
			err = o.hash.Err()
		}
		if err != nil && err != redis.Nil {
			return fmt.Errorf("read %s: %w", o.key, wrap(err))
		}
	}
	var idx, members map[string]string
	var leave, svc map[string]string
	for _, o := range olds {
		switch {
		case o.suffix == "idx":
			idx = o.hash.Val()
		case o.suffix == "members":
			members = o.hash.Val()
		case o.kind == mergeLeave:
			leave = o.hash.Val()
		case o.kind == mergeService:
			svc = o.hash.Val()
		}
	}
	keysIn := []string{db.keyIndex(to), db.keyMembers(to)}
	args := []any{attendance.RowBytes}
	args = appendUsers(args, idx, members)
	for _, o := range olds {
		var vals []string
		switch o.kind {
		case mergeRows, mergeTimes, mergeForm:
			if o.str.Err() != nil {
				continue // gone since the scan
			}
			vals = []string{o.str.Val()}
		case mergeMeta, mergeHashNX, mergeHashMax:
			for f, v := range o.hash.Val() {
				vals = append(vals, f, v)
			}
		default:
			continue
		}
		if len(vals) == 0 {
			continue
		}
		keysIn = append(keysIn, db.prefix+gtag(to)+":"+o.suffix)
		ttl := int64(-1)
		if d := o.ttl.Val(); d > 0 {
			ttl = d.Milliseconds()
		}
		args = append(args, o.kind, len(keysIn), ttl, len(vals))
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if err := mergeScript.Run(ctx, db.rdb, keysIn, args...).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("merge into %d: %w", to, wrap(err))
	}
	if err := db.mergeLeave(ctx, from, to, leave); err != nil {
		return err
	}
	if err := db.mergeService(ctx, from, to, svc); err != nil {
		return err
	}
	for _, o := range olds {
		if o.kind != mergeCopy || o.str.Err() != nil {
			continue
		}
		ttl := max(o.ttl.Val(), 0)
		nk := db.prefix + gtag(to) + ":" + o.suffix
		// RESTORE without REPLACE: what the new chat has stays.
		if err := db.rdb.Restore(ctx, nk, ttl, o.str.Val()).Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYKEY") {
			return fmt.Errorf("copy %s: %w", nk, wrap(err))
		}
	}
	return nil
}

// appendUsers adds the old roster to the merge script's arguments: the
// count, then user id, old index and member JSON ("" for someone who left
// the roster but keeps an index for their history) per user, by old index,
// so that into an empty new group every member keeps their index.
func appendUsers(args []any, idx, members map[string]string) []any {
	type user struct {
		id     string
		old    int
		member string
	}
	byID := map[string]*user{}
	for id, v := range idx {
		n, err := strconv.Atoi(v)
		if id == "_seq" || err != nil {
			continue
		}
		byID[id] = &user{id: id, old: n}
	}
	for id, v := range members {
		u := byID[id]
		if u == nil {
			// On the roster without an index: the roster's own copy of
			// the index is the best there is.
			var mj memberJSON
			if json.Unmarshal([]byte(v), &mj) != nil {
				continue
			}
			u = &user{id: id, old: mj.Index}
			byID[id] = u
		}
		u.member = v
	}
	users := make([]*user, 0, len(byID))
	for _, u := range byID {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if users[i].old != users[j].old {
			return users[i].old < users[j].old
		}
		return users[i].id < users[j].id
	})
	args = append(args, len(users))
	for _, u := range users {
		args = append(args, u.id, u.old, u.member)
	}
	return args
}

// mergeLeave adds the old group's leave to the new group's: a day the
// new group has leave for keeps it (it was set later), every other day of
// the old ranges is added. Running it again changes nothing.
func (db *DB) mergeLeave(ctx context.Context, from, to int64, leave map[string]string) error {
	for field, v := range leave {
		user, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			continue
		}
		old, err := decodeLeaves(v)
		if err != nil {
			return fmt.Errorf("leave of %d in %d: %w", user, from, err)
		}
		err = db.UpdateLeave(ctx, to, user, func(cur attendance.Leaves) (attendance.Leaves, error) {
			out := append(attendance.Leaves(nil), old...)
			for _, l := range cur {
				out = out.Set(l)
			}
			return out, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeScript merges the old group's data into the new group's keys in
// one step in the new group's slot (see the comment at the top).
//
// KEYS[1] new index hash, KEYS[2] new members hash, KEYS[3..] the new
// group's keys named by the operations.
// ARGV[1] row bytes of the check-in bitmaps; ARGV[2] number of old users
// n, then n triples: user id, old index, member JSON ("" when not on the
// roster). Then operations, each: kind, KEYS position, PTTL of the old key
// in ms (-1: none), count c, then c values:
//   - rows: the old bitmap; each user's old row is ORed into their row;
//   - times: the old 2-byte-per-index minutes; the earlier non-zero wins;
//   - hnx: field/value pairs set where the new hash has no such field;
//   - hmax: field/value pairs, the larger number wins;
//   - meta: the old settings (field/value pairs): title only fills a gap
//     (the new chat's is Telegram's current one), created keeps the
//     earlier, approved is kept if either was, any other non-empty old
//     setting wins (it is what admins configured over the group's life;
//     the new chat's is at most minutes old), an empty one fills a gap;
//   - snx: the old string, set when the new group has none.
//
// A key that existed keeps the longer of the two TTLs; one the merge
// creates gets the old key's. Returns the number of users merged.
var mergeScript = redis.NewScript(luaFit + `
local rb = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local users = {}
local a = 3
for i = 1, n do
  local uid, old, mj = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local idx = redis.call('HGET', KEYS[1], uid)
  if idx then
    idx = tonumber(idx)
  else
    idx = redis.call('HINCRBY', KEYS[1], '_seq', 1) - 1
    redis.call('HSET', KEYS[1], uid, idx)
  end
  if mj ~= '' and redis.call('HEXISTS', KEYS[2], uid) == 0 then
    local ok, m = pcall(cjson.decode, mj)
    if ok and type(m) == 'table' then
      m.i = idx
      redis.call('HSET', KEYS[2], uid, cjson.encode(m))
    end
  end
  users[i] = {old = old, new = idx}
end
local rows = tonumber(redis.call('HGET', KEYS[1], '_seq') or '0')
while a <= #ARGV do
  local kind, key, pttl, c = ARGV[a], KEYS[tonumber(ARGV[a + 1])], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local v = a + 4
  a = v + c
  local existed = redis.call('EXISTS', key) == 1
  if kind == 'rows' or kind == 'times' then
    local s = ARGV[v]
    local w = rb
    if kind == 'times' then w = 2 end
    for _, u in ipairs(users) do
      local o = u.old * w
      local part = string.sub(s, o + 1, o + w)
      if string.find(part, '[^%z]') then
        fit(key, math.max(rows, u.new + 1) * w)
        local p = u.new * w
        local cur = redis.call('GETRANGE', key, p, p + w - 1)
        if kind == 'rows' then
          local out = {}
          for j = 1, #part do
            out[j] = string.char(bit.bor(string.byte(part, j), string.byte(cur, j) or 0))
          end
          redis.call('SETRANGE', key, p, table.concat(out))
        elseif #part == 2 then
          local t = string.byte(part, 1) * 256 + string.byte(part, 2)
          local ct = 0
          if #cur == 2 then ct = string.byte(cur, 1) * 256 + string.byte(cur, 2) end
          if ct == 0 or t < ct then redis.call('SETRANGE', key, p, part) end
        end
      end
    end
  elseif kind == 'hnx' then
    for j = v, v + c - 1, 2 do redis.call('HSETNX', key, ARGV[j], ARGV[j + 1]) end
  elseif kind == 'hmax' then
    for j = v, v + c - 1, 2 do
      local cur = tonumber(redis.call('HGET', key, ARGV[j]) or '0') or 0
      local val = tonumber(ARGV[j + 1]) or 0
      if val > cur then redis.call('HSET', key, ARGV[j], ARGV[j + 1]) end
    end
  elseif kind == 'meta' then
    for j = v, v + c - 1, 2 do
      local f, val = ARGV[j], ARGV[j + 1]
      if f == 'title' then
        redis.call('HSETNX', key, f, val)
      elseif f == 'created' then
        local cur, nv = tonumber(redis.call('HGET', key, f) or ''), tonumber(val)
        if nv and (not cur or nv < cur) then redis.call('HSET', key, f, val) end
      elseif f == 'approved' and val ~= '1' then
        redis.call('HSETNX', key, f, val)
      elseif val ~= '' then
        redis.call('HSET', key, f, val)
      else
        redis.call('HSETNX', key, f, val)
      end
    end
  elseif kind == 'snx' then
    if not existed then redis.call('SET', key, ARGV[v]) end
  end
  if pttl > 0 and redis.call('EXISTS', key) == 1 then
    local cur = redis.call('PTTL', key)
    if not existed or (cur >= 0 and cur < pttl) then redis.call('PEXPIRE', key, pttl) end
  end
end
return n
`)

// groupKeys finds the keys of a group. On Cluster all of them sit in one
// slot, so scanning each master finds them wherever they live.
func (db *DB) groupKeys(ctx context.Context, chat int64) ([]string, error) {
	pattern := db.keyGroupAll(chat)
	// SCAN treats [ ] and * specially; the tag contains neither but the
	// prefix might.
	var out []string
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, escapeGlob(db.prefix)+pattern[len(db.prefix):], 1000).Iterator()
		for it.Next(ctx) {
			out = append(out, it.Val())
		}
		return it.Err()
	}
	var err error
	switch c := db.rdb.(type) {
	case *redis.ClusterClient:
		var mu = make(chan struct{}, 1)
		err = c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			mu <- struct{}{}
			defer func() { <-mu }()
			return scan(ctx, n)
		})
	case *redis.Client:
		err = scan(ctx, c)
	default:
		it := db.rdb.Scan(ctx, 0, escapeGlob(db.prefix)+pattern[len(db.prefix):], 1000).Iterator()
		for it.Next(ctx) {
			out = append(out, it.Val())
		}
		err = it.Err()
	}
	if err != nil {
		return nil, wrap(err)
	}
	sort.Strings(out)
	return out, nil
}

func escapeGlob(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// MigrateHook fixes references to a group held outside its own keys. It
// must be safe to run more than once.
type MigrateHook func(ctx context.Context, from, to int64) error

// OnMigrate registers a hook run by MigrateGroup after the keys are merged.
func (db *DB) OnMigrate(h MigrateHook) { db.migrateHooks = append(db.migrateHooks, h) }
