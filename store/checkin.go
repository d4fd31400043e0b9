package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// Check-in storage (docs/checkins.md has the reasoning, docs/redis.md the
// keys):
//
//   - flags: one bitmap per group per year, ci:<YYYY>, laid out as the
//     attendance package says (a 46-byte row per roster index). A whole
//     year of a 20-member group is 920 bytes.
//   - off-site marks: the same layout in off:<YYYY>, created only by the
//     first off-site check-in of the group's year.
//   - times: a string per group per day, cit:<YYYYMMDD>, two bytes per
//     roster index holding the minute of the first check-in plus one (0:
//     none), so the board and /today can say "08:31".
//   - notes and locations: a hash per group per day, cin:<YYYYMMDD>, user
//     -> compact JSON {n, la, lo}, only for check-ins that have one.
//
// Times and notes expire DetailTTL after their day's last write; flags are
// kept for good. Every string is written at its final size (fit, below):
// Redis doubles a string's allocation whenever SETBIT or SETRANGE grows
// it, which would double what flags cost.

// checkinScript records a check-in in one round trip: it gives the user a
// roster index (adding them to the roster: whoever checks in in a village
// group is a cadre who should), sets the day's bit, records the time and
// any note or location, and returns what the caller needs to compute the
// streak and to refresh the board, so nothing else touches Redis on the
// hot path. A check-in from someone not on the roster starts their
// period of service that day, as /join would.
//
// It is the hot path, so it runs as few commands as it can (Redis' work
// per check-in is counted in docs/benchmarks.md): a roster member's index
// comes from their roster entry; the flags of the year are sized in one
// allocation only when a row is found missing; the row of the year before,
// the board's creation claim, the times' TTL and the board debounce are
// asked for only when the caller says so (the store remembers per process
// what it already did today).
//
// KEYS[1] index hash, KEYS[2] members hash, KEYS[3] flags of the year,
// KEYS[4] flags of the year before, KEYS[5] notes of the day, KEYS[6]
// off-site flags of the year, KEYS[7] leave hash, KEYS[8] board message
// of the day, KEYS[9] board debounce, KEYS[10] times of the day, KEYS[11]
// service periods.
// ARGV[1] user id, ARGV[2] name, ARGV[3] username, ARGV[4] day of year
// (0-based), ARGV[5] minute after midnight, ARGV[6] note ("" keeps the
// earlier one), ARGV[7] "1" when a location comes with it, ARGV[8] lat,
// ARGV[9] lon, ARGV[10] "1" when off-site, ARGV[11] detail TTL in
// seconds, ARGV[12] board debounce in ms (0: not asked), ARGV[13] row
// bytes, ARGV[14] row bits, ARGV[15] TTL in seconds of the claim to
// create the board (0: not asked), ARGV[16] the day (YYYY-MM-DD), ARGV[17]
// "1" to return the row of the year before, ARGV[18] "1" to set the
// times' TTL (the first check-in of the day this process sees).
// Returns {index, previous bit, member's row this year as it was before
// this check-in, row the year before or false, leave JSON or false, 1 if
// this call claimed the creation of the day's board, 1 if it claimed the
// board debounce}.
var checkinScript = redis.NewScript(luaFit + `
local user = ARGV[1]
local rb, ttl = tonumber(ARGV[13]), tonumber(ARGV[11])
local idx, fresh
local entry = redis.call('HGET', KEYS[2], user)
if entry then idx = tonumber(string.match(entry, '"i":(%d+)')) end
if not idx then
  idx = redis.call('HGET', KEYS[1], user)
  if idx then
    idx = tonumber(idx)
  else
    idx = redis.call('HINCRBY', KEYS[1], '_seq', 1) - 1
    redis.call('HSET', KEYS[1], user, idx)
    fresh = true
  end
end
if not entry then
  redis.call('HSET', KEYS[2], user, cjson.encode({n=ARGV[2], u=ARGV[3], i=idx}))
  local s = {}
  if not fresh then
    local cur = redis.call('HGET', KEYS[11], user)
    if cur then s = cjson.decode(cur) end
  end
  if type(s.p) ~= 'table' then s.p = {} end
  local last = s.p[#s.p]
  if not last or (last.t and last.t ~= '') then s.p[#s.p + 1] = {f=ARGV[16]} end
  s.n, s.u = ARGV[2], ARGV[3]
  redis.call('HSET', KEYS[11], user, cjson.encode(s))
end
local day = tonumber(ARGV[4])
local a = redis.call('GETRANGE', KEYS[3], idx * rb, idx * rb + rb - 1)
if #a < rb then
  -- The row is past the end of the year's flags: size them for every
  -- index given out so far, in one allocation, rounded up to 8 rows so
  -- that a roster filling up (first check-ins) grows them every 8th time.
  local rows = idx + 1
  if not fresh then rows = math.max(tonumber(redis.call('HGET', KEYS[1], '_seq') or '0'), rows) end
  fit(KEYS[3], math.ceil(rows / 8) * 8 * rb)
  a = a .. string.rep('\0', rb - #a)
end
-- The flag is the byte's bit 7 - day % 8 (SETBIT counts from the top);
-- arithmetic, since not every Redis (miniredis) has the bit library.
local prev = math.floor(string.byte(a, math.floor(day / 8) + 1) / 2 ^ (7 - day % 8)) % 2
local bitoff = idx * tonumber(ARGV[14]) + day
if prev == 0 then
  redis.call('SETBIT', KEYS[3], bitoff, 1)
  if ARGV[18] == '1' then
    -- The day's times, at their full size, and their TTL: once a day.
    local rows = math.max(tonumber(redis.call('HGET', KEYS[1], '_seq') or '0'), idx + 1)
    if fit(KEYS[10], rows * 2) == 0 then redis.call('EXPIRE', KEYS[10], ttl) end
  end
  local m = tonumber(ARGV[5]) + 1
  redis.call('SETRANGE', KEYS[10], idx * 2, string.char(math.floor(m / 256), m % 256))
end
if ARGV[6] ~= '' or ARGV[7] == '1' then
  local cur = redis.call('HGET', KEYS[5], user)
  local d = {}
  if cur then d = cjson.decode(cur) end
  if ARGV[6] ~= '' then d.n = ARGV[6] end
  if ARGV[7] == '1' then
    d.la = tonumber(ARGV[8])
    d.lo = tonumber(ARGV[9])
    if ARGV[10] == '1' or redis.call('EXISTS', KEYS[6]) == 1 then
      local rows = math.max(tonumber(redis.call('HGET', KEYS[1], '_seq') or '0'), idx + 1)
      fit(KEYS[6], rows * rb)
      redis.call('SETBIT', KEYS[6], bitoff, tonumber(ARGV[10]))
    end
  end
  redis.call('HSET', KEYS[5], user, cjson.encode(d))
  redis.call('EXPIRE', KEYS[5], ttl)
end
local b = false
if ARGV[17] == '1' then b = redis.call('GETRANGE', KEYS[4], idx * rb, idx * rb + rb - 1) end
local leave = false
if not fresh then leave = redis.call('HGET', KEYS[7], user) end
local create, due = false, false
if ARGV[15] ~= '0' then create = redis.call('SET', KEYS[8], '0', 'NX', 'EX', ARGV[15]) end
if ARGV[12] ~= '0' then due = redis.call('SET', KEYS[9], '1', 'NX', 'PX', ARGV[12]) end
return {idx, prev, a, b, leave, create and 1 or 0, due and 1 or 0}
`)

