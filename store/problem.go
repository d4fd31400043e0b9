package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Problem hash fields. Cards are "card:<chat>" = "<msg id>:<dept>";
// sweep markers are "m:<name>".
const (
	pfStatus   = "st"
	pfVersion  = "v"
	pfToken    = "vt"
	pfVChat    = "vc"
	pfVillage  = "vn"
	pfReporter = "ru"
	pfRepName  = "rn"
	pfRepMsg   = "rm"
	pfFoundBy  = "fb"
	pfFoundNm  = "fn"
	pfCategory = "cat"
	pfDept     = "dept"
	pfText     = "txt"
	pfPhotos   = "ph"
	pfLoc      = "loc"
	pfAddress  = "addr"
	pfCreated  = "cr"
	pfDue      = "due"
	pfSLA      = "sla"
	pfResolved = "ra"
	pfClosed   = "ca"
	pfAsked    = "ask"
	pfNote     = "note"
	pfReason   = "rsn"
	pfHandler  = "hdl"
	pfMeToo    = "mt"
	pfUndeliv  = "und"
	pfStage    = "stg"
	pfCard     = "card:"
	pfMark     = "m:"
	// Joint handling, proof of rectification and satisfaction.
	pfSupport  = "sup" // supporting departments, comma-separated
	pfNoted    = "sn:" // "sn:<dept>" = unix time of its latest note
	pfResPhoto = "rph" // the resolution's photos, newline-separated
	pfRating   = "rt"  // cadrebot.Rating
	pfRatedAt  = "rta" // unix seconds
	pfRatedBy  = "rtb" // the rater's name
)

// applyOps is the op interpreter applyScript and createScript share:
// ARGV[from..] ops: h f v (HSET on the record), z k score m (ZADD), r k m
// (ZREM), s k m (SADD), x k m (SREM), H k f v (HSET), D k f (HDEL),
// g k lon lat m (GEOADD), l k v (RPUSH); k is an index into KEYS. A new
// record's number is not known before the script takes it, so with id set
// a score or member "#" stands for it.
const applyOps = `
local function num(v, id)
  if id and v == '#' then return id end
  return v
end
local function apply(hash, from, id)
  local i = from
  while i <= #ARGV do
    local op = ARGV[i]
    if op == 'h' then redis.call('HSET', hash, ARGV[i+1], ARGV[i+2]); i = i + 3
    elseif op == 'z' then redis.call('ZADD', KEYS[tonumber(ARGV[i+1])], num(ARGV[i+2], id), num(ARGV[i+3], id)); i = i + 4
    elseif op == 'r' then redis.call('ZREM', KEYS[tonumber(ARGV[i+1])], num(ARGV[i+2], id)); i = i + 3
    elseif op == 's' then redis.call('SADD', KEYS[tonumber(ARGV[i+1])], num(ARGV[i+2], id)); i = i + 3
    elseif op == 'x' then redis.call('SREM', KEYS[tonumber(ARGV[i+1])], num(ARGV[i+2], id)); i = i + 3
    elseif op == 'H' then redis.call('HSET', KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3]); i = i + 4
    elseif op == 'g' then redis.call('GEOADD', KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3], num(ARGV[i+4], id)); i = i + 5
    elseif op == 'D' then redis.call('HDEL', KEYS[tonumber(ARGV[i+1])], ARGV[i+2]); i = i + 3
    elseif op == 'l' then redis.call('RPUSH', KEYS[tonumber(ARGV[i+1])], ARGV[i+2]); i = i + 3
    else return redis.error_reply('apply: bad op ' .. tostring(op)) end
  end
end
`

// applyScript writes a problem, its history and its indexes at once, if
// the problem is still at the version the caller read.
// KEYS[1] problem hash, KEYS[2] history list, KEYS[3..] other keys the ops
// name by index.
// ARGV[1] expected version: "" any, "-" the problem must not exist yet,
// else the value of field v.
// ARGV[2] write token, or "": when field vt already holds it, this very
// write was applied before (go-redis retried after a lost reply) and is
// reported as applied instead of as a conflict.
// ARGV[3] history entry (JSON) to append, or "".
// ARGV[4..] ops (applyOps).
// Returns 1 applied, 2 applied earlier, 0 version mismatch.
var applyScript = redis.NewScript(applyOps + `
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'vt') == ARGV[2] then return 2 end
if ARGV[1] == '-' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif ARGV[1] ~= '' then
  if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
local err = apply(KEYS[1], 4, nil)
if err then return err end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'vt', ARGV[2]) end
return 1
`)

