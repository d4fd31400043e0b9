package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// Service periods live in one hash per group, svc: user id -> the
// cadre's name and periods, oldest first:
//
//	{"n":"王芳","u":"wangfang","p":[{"f":"2026-11-02","t":"2026-12-04",
//	  "b":"第19批","h":"柯桥区农业农村局","r":"驻村指导员","e":"left"}]}
//
// A record stays when the cadre leaves the roster, so exports name former
// cadres and count the days they served. A roster member without a record
// (a roster kept before periods were) serves from the group's creation:
// the store writes that period the first time something ends or edits
// their service, and attendance.Period.Served assumes it until then.
type serviceJSON struct {
	Name     string       `json:"n"`
	Username string       `json:"u,omitempty"`
	Periods  []periodJSON `json:"p"`
}

type periodJSON struct {
	From  string `json:"f"`
	To    string `json:"t,omitempty"`
	Batch string `json:"b,omitempty"`
	Home  string `json:"h,omitempty"`
	Title string `json:"r,omitempty"`
	Ended string `json:"e,omitempty"`
}

func parseDay(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		return calendar.Date{}
	}
	return d
}

func dayString(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func (p periodJSON) service() attendance.Service {
	return attendance.Service{From: parseDay(p.From), To: parseDay(p.To), Batch: p.Batch, Home: p.Home, Title: p.Title, Ended: p.Ended}
}

// decodeService reads one svc field. Lua's cjson writes an empty list as
// {}, which the store never writes but a hand edit might; it reads as no
// periods rather than failing the group's rates.
func decodeService(s string) (serviceJSON, attendance.Services, error) {
	var raw struct {
		Name     string          `json:"n"`
		Username string          `json:"u"`
		Periods  json.RawMessage `json:"p"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return serviceJSON{}, nil, err
	}
	sj := serviceJSON{Name: raw.Name, Username: raw.Username}
	if len(raw.Periods) > 0 && raw.Periods[0] == '[' {
		if err := json.Unmarshal(raw.Periods, &sj.Periods); err != nil {
			return serviceJSON{}, nil, err
		}
	}
	ss := make(attendance.Services, len(sj.Periods))
	for i, p := range sj.Periods {
		ss[i] = p.service()
	}
	return sj, ss, nil
}

// decodeServiceHash reads a group's svc hash: periods and the member each
// names (Index unset), by user id. A field that does not decode is
// skipped rather than failing every rate of the group.
func decodeServiceHash(m map[string]string) (map[int64]attendance.Services, map[int64]cadrebot.Member) {
	svc := make(map[int64]attendance.Services, len(m))
	who := make(map[int64]cadrebot.Member, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			continue
		}
		sj, ss, err := decodeService(v)
		if err != nil || len(ss) == 0 {
			continue
		}
		svc[id] = ss
		who[id] = cadrebot.Member{UserID: id, Name: sj.Name, Username: sj.Username}
	}
	return svc, who
}

// former lists the members with service records who are off the roster,
// with the index their rows keep (from the index hash).
func former(roster []cadrebot.Member, who map[int64]cadrebot.Member, idx map[string]string) []cadrebot.Member {
	on := make(map[int64]bool, len(roster))
	for _, m := range roster {
		on[m.UserID] = true
	}
	var out []cadrebot.Member
	for id, m := range who {
		if on[id] {
			continue
		}
		i, err := strconv.Atoi(idx[itoa(id)])
		if err != nil {
			continue // no row: nothing to count
		}
		m.Index = i
		out = append(out, m)
	}
	return out
}

// createdDay is the day a group was first seen, in its zone (or the
// store's), from its meta fields created and tz.
func (db *DB) createdDay(created, tz string) calendar.Date {
	n, err := strconv.ParseInt(created, 10, 64)
	if err != nil || n == 0 {
		return calendar.Date{}
	}
	loc := db.Zone()
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	return calendar.DateOf(time.Unix(n, 0).In(loc))
}

// joinScript puts a member on the roster, gives them a stable index and
// starts a period of service unless one is open; the details given (batch,
// home unit, title) are set on the open period.
// KEYS[1] index hash, KEYS[2] members hash, KEYS[3] svc hash.
// ARGV[1] user id, ARGV[2] name, ARGV[3] username, ARGV[4] the day,
// ARGV[5] batch, ARGV[6] home unit, ARGV[7] title ("" keeps each),
// ARGV[8] the group's creation day: the start of a roster member who
// has no record yet.
// Returns {index, 1 if a period started, 1 if they were on the roster}.
var joinScript = redis.NewScript(`
local user = ARGV[1]
local idx = redis.call('HGET', KEYS[1], user)
if not idx then
  idx = redis.call('HINCRBY', KEYS[1], '_seq', 1) - 1
  redis.call('HSET', KEYS[1], user, idx)
end
local was = redis.call('HEXISTS', KEYS[2], user) == 1
redis.call('HSET', KEYS[2], user, cjson.encode({n=ARGV[2], u=ARGV[3], i=tonumber(idx)}))
local cur = redis.call('HGET', KEYS[3], user)
local s = {}
if cur then s = cjson.decode(cur) end
if type(s.p) ~= 'table' then s.p = {} end
local ps = s.p
if was and not cur then ps[1] = {f=ARGV[8]} end
local last = ps[#ps]
local started = 0
if not last or (last.t and last.t ~= '') then
  last = {f=ARGV[4]}
  ps[#ps + 1] = last
  started = 1
end
if ARGV[5] ~= '' then last.b = ARGV[5] end
if ARGV[6] ~= '' then last.h = ARGV[6] end
if ARGV[7] ~= '' then last.r = ARGV[7] end
s.n, s.u, s.p = ARGV[2], ARGV[3], ps
redis.call('HSET', KEYS[3], user, cjson.encode(s))
return {tonumber(idx), started, was and 1 or 0}
`)

// Join puts a member on the roster and starts their service, in one
// script: /join, being added to the group, a hand-over's successor.
func (db *DB) Join(ctx context.Context, j attendance.JoinWrite) (attendance.JoinResult, error) {
	v, err := joinScript.Run(ctx, db.rdb, []string{db.keyIndex(j.Chat), db.keyMembers(j.Chat), db.keyService(j.Chat)},
		j.Member.UserID, j.Member.Name, j.Member.Username, dayString(j.Day), j.Batch, j.Home, j.Title, dayString(j.Created)).Int64Slice()
	if err != nil {
		return attendance.JoinResult{}, wrap(err)
	}
	if len(v) != 3 {
		return attendance.JoinResult{}, fmt.Errorf("join script: %d values, want 3", len(v))
	}
	return attendance.JoinResult{Index: int(v[0]), Started: v[1] == 1, Already: v[2] == 1}, nil
}

// leaveScript takes a member off the roster and ends their open period:
// on the day itself if they checked in that day, otherwise the day
// before, so a day they were no longer there for is not counted against
// them. A roster member without a record gets one from the group's
// creation. Their index stays, so their rows stay theirs.
// KEYS[1] members hash, KEYS[2] svc hash, KEYS[3] index hash, KEYS[4]
// check-in flags of the day's year.
// ARGV[1] user id, ARGV[2] the day, ARGV[3] the day before, ARGV[4] day
// of year, ARGV[5] row bits, ARGV[6] the group's creation day, ARGV[7]
// name, ARGV[8] username, ARGV[9] why it ended.
// Returns the ended period as JSON, or false when none was open.
var leaveScript = redis.NewScript(`
local user = ARGV[1]
local was = redis.call('HDEL', KEYS[1], user) == 1
local cur = redis.call('HGET', KEYS[2], user)
local s
if cur then
  s = cjson.decode(cur)
elseif was then
  s = {n=ARGV[7], u=ARGV[8], p={{f=ARGV[6]}}}
else
  return false
end
if type(s.p) ~= 'table' then return false end
local last = s.p[#s.p]
if not last or (last.t and last.t ~= '') then return false end
local e = ARGV[3]
local idx = redis.call('HGET', KEYS[3], user)
if idx and redis.call('GETBIT', KEYS[4], tonumber(idx) * tonumber(ARGV[5]) + tonumber(ARGV[4])) == 1 then e = ARGV[2] end
last.t, last.e = e, ARGV[9]
redis.call('HSET', KEYS[2], user, cjson.encode(s))
return cjson.encode(last)
`)

// EndService takes a member off the roster and ends their service: one
// script. ok is false when they had no open period (not a member).
func (db *DB) EndService(ctx context.Context, l attendance.Departure) (s attendance.Service, ok bool, err error) {
	keys := []string{db.keyMembers(l.Chat), db.keyService(l.Chat), db.keyIndex(l.Chat), db.keyCheckins(l.Chat, l.Day.Year)}
	v, err := leaveScript.Run(ctx, db.rdb, keys, l.Member.UserID, dayString(l.Day), dayString(l.Day.AddDays(-1)),
		attendance.DayOfYear(l.Day), attendance.RowBits, dayString(l.Created), l.Member.Name, l.Member.Username, l.Why).Text()
	if err == redis.Nil {
		return s, false, nil
	}
	if err != nil {
		return s, false, wrap(err)
	}
	var p periodJSON
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return s, false, fmt.Errorf("leave script: %w", err)
	}
	return p.service(), true, nil
}

// Service loads a group's roster, its former members and everyone's
// periods of service, in one pipelined round trip: /roster and the
// hand-over read it.
func (db *DB) Service(ctx context.Context, chat int64) (*attendance.Period, error) {
	var members, idx, svc *redis.MapStringStringCmd
	var meta *redis.SliceCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		members = p.HGetAll(ctx, db.keyMembers(chat))
		idx = p.HGetAll(ctx, db.keyIndex(chat))
		svc = p.HGetAll(ctx, db.keyService(chat))
		meta = p.HMGet(ctx, db.keyGroup(chat), fCreated, fTZ)
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	p := &attendance.Period{Chat: chat, Roster: decodeRoster(members.Val())}
	db.fillService(p, idx.Val(), svc.Val(), meta.Val())
	return p, nil
}

// fillService sets a period's service records, former members and the
// group's creation day from the raw hashes.
func (db *DB) fillService(p *attendance.Period, idx, svc map[string]string, meta []any) {
	var who map[int64]cadrebot.Member
	p.Service, who = decodeServiceHash(svc)
	p.Former = former(p.Roster, who, idx)
	created, tz := "", ""
	if len(meta) == 2 {
		created, _ = meta[0].(string)
		tz, _ = meta[1].(string)
	}
	p.Created = db.createdDay(created, tz)
}

// mergeService adds the old group's service records to the new group's
// when a group becomes a supergroup: each member keeps the periods of
// both chats, the old ones first, and a period both have (the same start)
// once, the new chat's copy winning. Running it again changes nothing.
func (db *DB) mergeService(ctx context.Context, from, to int64, old map[string]string) error {
	key := db.keyService(to)
	for field, v := range old {
		oj, _, err := decodeService(v)
		if err != nil {
			return fmt.Errorf("service of %s in %d: %w", field, from, err)
		}
		err = db.rdb.Watch(ctx, func(tx *redis.Tx) error {
			cur, err := tx.HGet(ctx, key, field).Result()
			if err != nil && err != redis.Nil {
				return err
			}
			merged := oj
			if cur != "" {
				ns, _, err := decodeService(cur)
				if err != nil {
					return fmt.Errorf("service of %s in %d: %w", field, to, err)
				}
				merged = mergePeriods(oj, ns)
			}
			buf, err := json.Marshal(merged)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, field, buf)
				return nil
			})
			return err
		}, key)
		if err != nil {
			return fmt.Errorf("merge service of %s into %d: %w", field, to, wrap(err))
		}
	}
	return nil
}

// mergePeriods joins two records of one member: the new chat's name and
// periods, preceded by the old chat's periods that started earlier or on
// a day the new chat has no period for.
func mergePeriods(old, cur serviceJSON) serviceJSON {
	out := cur
	seen := make(map[string]bool, len(cur.Periods))
	for _, p := range cur.Periods {
		seen[p.From] = true
	}
	var ps []periodJSON
	for _, p := range old.Periods {
		if !seen[p.From] {
			ps = append(ps, p)
		}
	}
	ps = append(ps, cur.Periods...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].From < ps[j].From })
	out.Periods = ps
	if out.Name == "" {
		out.Name, out.Username = old.Name, old.Username
	}
	return out
}