// Checkin records a check-in: one EVALSHA, one round trip.
func (db *DB) Checkin(ctx context.Context, w attendance.CheckinWrite) (attendance.CheckinResult, error) {
	var res attendance.CheckinResult
	if w.DetailTTL < time.Second || w.BoardInterval < time.Millisecond {
		return res, fmt.Errorf("checkin: detail TTL %s and board interval %s must be positive", w.DetailTTL, w.BoardInterval)
	}
	if w.Minute < 0 || w.Minute >= 24*60 {
		return res, fmt.Errorf("checkin: minute %d out of range", w.Minute)
	}
	y := w.Day.Year
	keys := []string{db.keyIndex(w.Chat), db.keyMembers(w.Chat), db.keyCheckins(w.Chat, y), db.keyCheckins(w.Chat, y-1),
		db.keyCheckinNotes(w.Chat, w.Day), db.keyOffsite(w.Chat, y), db.keyLeave(w.Chat), db.keyBoard(w.Chat, w.Day),
		db.keyBoardDebounce(w.Chat), db.keyCheckinTimes(w.Chat, w.Day), db.keyService(w.Chat)}
	hasLoc, lat, lon, off := "0", "", "", "0"
	if w.Where != nil {
		// Five decimals are about a metre: enough, and short enough to
		// keep the day's hash in Redis' compact encoding.
		hasLoc = "1"
		lat = strconv.FormatFloat(w.Where.Lat, 'f', 5, 64)
		lon = strconv.FormatFloat(w.Where.Lon, 'f', 5, 64)
		if w.OffSite {
			off = "1"
		}
	}
	// What this process already did for the group's day is not asked
	// again: the board's creation claim (once it was tried), the times'
	// TTL, and the debounce while a claim of this process holds it.
	// Real time, not the bot's clock: the debounce key expires in Redis'
	// time, and it paces edits to Telegram, which run on real time too.
	now := time.Now()
	seen := db.days.seen(w.Chat, w.Day)
	claim, debounce := int64(boardPendingTTL/time.Second), w.BoardInterval.Milliseconds()
	if seen.tried {
		claim = 0
	}
	if now.Before(seen.debounced) {
		debounce = 0
	}
	prevYear := "0"
	if w.PrevYear {
		prevYear = "1"
	}
	setTTL := "1"
	if seen.tried {
		setTTL = "0"
	}
	v, err := checkinScript.Run(ctx, db.auto, keys,
		w.Member.UserID, w.Member.Name, w.Member.Username, attendance.DayOfYear(w.Day), w.Minute, w.Note,
		hasLoc, lat, lon, off, int64(w.DetailTTL/time.Second), debounce,
		attendance.RowBytes, attendance.RowBits, claim, w.Day.String(), prevYear, setTTL).Slice()
	if err != nil {
		return res, wrap(err)
	}
	if len(v) != 7 {
		return res, fmt.Errorf("checkin script: %d values, want 7", len(v))
	}
	idx, _ := v[0].(int64)
	prev, _ := v[1].(int64)
	cur, _ := v[2].(string)
	leaves, err := decodeLeaves(v[4])
	if err != nil {
		return res, fmt.Errorf("checkin: leave of %d in %d: %w", w.Member.UserID, w.Chat, err)
	}
	create, _ := v[5].(int64)
	due, _ := v[6].(int64)
	db.days.did(w.Chat, w.Day, due == 1, now.Add(w.BoardInterval))
	// The script returns the row as it was; today's flag is set now.
	row := []byte(cur)
	attendance.SetFlag(row, attendance.DayOfYear(w.Day))
	res = attendance.CheckinResult{Index: int(idx), Again: prev == 1, BoardCreate: create == 1, BoardDue: due == 1,
		Rows: map[int][]byte{y: row}, Leaves: leaves}
	if last, ok := v[3].(string); ok {
		res.Rows[y-1] = []byte(last)
	}
	return res, nil
}