// createScript numbers a new problem and writes it as applyScript would,
// unless the village already has an open problem of its category waiting
// for a department: the number, the duplicate check and the write are one
// round trip, and no report can slip in between the check and the write.
// KEYS[1] the number sequence, KEYS[2] the village's open problems,
// KEYS[3..] other keys the ops name by index; all under {pr}, and the new
// problem's own keys (ARGV[1] .. number, and .. ":h") share the slot.
// ARGV[1] problem key prefix, ARGV[2] write token: go-redis may resend
// the script after a lost reply, and the token's key remembers the number
// the first run took, so the resend files nothing twice. ARGV[3] history
// entry, ARGV[4] category to check for duplicates ("" none), ARGV[5..]
// ops (applyOps, "#" for the number).
// Returns the number; -1 refused as a duplicate; 0 the number was taken
// (the sequence was reset under live data).
var createScript = redis.NewScript(applyOps + `
local tok = ARGV[1] .. 'tok:' .. ARGV[2]
local done = redis.call('GET', tok)
if done then return tonumber(done) end
if ARGV[4] ~= '' then
  for _, m in ipairs(redis.call('ZREVRANGE', KEYS[2], 0, ` + itoa(dupScan-1) + `)) do
    local f = redis.call('HMGET', ARGV[1] .. m, '` + pfCategory + `', '` + pfStatus + `')
    if f[1] == ARGV[4] and (` + heldLua + `) then return -1 end
  end
end
local id = redis.call('INCR', KEYS[1])
local hash = ARGV[1] .. id
if redis.call('EXISTS', hash) == 1 then return 0 end
if ARGV[3] ~= '' then redis.call('RPUSH', hash .. ':h', ARGV[3]) end
local err = apply(hash, 5, id)
if err then return err end
redis.call('SET', tok, id, 'EX', 3600)
return id
`)

// dupScan is how many of a village's newest open problems the duplicate
// check reads, as the reporter's duplicate hint does.
const dupScan = 100

// heldLua tests f[2], a problem's status, for cadrebot.Status.Held.
var heldLua = func() string {
	var parts []string
	for _, st := range []cadrebot.Status{cadrebot.StatusNew, cadrebot.StatusAccepted, cadrebot.StatusReturned,
		cadrebot.StatusResolved, cadrebot.StatusReopened, cadrebot.StatusClosed} {
		if st.Held() {
			parts = append(parts, "f[2] == '"+string(st)+"'")
		}
	}
	return strings.Join(parts, " or ")
}()

// write collects the ops of one applyScript call.
type write struct {
	db   *DB
	id   int64
	keys []string
	at   map[string]int
	ops  []any
}

func (db *DB) newWrite(id int64) *write {
	return db.newWriteOn(id, db.keyProblem(id), db.keyPrHistory(id))
}

// newWriteOn collects a write of record id kept in hash with its history
// list hist; every other key it touches must share their hash tag.
func (db *DB) newWriteOn(id int64, hash, hist string) *write {
	return &write{db: db, id: id, keys: []string{hash, hist}, at: map[string]int{}}
}

func (w *write) key(k string) int {
	if i, ok := w.at[k]; ok {
		return i
	}
	w.keys = append(w.keys, k)
	w.at[k] = len(w.keys) // Lua indexes from 1
	return len(w.keys)
}

