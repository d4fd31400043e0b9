package store

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Group meta fields. Schedules are stored as "sched:<job>".
const (
	fTitle    = "title"
	fVillage  = "village"
	fTown     = "town"
	fLang     = "lang"
	fTZ       = "tz"
	fApproved = "approved"
	fDept     = "dept"
	fLeads    = "leads"
	fCreated  = "created"
	fLat      = "lat"
	fLon      = "lon"
	fRadius   = "radius"
	fMentions = "mentions_off"
	fBot      = "bot"
	fSched    = "sched:"
)

// Group loads a group, or ErrNotFound when the bot has never seen it.
func (db *DB) Group(ctx context.Context, chat int64) (*cadrebot.Group, error) {
	m, err := db.groupMeta(ctx, chat)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, cadrebot.ErrNotFound
	}
	return decodeGroup(chat, m), nil
}

func decodeGroup(chat int64, m map[string]string) *cadrebot.Group {
	g := &cadrebot.Group{ChatID: chat, Title: m[fTitle], Village: m[fVillage], Town: m[fTown], Lang: m[fLang],
		TZ: m[fTZ], Approved: m[fApproved] == "1", Dept: m[fDept], Leads: m[fLeads], MentionsOff: m[fMentions] == "1", BotStatus: m[fBot]}
	if n, err := strconv.ParseInt(m[fCreated], 10, 64); err == nil {
		g.Created = time.Unix(n, 0)
	}
	g.Lat, _ = strconv.ParseFloat(m[fLat], 64)
	g.Lon, _ = strconv.ParseFloat(m[fLon], 64)
	g.RadiusM, _ = strconv.ParseFloat(m[fRadius], 64)
	for k, v := range m {
		if len(k) > len(fSched) && k[:len(fSched)] == fSched {
			if g.Schedules == nil {
				g.Schedules = map[string]string{}
			}
			g.Schedules[k[len(fSched):]] = v
		}
	}
	return g
}

// touchGroup records contact with a chat and returns the group, in the
// router's pipeline. A group joins the registry (P groups) only once it is
// configured (UpdateGroup, BindDepartment): a chat that never is does not
// stay (see Retention).
func (db *DB) touchGroup(p redis.Pipeliner, ctx context.Context, chat int64, title string, now time.Time) *redis.MapStringStringCmd {
	p.HSetNX(ctx, db.keyGroup(chat), fCreated, itoa(now.Unix()))
	if title != "" {
		p.HSet(ctx, db.keyGroup(chat), fTitle, title)
	}
	return p.HGetAll(ctx, db.keyGroup(chat))
}

// UpdateGroup applies a patch in one transaction.
func (db *DB) UpdateGroup(ctx context.Context, chat int64, p cadrebot.GroupPatch) error {
	k := db.keyGroup(chat)
	set := map[string]any{}
	str := func(f string, v *string) {
		if v != nil {
			set[f] = *v
		}
	}
	str(fVillage, p.Village)
	str(fTown, p.Town)
	str(fLang, p.Lang)
	str(fTZ, p.TZ)
	str(fDept, p.Dept)
	str(fLeads, p.Leads)
	str(fBot, p.BotStatus)
	b := func(f string, v *bool) {
		if v != nil {
			set[f] = map[bool]string{true: "1", false: "0"}[*v]
		}
	}
	b(fApproved, p.Approved)
	b(fMentions, p.MentionsOff)
	fl := func(f string, v *float64) {
		if v != nil {
			set[f] = strconv.FormatFloat(*v, 'f', -1, 64)
		}
	}
	fl(fLat, p.Lat)
	fl(fLon, p.Lon)
	fl(fRadius, p.RadiusM)
	var del []string
	for job, spec := range p.Schedule {
		if spec == "" {
			del = append(del, fSched+job)
		} else {
			set[fSched+job] = spec
		}
	}
	// The registry "groups" has no group tag, so on Cluster it sits in
	// another slot and a MULTI would fail with CROSSSLOT. Every write here
	// is idempotent, so a pipeline that a failure cuts short is repaired
	// by running the command again.
	_, err := db.rdb.Pipelined(ctx, func(tx redis.Pipeliner) error {
		if len(set) > 0 {
			tx.HSet(ctx, k, set)
		}
		if len(del) > 0 {
			tx.HDel(ctx, k, del...)
		}
		if configures(p) {
			tx.SAdd(ctx, db.keyGroups(), itoa(chat))
		}
		db.groupChanged(ctx, tx, chat)
		return nil
	})
	return wrap(err)
}