// CheckinRows reads one member's rows of the given years, for streaks
// longer than the rows the check-in returned; one pipelined round trip.
func (db *DB) CheckinRows(ctx context.Context, chat int64, index int, years []int) (map[int][]byte, error) {
	cmds := make([]*redis.StringCmd, len(years))
	start := int64(index) * attendance.RowBytes
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, y := range years {
			cmds[i] = p.GetRange(ctx, db.keyCheckins(chat, y), start, start+attendance.RowBytes-1)
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[int][]byte, len(years))
	for i, y := range years {
		out[y] = []byte(cmds[i].Val())
	}
	return out, nil
}

// CheckinYears reads whole year bitmaps of a group (for the board's
// long streaks); one pipelined round trip.
func (db *DB) CheckinYears(ctx context.Context, chat int64, years []int) (map[int][]byte, error) {
	cmds := make([]*redis.StringCmd, len(years))
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, y := range years {
			cmds[i] = p.Get(ctx, db.keyCheckins(chat, y))
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	out := make(map[int][]byte, len(years))
	for i, y := range years {
		out[y] = []byte(cmds[i].Val())
	}
	return out, nil
}

// noteJSON is a day's note and location of one member.
type noteJSON struct {
	N  string   `json:"n,omitempty"`
	La *float64 `json:"la,omitempty"`
	Lo *float64 `json:"lo,omitempty"`
}

func decodeLeaves(v any) (attendance.Leaves, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil, nil
	}
	var ls attendance.Leaves
	if err := json.Unmarshal([]byte(s), &ls); err != nil {
		return nil, err
	}
	return ls, nil
}