func (w *write) hset(f, v string) { w.ops = append(w.ops, "h", f, v) }
func (w *write) zadd(k string, score int64, m string) {
	w.ops = append(w.ops, "z", w.key(k), score, m)
}
func (w *write) geoadd(k string, lon, lat float64, m string) {
	w.ops = append(w.ops, "g", w.key(k), lon, lat, m)
}
func (w *write) zrem(k, m string)      { w.ops = append(w.ops, "r", w.key(k), m) }
func (w *write) sadd(k, m string)      { w.ops = append(w.ops, "s", w.key(k), m) }
func (w *write) srem(k, m string)      { w.ops = append(w.ops, "x", w.key(k), m) }
func (w *write) hsetOn(k, f, v string) { w.ops = append(w.ops, "H", w.key(k), f, v) }
func (w *write) hdelOn(k, f string)    { w.ops = append(w.ops, "D", w.key(k), f) }
func (w *write) rpush(k, v string)     { w.ops = append(w.ops, "l", w.key(k), v) }

// member is the record's number in an index; "#" for a new record, which
// createScript numbers.
func (w *write) member() string {
	if w.id == 0 {
		return "#"
	}
	return itoa(w.id)
}
func (w *write) history(e *cadrebot.Entry) string {
	if e == nil {
		return ""
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// run executes the write; expected is as ARGV[1] of applyScript.
func (w *write) run(ctx context.Context, expected string, e *cadrebot.Entry) (int, error) {
	return w.runJSON(ctx, expected, w.history(e))
}

// runJSON is run with the history entry already encoded ("" for none).
func (w *write) runJSON(ctx context.Context, expected, entry string) (int, error) {
	args := make([]any, 0, 3+len(w.ops))
	args = append(args, expected, newToken(), entry)
	args = append(args, w.ops...)
	n, err := applyScript.Run(ctx, w.db.rdb, w.keys, args...).Int()
	if err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func unix(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return itoa(t.Unix())
}

func parseUnix(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// fields are the problem's own fields; cards and markers are written
// separately, so a transition never drops them.
func fields(p *cadrebot.Problem) [][2]string {
	ph := ""
	if len(p.Photos) > 0 {
		ph = strings.Join(p.Photos, "\n") // file_ids never contain a newline
	}
	loc := ""
	if p.HasLoc {
		loc = strconv.FormatFloat(p.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(p.Lon, 'f', -1, 64)
	}
	und := ""
	if p.Undeliverable {
		und = "1"
	}
	rph := ""
	if len(p.ResolutionPhotos) > 0 {
		rph = strings.Join(p.ResolutionPhotos, "\n")
	}
	foundBy := ""
	if p.FoundBy != 0 {
		foundBy = itoa(p.FoundBy)
	}
	return [][2]string{
		{pfStatus, string(p.Status)}, {pfVersion, itoa(p.Version)},
		{pfVChat, itoa(p.VillageChat)}, {pfVillage, p.Village},
		{pfReporter, itoa(p.Reporter)}, {pfRepName, p.ReporterName}, {pfRepMsg, strconv.Itoa(p.ReportMsgID)},
		{pfFoundBy, foundBy}, {pfFoundNm, p.FoundName},
		{pfCategory, p.Category}, {pfDept, p.Dept}, {pfText, p.Text}, {pfPhotos, ph}, {pfLoc, loc}, {pfAddress, p.Address},
		{pfCreated, unix(p.Created)}, {pfDue, unix(p.Due)}, {pfSLA, itoa(int64(p.SLA / time.Second))},
		{pfResolved, unix(p.ResolvedAt)}, {pfClosed, unix(p.ClosedAt)}, {pfAsked, unix(p.AskedAt)},
		{pfNote, p.Note}, {pfReason, p.Reason}, {pfHandler, p.Handler},
		{pfMeToo, strconv.Itoa(p.MeToo)}, {pfUndeliv, und}, {pfStage, strconv.Itoa(p.Stage)},
		// Department ids are [A-Za-z0-9_-] (config checks), so a comma
		// separates them safely.
		{pfSupport, strings.Join(p.Support, ",")}, {pfResPhoto, rph},
		{pfRating, string(p.Rating)}, {pfRatedAt, unix(p.RatedAt)}, {pfRatedBy, p.RatedBy},
	}
}

func decodeProblem(id int64, m map[string]string) cadrebot.Problem {
	p := cadrebot.Problem{ID: id, Status: cadrebot.Status(m[pfStatus]), Village: m[pfVillage], ReporterName: m[pfRepName],
		Category: m[pfCategory], Dept: m[pfDept], Text: m[pfText], Address: m[pfAddress],
		Note: m[pfNote], Reason: m[pfReason], Handler: m[pfHandler], Undeliverable: m[pfUndeliv] == "1"}
	p.Version, _ = strconv.ParseInt(m[pfVersion], 10, 64)
	p.VillageChat, _ = strconv.ParseInt(m[pfVChat], 10, 64)
	p.Reporter, _ = strconv.ParseInt(m[pfReporter], 10, 64)
	p.FoundBy, _ = strconv.ParseInt(m[pfFoundBy], 10, 64)
	p.FoundName = m[pfFoundNm]
	p.ReportMsgID, _ = strconv.Atoi(m[pfRepMsg])
	if s := m[pfPhotos]; s != "" {
		p.Photos = strings.Split(s, "\n")
	}
	if lat, lon, ok := strings.Cut(m[pfLoc], ","); ok {
		p.Lat, _ = strconv.ParseFloat(lat, 64)
		p.Lon, _ = strconv.ParseFloat(lon, 64)
		p.HasLoc = true
	}
	p.Created, p.Due = parseUnix(m[pfCreated]), parseUnix(m[pfDue])
	p.ResolvedAt, p.ClosedAt, p.AskedAt = parseUnix(m[pfResolved]), parseUnix(m[pfClosed]), parseUnix(m[pfAsked])
	sla, _ := strconv.ParseInt(m[pfSLA], 10, 64)
	p.SLA = time.Duration(sla) * time.Second
	p.MeToo, _ = strconv.Atoi(m[pfMeToo])
	p.Stage, _ = strconv.Atoi(m[pfStage])
	if s := m[pfSupport]; s != "" {
		p.Support = strings.Split(s, ",")
	}
	if s := m[pfResPhoto]; s != "" {
		p.ResolutionPhotos = strings.Split(s, "\n")
	}
	p.Rating, p.RatedAt, p.RatedBy = cadrebot.Rating(m[pfRating]), parseUnix(m[pfRatedAt]), m[pfRatedBy]
	for k, v := range m {
		if dept, ok := strings.CutPrefix(k, pfNoted); ok {
			if p.SupportNoted == nil {
				p.SupportNoted = map[string]time.Time{}
			}
			p.SupportNoted[dept] = parseUnix(v)
			continue
		}
		chat, ok := strings.CutPrefix(k, pfCard)
		if !ok {
			continue
		}
		c, err := strconv.ParseInt(chat, 10, 64)
		msg, dept, _ := strings.Cut(v, ":")
		n, err2 := strconv.Atoi(msg)
		if err != nil || err2 != nil {
			continue
		}
		if p.Cards == nil {
			p.Cards, p.CardDepts = map[int64]int{}, map[int64]string{}
		}
		p.Cards[c], p.CardDepts[c] = n, dept
	}
	return p
}

// index is one sorted-set membership a problem has in a given state.
type index struct {
	key   string
	score int64
	// byID: scored by the problem's number, which a new problem does not
	// have before createScript takes it.
	byID bool
}

// indexes lists the sorted sets p belongs to: everything by report time,
// the open ones, a department's queue, the deadline and resolution
// queues the sweeps read, and the finished ones by finishing time.
func (db *DB) indexes(p *cadrebot.Problem) []index {
	// Lists are scored by number, which is report order without ties
	// (many reports share a second); only the created index is by time,
	// for the figures of a period.
	id := p.ID
	num := func(key string) index { return index{key, id, true} }
	ix := []index{
		num(db.keyPrAll()), index{key: db.keyPrCreated(), score: p.Created.Unix()}, num(db.keyPrVillage(p.VillageChat)),
		num(db.keyPrUser(p.Reporter)), num(db.keyPrDeptAll(p.Dept)),
	}
	if p.Status.Open() {
		ix = append(ix, num(db.keyPrOpen()), num(db.keyPrVillageOpen(p.VillageChat)))
	}
	if p.Status.Held() {
		ix = append(ix, num(db.keyPrDept(p.Dept)), index{key: db.keyPrDue(), score: p.Due.Unix()})
	}
	if p.Status == cadrebot.StatusResolved {
		ix = append(ix, index{key: db.keyPrResolved(), score: p.ResolvedAt.Unix()})
	}
	for _, d := range p.Support {
		// What a department supports, like what it leads: every one, and
		// the ones it still works on.
		ix = append(ix, num(db.keyPrSupportAll(d)))
		if p.Status.Held() {
			ix = append(ix, num(db.keyPrSupport(d)))
		}
	}
	if p.Status.Done() {
		ix = append(ix, index{key: db.keyPrFinished(), score: finishedAt(p).Unix()})
	}
	return ix
}

// finishedAt is when a done problem was finished: its latest resolution,
// or its closing when it was closed without one (withdrawn). Closing a
// resolved problem keeps the resolution time, so the digest of the week
// it was resolved in finds it however long the reporter took to confirm.
func finishedAt(p *cadrebot.Problem) time.Time {
	if !p.ResolvedAt.IsZero() {
		return p.ResolvedAt
	}
	return p.ClosedAt
}

// put adds the writes that move p from old's indexes to its own.
func (w *write) put(old, p *cadrebot.Problem) {
	for _, f := range fields(p) {
		w.hset(f[0], f[1])
	}
	now := w.db.indexes(p)
	keep := make(map[string]bool, len(now))
	for _, ix := range now {
		keep[ix.key] = true
		var score any = ix.score
		if ix.byID && w.id == 0 {
			score = "#"
		}
		w.ops = append(w.ops, "z", w.key(ix.key), score, w.member())
	}
	if old != nil {
		for _, ix := range w.db.indexes(old) {
			if !keep[ix.key] {
				w.zrem(ix.key, w.member())
			}
		}
	}
	// Open problems with a location are found by distance for the
	// duplicate hint; the geo set is a sorted set, so ZREM takes them out.
	if p.Status.Open() && p.HasLoc {
		w.geoadd(w.db.keyPrGeo(), p.Lon, p.Lat, w.member())
	} else {
		w.zrem(w.db.keyPrGeo(), w.member())
	}
	if p.Undeliverable {
		w.sadd(w.db.keyPrFlagged(), w.member())
	} else {
		w.srem(w.db.keyPrFlagged(), w.member())
	}
}

// CardGrace is how long a new problem's card may take before the card
// retry assumes the sender died and posts it.
const CardGrace = 2 * time.Minute

// CreateProblem numbers p, stores it with its first history entry and
// indexes it, and returns its number, all in one round trip. With
// unlessDuplicate it files nothing and returns cadrebot.ErrDuplicate when
// the village has an open problem of p's category in a department's
// queue, which the reporter should see first. Numbers come from INCR in
// the script, so #N stays unique; a number is skipped only if the write
// fails after taking it.
func (db *DB) CreateProblem(ctx context.Context, p *cadrebot.Problem, e cadrebot.Entry, unlessDuplicate bool) (int64, error) {
	p.ID = 0
	w := db.newWriteOn(0, db.keyPrSeq(), db.keyPrVillageOpen(p.VillageChat))
	w.put(nil, p)
	// The card is sent after this write. Should the process die in
	// between, the card retry (overdue sweep) finds the problem here and
	// sends it; CardPosted takes it off once the card is out.
	w.zadd(db.keyPrNoCard(), p.Created.Add(CardGrace).Unix(), w.member())
	dup := ""
	if unlessDuplicate {
		dup = p.Category
	}
	args := make([]any, 0, 4+len(w.ops))
	args = append(args, db.k(prTag, ":"), newToken(), w.history(&e), dup)
	args = append(args, w.ops...)
	id, err := createScript.Run(ctx, db.auto, w.keys, args...).Int64()
	switch {
	case err != nil:
		return 0, wrap(err)
	case id == -1:
		return 0, cadrebot.ErrDuplicate
	case id == 0:
		return 0, fmt.Errorf("problem number already taken: %s was reset", db.keyPrSeq())
	}
	p.ID = id
	return id, nil
}

// numbered checks the write that filed a record under the number id that
// INCR of seq just handed out (n: 1 written, 0 the number was taken). A
// fresh number is taken only if the counter was reset under live data:
// refuse rather than overwrite.
func numbered(what string, id int64, seq string, n int, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("%s number %d already taken: %s was reset", what, id, seq)
	}
	return id, nil
}

// Problem loads one problem, or cadrebot.ErrNotFound.
func (db *DB) Problem(ctx context.Context, id int64) (cadrebot.Problem, error) {
	return hashRecord(ctx, db, db.keyProblem(id), func(m map[string]string) cadrebot.Problem { return decodeProblem(id, m) })
}

// Problems loads many problems, one pipelined round trip per 1,000, in
// the order of ids; unknown numbers are left out.
func (db *DB) Problems(ctx context.Context, ids []int64) ([]cadrebot.Problem, error) {
	return hashRecords(ctx, db, ids, db.keyProblem, decodeProblem)
}

// ApplyProblem stores the result of cadrebot.Transition: p as it now is
// and its history entry, if the stored problem is still at old.Version.
// Otherwise it returns cadrebot.ErrConflict and writes nothing.
func (db *DB) ApplyProblem(ctx context.Context, old, p cadrebot.Problem, e cadrebot.Entry) error {
	w := db.newWrite(p.ID)
	w.put(&old, &p)
	if (e.Action == cadrebot.ActAccept || e.Action == cadrebot.ActResolve) && e.By != 0 {
		// A handler's "mine" list is what they took on.
		w.zadd(db.keyPrUser(e.By), p.ID, w.member())
	}
	n, err := w.run(ctx, itoa(old.Version), &e)
	if err != nil {
		return err
	}
	if n == 0 {
		return cadrebot.ErrConflict
	}
	return nil
}

// note appends a history entry that changes no status and sets a few
// fields with it, whatever the version.
func (db *DB) note(ctx context.Context, id int64, e cadrebot.Entry, set ...string) error {
	w := db.newWrite(id)
	for i := 0; i+1 < len(set); i += 2 {
		w.hset(set[i], set[i+1])
	}
	_, err := w.run(ctx, "", &e)
	return err
}

// SetProblemStage records that a problem escalated to stage.
func (db *DB) SetProblemStage(ctx context.Context, id int64, stage int, e cadrebot.Entry) error {
	return db.note(ctx, id, e, pfStage, strconv.Itoa(stage))
}

// SetProblemAsked records that the reporter was asked "is this fixed?".
func (db *DB) SetProblemAsked(ctx context.Context, id int64, at time.Time, e cadrebot.Entry) error {
	return db.note(ctx, id, e, pfAsked, unix(at))
}

// AddProblemHistory appends an entry that changes nothing else.
func (db *DB) AddProblemHistory(ctx context.Context, id int64, e cadrebot.Entry) error {
	return db.note(ctx, id, e)
}

// AddMeToo records that user has the same problem, with their note.
func (db *DB) AddMeToo(ctx context.Context, id int64, e cadrebot.Entry) (cadrebot.Problem, error) {
	p, err := db.Problem(ctx, id)
	if err != nil {
		return p, err
	}
	w := db.newWrite(id)
	w.hset(pfMeToo, strconv.Itoa(p.MeToo+1))
	if e.By != 0 {
		w.zadd(db.keyPrUser(e.By), p.ID, w.member())
	}
	// Checked against the version, so a concurrent transition (say, the
	// item was just resolved) is noticed by the caller.
	n, err := w.run(ctx, itoa(p.Version), &e)
	if err != nil {
		return p, err
	}
	if n == 0 {
		return p, cadrebot.ErrConflict
	}
	p.MeToo++
	return p, nil
}

// History returns a problem's history, oldest first.
func (db *DB) History(ctx context.Context, id int64) ([]cadrebot.Entry, error) {
	ss, err := db.rdb.LRange(ctx, db.keyPrHistory(id), 0, -1).Result()
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]cadrebot.Entry, 0, len(ss))
	for _, s := range ss {
		var e cadrebot.Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return nil, fmt.Errorf("problem %d history: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}