// configures reports whether the patch sets up the group (anything but the
// bot's own status, which Telegram reports for any chat).
func configures(p cadrebot.GroupPatch) bool {
	q := p
	q.BotStatus = nil
	return !reflect.ValueOf(q).IsZero()
}

// GroupIDs lists every registered group.
func (db *DB) GroupIDs(ctx context.Context) ([]int64, error) {
	ss, err := db.rdb.SMembers(ctx, db.keyGroups()).Result()
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]int64, 0, len(ss))
	for _, s := range ss {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Groups loads many groups in one pipelined round trip. Unknown chats are
// left out.
func (db *DB) Groups(ctx context.Context, chats []int64) ([]*cadrebot.Group, error) {
	cmds := make([]*redis.MapStringStringCmd, len(chats))
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			cmds[i] = p.HGetAll(ctx, db.keyGroup(c))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]*cadrebot.Group, 0, len(chats))
	for i, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			out = append(out, decodeGroup(chats[i], m))
		}
	}
	return out, nil
}

type memberJSON struct {
	Name     string `json:"n"`
	Username string `json:"u,omitempty"`
	Index    int    `json:"i"`
}

// addMemberScript gives a user a stable index in the group (kept if they
// leave and come back, so old check-in bits stay theirs) and puts them on
// the roster.
// KEYS[1] index hash, KEYS[2] members hash. ARGV[1] user id, ARGV[2] name,
// ARGV[3] username. Returns the index.
var addMemberScript = redis.NewScript(`
local idx = redis.call('HGET', KEYS[1], ARGV[1])
if not idx then
  idx = redis.call('HINCRBY', KEYS[1], '_seq', 1) - 1
  redis.call('HSET', KEYS[1], ARGV[1], idx)
end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({n=ARGV[2], u=ARGV[3], i=tonumber(idx)}))
return tonumber(idx)
`)

// AddMember puts a user on the group's roster and returns their index.
func (db *DB) AddMember(ctx context.Context, chat int64, m cadrebot.Member) (int, error) {
	n, err := addMemberScript.Run(ctx, db.rdb, []string{db.keyIndex(chat), db.keyMembers(chat)},
		m.UserID, m.Name, m.Username).Int()
	if err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

// RemoveMember takes a user off the roster; their index is kept.
func (db *DB) RemoveMember(ctx context.Context, chat, user int64) (bool, error) {
	n, err := db.rdb.HDel(ctx, db.keyMembers(chat), itoa(user)).Result()
	return n > 0, wrap(err)
}

// Roster lists the group's members ordered by index.
func (db *DB) Roster(ctx context.Context, chat int64) ([]cadrebot.Member, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyMembers(chat)).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return decodeRoster(m), nil
}

func decodeRoster(m map[string]string) []cadrebot.Member {
	out := make([]cadrebot.Member, 0, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			continue
		}
		var mj memberJSON
		if json.Unmarshal([]byte(v), &mj) != nil {
			continue
		}
		out = append(out, cadrebot.Member{UserID: id, Name: mj.Name, Username: mj.Username, Index: mj.Index})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Rosters loads many rosters in one pipelined round trip.
func (db *DB) Rosters(ctx context.Context, chats []int64) (map[int64][]cadrebot.Member, error) {
	cmds := make([]*redis.MapStringStringCmd, len(chats))
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			cmds[i] = p.HGetAll(ctx, db.keyMembers(c))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[int64][]cadrebot.Member, len(chats))
	for i, c := range cmds {
		out[chats[i]] = decodeRoster(c.Val())
	}
	return out, nil
}