func decodeLeaveHash(m map[string]string) map[int64]attendance.Leaves {
	out := make(map[int64]attendance.Leaves, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			continue
		}
		// A field that does not decode is skipped rather than failing
		// every rate of the group; UpdateLeave rewrites it whole.
		if ls, err := decodeLeaves(v); err == nil && len(ls) > 0 {
			out[id] = ls
		}
	}
	return out
}

// CheckinDay loads a group's day.
func (db *DB) CheckinDay(ctx context.Context, chat int64, day calendar.Date) (*attendance.Day, error) {
	return db.checkinDay(ctx, chat, day, false)
}

// BoardDay drops the board debounce and loads the day, in one round
// trip: a check-in that lands after the drop claims the debounce again
// and schedules its own refresh, so none is lost.
func (db *DB) BoardDay(ctx context.Context, chat int64, day calendar.Date) (*attendance.Day, error) {
	db.days.release(chat)
	return db.checkinDay(ctx, chat, day, true)
}

func (db *DB) checkinDay(ctx context.Context, chat int64, day calendar.Date, release bool) (*attendance.Day, error) {
	y := day.Year
	var (
		meta, members, leave, notes  *redis.MapStringStringCmd
		idx, svc                     *redis.MapStringStringCmd
		bits, prevBits, off, prevOff *redis.StringCmd
		times, board                 *redis.StringCmd
	)
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if release {
			p.Del(ctx, db.keyBoardDebounce(chat))
		}
		meta = p.HGetAll(ctx, db.keyGroup(chat))
		members = p.HGetAll(ctx, db.keyMembers(chat))
		idx = p.HGetAll(ctx, db.keyIndex(chat))
		svc = p.HGetAll(ctx, db.keyService(chat))
		bits = p.Get(ctx, db.keyCheckins(chat, y))
		prevBits = p.Get(ctx, db.keyCheckins(chat, y-1))
		off = p.Get(ctx, db.keyOffsite(chat, y))
		prevOff = p.Get(ctx, db.keyOffsite(chat, y-1))
		leave = p.HGetAll(ctx, db.keyLeave(chat))
		times = p.Get(ctx, db.keyCheckinTimes(chat, day))
		notes = p.HGetAll(ctx, db.keyCheckinNotes(chat, day))
		board = p.Get(ctx, db.keyBoard(chat, day))
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	d := &attendance.Day{Date: day, Details: map[int64]cadrebot.Checkin{}}
	if m := meta.Val(); len(m) > 0 {
		d.Group = decodeGroup(chat, m)
	}
	d.Period = &attendance.Period{Chat: chat, From: calendar.Date{Year: y - 1, Month: 1, Day: 1}, To: day,
		Roster: decodeRoster(members.Val()),
		Bits:   map[int][]byte{y: []byte(bits.Val()), y - 1: []byte(prevBits.Val())},
		Off:    map[int][]byte{y: []byte(off.Val()), y - 1: []byte(prevOff.Val())},
		Leaves: decodeLeaveHash(leave.Val())}
	m := meta.Val()
	db.fillService(d.Period, idx.Val(), svc.Val(), []any{m[fCreated], m[fTZ]})
	ts, ns := times.Val(), notes.Val()
	for _, m := range d.Period.Roster {
		if row := d.Period.Row(m); row.Checked(day) {
			d.Details[m.UserID] = decodeCheckin(m, row.OffSite(day), ts, ns)
		}
	}
	switch s := board.Val(); s {
	case "":
	case boardPending:
		d.BoardPending = true
	default:
		d.Board, _ = strconv.Atoi(s)
	}
	return d, nil
}