// AllGroups loads every configured group (the registry, then each
// group's record): two round trips.
func (db *DB) AllGroups(ctx context.Context) ([]*cadrebot.Group, error) {
	ids, err := db.GroupIDs(ctx)
	if err != nil {
		return nil, err
	}
	return db.Groups(ctx, ids)
}

// MemberGroups lists the groups whose roster has the user. It scans the
// registry, so it serves rare private-chat commands only.
func (db *DB) MemberGroups(ctx context.Context, user int64) ([]int64, error) {
	ids, err := db.GroupIDs(ctx)
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.BoolCmd, len(ids))
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range ids {
			cmds[i] = p.HExists(ctx, db.keyMembers(c), itoa(user))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	var out []int64
	for i, c := range cmds {
		if c.Val() {
			out = append(out, ids[i])
		}
	}
	return out, nil
}

// BindDepartment makes chat the chat of department dept, replacing any
// earlier binding of that department. The chat bound before loses its
// record of the department, so nothing (a digest, a migration of that
// chat) takes it for the department's chat any more.
func (db *DB) BindDepartment(ctx context.Context, dept string, chat int64) error {
	return db.bind(ctx, db.keyDeptChats(), fDept, dept, chat)
}

// DepartmentChats returns the /bind overrides: department id -> chat.
func (db *DB) DepartmentChats(ctx context.Context) (map[string]int64, error) {
	return db.bindings(ctx, db.keyDeptChats())
}

// BindUnit makes chat the leaders' group of unit (a config unit's id, or
// units.ImplicitPrefix and a town's name), replacing any earlier binding
// of the unit, as BindDepartment does for departments.
func (db *DB) BindUnit(ctx context.Context, unit string, chat int64) error {
	return db.bind(ctx, db.keyUnitChats(), fLeads, unit, chat)
}

// UnitChats returns the /leaders bindings: unit id -> chat.
func (db *DB) UnitChats(ctx context.Context) (map[string]int64, error) {
	return db.bindings(ctx, db.keyUnitChats())
}

// bind records in the hash key that id's chat is chat, and in chat's meta
// field that it is id's; the chat bound before loses its field.
func (db *DB) bind(ctx context.Context, key, field, id string, chat int64) error {
	prev, err := db.rdb.HGet(ctx, key, id).Int64()
	if err != nil && err != redis.Nil {
		return wrap(err)
	}
	// Three slots on Cluster (see UpdateGroup): a pipeline of idempotent
	// writes, not a transaction.
	_, err = db.rdb.Pipelined(ctx, func(tx redis.Pipeliner) error {
		tx.HSet(ctx, key, id, itoa(chat))
		tx.HSet(ctx, db.keyGroup(chat), field, id)
		tx.SAdd(ctx, db.keyGroups(), itoa(chat))
		db.groupChanged(ctx, tx, chat)
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	if prev == 0 || prev == chat {
		return nil
	}
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		// EVAL, not EVALSHA: a pipeline cannot retry on NOSCRIPT.
		unbindScript.Eval(ctx, p, []string{db.keyGroup(prev)}, field, id)
		db.groupChanged(ctx, p, prev)
		return nil
	})
	return wrap(err)
}

// unbindScript drops a group's field while it still names the id, so a
// chat bound to another department (or unit) since keeps that one.
// KEYS[1] the group's meta. ARGV[1] the field, ARGV[2] the id.
var unbindScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
`)

// bindings reads a hash of bindings: id -> chat.
func (db *DB) bindings(ctx context.Context, key string) (map[string]int64, error) {
	m, err := db.hgetAll(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, nil
}