// periodBatch is how many groups one pipeline carries when loading
// periods: large enough that 2,000 groups take 8 round trips, small
// enough that one reply stays a few MB.
const periodBatch = 250

// CheckinPeriods loads [from, to] of many groups for attendance.Rates:
// rosters, former members and everyone's periods of service, the year
// bitmaps the range touches, off-site marks and leave.
// It takes ceil(len(chats)/250) pipelined round trips whatever the length
// of the range. Every chat gets a Period; an unknown one has no roster.
func (db *DB) CheckinPeriods(ctx context.Context, chats []int64, from, to calendar.Date) (map[int64]*attendance.Period, error) {
	out := make(map[int64]*attendance.Period, len(chats))
	type cmds struct {
		members, leave, idx, svc *redis.MapStringStringCmd
		meta                     *redis.SliceCmd
		bits, off                map[int]*redis.StringCmd
	}
	for start := 0; start < len(chats); start += periodBatch {
		batch := chats[start:min(start+periodBatch, len(chats))]
		cs := make([]cmds, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, c := range batch {
				cs[i] = cmds{members: p.HGetAll(ctx, db.keyMembers(c)), leave: p.HGetAll(ctx, db.keyLeave(c)),
					idx: p.HGetAll(ctx, db.keyIndex(c)), svc: p.HGetAll(ctx, db.keyService(c)),
					meta: p.HMGet(ctx, db.keyGroup(c), fCreated, fTZ),
					bits: map[int]*redis.StringCmd{}, off: map[int]*redis.StringCmd{}}
				for y := from.Year; y <= to.Year; y++ {
					cs[i].bits[y] = p.Get(ctx, db.keyCheckins(c, y))
					cs[i].off[y] = p.Get(ctx, db.keyOffsite(c, y))
				}
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return nil, wrap(err)
		}
		for i, c := range batch {
			p := &attendance.Period{Chat: c, From: from, To: to, Roster: decodeRoster(cs[i].members.Val()),
				Bits: map[int][]byte{}, Off: map[int][]byte{}, Leaves: decodeLeaveHash(cs[i].leave.Val())}
			db.fillService(p, cs[i].idx.Val(), cs[i].svc.Val(), cs[i].meta.Val())
			for y, cmd := range cs[i].bits {
				p.Bits[y] = []byte(cmd.Val())
			}
			for y, cmd := range cs[i].off {
				p.Off[y] = []byte(cmd.Val())
			}
			out[c] = p
		}
	}
	return out, nil
}

// decodeCheckin reads a member's check-in of a day from the day's packed
// times (two bytes per roster index: the minute plus one, 0 for none) and
// notes (a JSON note per user).
func decodeCheckin(m cadrebot.Member, offSite bool, times string, notes map[string]string) cadrebot.Checkin {
	c := cadrebot.Checkin{UserID: m.UserID, Minute: -1, OffSite: offSite}
	if i := m.Index * 2; i+1 < len(times) {
		if v := int(times[i])<<8 | int(times[i+1]); v > 0 {
			c.Minute = v - 1
		}
	}
	var nj noteJSON
	if s, ok := notes[itoa(m.UserID)]; ok && json.Unmarshal([]byte(s), &nj) == nil {
		c.Note = nj.N
		if nj.La != nil && nj.Lo != nil {
			c.Where = &cadrebot.Point{Lat: *nj.La, Lon: *nj.Lo}
		}
	}
	return c
}

// luaFit is a Lua function the scripts that write bitmaps share: fit makes
// key at least size bytes long in one allocation, since a string that
// SETBIT or SETRANGE grows gets twice the room it needs.
const luaFit = `
local function fit(key, size)
  local n = redis.call('STRLEN', key)
  if n >= size then return n end
  local v = redis.call('GET', key) or ''
  redis.call('SET', key, v .. string.rep('\0', size - n), 'KEEPTTL')
  return n
end
`
