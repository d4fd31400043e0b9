package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// problemSet is the index key of a set of problems.
func (db *DB) problemSet(s cadrebot.ProblemSet) string {
	switch s.Kind {
	case cadrebot.SetOpen:
		return db.keyPrOpen()
	case cadrebot.SetDeptQueue:
		return db.keyPrDept(s.Dept)
	case cadrebot.SetDept:
		return db.keyPrDeptAll(s.Dept)
	case cadrebot.SetVillage:
		return db.keyPrVillage(s.Chat)
	case cadrebot.SetVillageOpen:
		return db.keyPrVillageOpen(s.Chat)
	case cadrebot.SetUser:
		return db.keyPrUser(s.User)
	case cadrebot.SetSupportQueue:
		return db.keyPrSupport(s.Dept)
	case cadrebot.SetSupport:
		return db.keyPrSupportAll(s.Dept)
	}
	return db.keyPrAll()
}

// ProblemPage returns ids of a list, newest first, from offset (limit <=
// 0 means all), and the list's length, in one round trip.
func (db *DB) ProblemPage(ctx context.Context, l cadrebot.ProblemSet, offset, limit int) ([]int64, int, error) {
	k := db.problemSet(l)
	stop := int64(-1)
	if limit > 0 {
		stop = int64(offset + limit - 1)
	}
	var rng *redis.StringSliceCmd
	var n *redis.IntCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.ZCard(ctx, k)
		rng = p.ZRevRange(ctx, k, int64(offset), stop)
		return nil
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	return parseIDs(rng.Val()), int(n.Val()), nil
}

func parseIDs(ss []string) []int64 {
	out := make([]int64, 0, len(ss))
	for _, s := range ss {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (db *DB) byScore(ctx context.Context, key string, min, max string) ([]int64, error) {
	ss, err := db.rdb.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: min, Max: max}).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return parseIDs(ss), nil
}

// DueBy lists held problems whose deadline is at or before t: the
// overdue sweep's candidates.
func (db *DB) DueBy(ctx context.Context, t time.Time) ([]int64, error) {
	return db.byScore(ctx, db.keyPrDue(), "-inf", itoa(t.Unix()))
}

// ResolvedBy lists problems resolved at or before t and not closed yet.
func (db *DB) ResolvedBy(ctx context.Context, t time.Time) ([]int64, error) {
	return db.byScore(ctx, db.keyPrResolved(), "-inf", itoa(t.Unix()))
}

// Nearby lists open problems reported within radius metres of a point,
// nearest first, at most limit.
func (db *DB) Nearby(ctx context.Context, lat, lon, radius float64, limit int) ([]int64, error) {
	ss, err := db.rdb.GeoSearch(ctx, db.keyPrGeo(), &redis.GeoSearchQuery{Longitude: lon, Latitude: lat,
		Radius: radius, RadiusUnit: "m", Sort: "ASC", Count: limit}).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return parseIDs(ss), nil
}

// ProblemsCreated loads the problems reported in [from, to), in two round
// trips: what a digest computes its figures on.
func (db *DB) ProblemsCreated(ctx context.Context, from, to time.Time) ([]cadrebot.Problem, error) {
	ids, err := db.byScore(ctx, db.keyPrCreated(), itoa(from.Unix()), "("+itoa(to.Unix()))
	if err != nil {
		return nil, err
	}
	return db.Problems(ctx, ids)
}

// MarkProblem sets marker name on a problem once: it reports whether this
// call set it. The sweeps use it so that each reminder, escalation and
// question happens once per problem and stage, across restarts and
// replicas. value is kept for the record (the time it was set).
func (db *DB) MarkProblem(ctx context.Context, id int64, name, value string) (bool, error) {
	ok, err := db.rdb.HSetNX(ctx, db.keyProblem(id), pfMark+name, value).Result()
	return ok, wrap(err)
}

// ProblemMark returns a marker's value, "" when unset.
func (db *DB) ProblemMark(ctx context.Context, id int64, name string) (string, error) {
	v, err := db.rdb.HGet(ctx, db.keyProblem(id), pfMark+name).Result()
	if err == redis.Nil {
		return "", nil
	}
	return v, wrap(err)
}

// SetCard records the card of a problem posted in a department chat, so
// it can be edited in place and a press on it traced back to its problem.
// It clears the undeliverable flag: the department can see it now. done,
// when set, is the report form that filed the problem: it is dropped in the
// same round trip, once the problem is stored and its card out.
func (db *DB) SetCard(ctx context.Context, id, chat int64, msgID int, dept string, lead bool, done *cadrebot.FormKey) error {
	w := db.newWrite(id)
	w.hset(pfCard+itoa(chat), strconv.Itoa(msgID)+":"+dept)
	w.hsetOn(db.keyPrCardMsgs(), itoa(chat)+":"+strconv.Itoa(msgID), w.member())
	if lead {
		// The lead department's card is out: no retry (see CardPosted),
		// in the same write.
		w.zrem(db.keyPrNoCard(), w.member())
	}
	if done == nil {
		_, err := w.run(ctx, "", nil)
		return err
	}
	// Two slots ({pr} and the group's), so a pipeline rather than one
	// script; the form goes whatever becomes of the card's record.
	args := append([]any{"", newToken(), ""}, w.ops...)
	var apply *redis.Cmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		apply = applyScript.EvalSha(ctx, p, w.keys, args...)
		db.dropForm(ctx, p, done)
		return nil
	})
	if apply != nil && redis.HasErrorPrefix(apply.Err(), "NOSCRIPT") {
		// A pipeline cannot load the script; the write alone can.
		_, err = w.runJSON(ctx, "", "")
		return err
	}
	return wrap(err)
}

// CardProblem returns the problem whose card is message msgID in chat,
// or 0.
func (db *DB) CardProblem(ctx context.Context, chat int64, msgID int) (int64, error) {
	s, err := db.rdb.HGet(ctx, db.keyPrCardMsgs(), itoa(chat)+":"+strconv.Itoa(msgID)).Result()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err)
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n, nil
}

// SetUndeliverable flags a problem whose card could not reach its
// department (the bot was removed from the chat) and queues a retry at
// retry. The flag shows in /problems for admins until a card gets through.
func (db *DB) SetUndeliverable(ctx context.Context, id int64, retry time.Time, e *cadrebot.Entry) error {
	w := db.newWrite(id)
	w.hset(pfUndeliv, "1")
	w.sadd(db.keyPrFlagged(), w.member())
	w.zadd(db.keyPrNoCard(), retry.Unix(), w.member())
	_, err := w.run(ctx, "", e)
	return err
}

// CardPosted records that the problem's card reached its department (or
// its outbox), so the card retry leaves it alone; done as in SetCard.
func (db *DB) CardPosted(ctx context.Context, id int64, done *cadrebot.FormKey) error {
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, db.keyPrNoCard(), itoa(id))
		db.dropForm(ctx, p, done)
		return nil
	})
	return wrap(err)
}

// dropForm deletes the form done (see SetCard), if any, in p.
func (db *DB) dropForm(ctx context.Context, p redis.Pipeliner, done *cadrebot.FormKey) {
	if done != nil {
		k := db.keyForm(done.Chat, done.Kind, done.User)
		p.Del(ctx, k, k+":m")
	}
}

// ClearUndeliverable drops the flag and the retry once a card got through.
func (db *DB) ClearUndeliverable(ctx context.Context, id int64, e *cadrebot.Entry) error {
	w := db.newWrite(id)
	w.hset(pfUndeliv, "")
	w.srem(db.keyPrFlagged(), w.member())
	w.zrem(db.keyPrNoCard(), w.member())
	_, err := w.run(ctx, "", e)
	return err
}

// CardRetries lists problems whose card delivery is due for a retry.
func (db *DB) CardRetries(ctx context.Context, now time.Time) ([]int64, error) {
	return db.byScore(ctx, db.keyPrNoCard(), "-inf", itoa(now.Unix()))
}

// Flagged lists the problems flagged undeliverable.
func (db *DB) Flagged(ctx context.Context) ([]int64, error) {
	ss, err := db.rdb.SMembers(ctx, db.keyPrFlagged()).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return parseIDs(ss), nil
}

// addPhotoScript appends a file_id to a newline-separated list of photos
// in a hash field, up to a limit.
// KEYS[1] hash. ARGV[1] file_id, ARGV[2] limit, ARGV[3] field.
// Returns the photo count after, or -1 when full, -2 when the hash is
// gone.
var addPhotoScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local cur = redis.call('HGET', KEYS[1], ARGV[3]) or ''
local n = 0
if cur ~= '' then
  for _ in string.gmatch(cur, '[^\n]+') do n = n + 1 end
end
if n >= tonumber(ARGV[2]) then return -1 end
if cur == '' then cur = ARGV[1] else cur = cur .. '\n' .. ARGV[1] end
redis.call('HSET', KEYS[1], ARGV[3], cur)
return n + 1
`)

// AddProblemPhoto appends a photo (the rest of an album whose first
// photo's caption reported the problem). It reports false when the
// problem already has max photos.
func (db *DB) AddProblemPhoto(ctx context.Context, id int64, fileID string, max int) (bool, error) {
	return db.addPhoto(ctx, db.keyProblem(id), pfPhotos, fileID, max)
}

func (db *DB) addPhoto(ctx context.Context, key, field, fileID string, max int) (bool, error) {
	n, err := addPhotoScript.Run(ctx, db.rdb, []string{key}, fileID, max, field).Int()
	if err != nil {
		return false, wrap(err)
	}
	if n == -2 {
		return false, cadrebot.ErrNotFound
	}
	return n > 0, nil
}

// AlbumTTL is how long later photos of an album are attached to the
// problem its first photo reported; Telegram delivers an album at once.
const AlbumTTL = 10 * time.Minute

// SetAlbum remembers that media group group in chat reported problem id.
func (db *DB) SetAlbum(ctx context.Context, chat int64, group string, id int64) error {
	return wrap(db.rdb.Set(ctx, db.keyPrAlbum(chat, group), itoa(id), AlbumTTL).Err())
}

// Album returns the problem a media group reported, or 0.
func (db *DB) Album(ctx context.Context, chat int64, group string) (int64, error) {
	n, err := db.rdb.Get(ctx, db.keyPrAlbum(chat, group)).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	return n, wrap(err)
}

// MigrateProblems follows a village group that became a supergroup: its
// problems, indexes and cards point to the new chat id. It is a MigrateHook
// and, like MigrateGroup, safe to run twice.
func (db *DB) MigrateProblems(ctx context.Context, from, to int64) error {
	ids, _, err := db.ProblemPage(ctx, cadrebot.VillageProblems(from, false), 0, 0)
	if err != nil {
		return err
	}
	ps, err := db.Problems(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ps {
		old := ps[i]
		p := old
		p.VillageChat = to
		w := db.newWrite(p.ID)
		w.put(&old, &p)
		if _, err := w.run(ctx, "", nil); err != nil {
			return err
		}
	}
	// A department chat that migrated: its open cards move with it.
	open, _, err := db.ProblemPage(ctx, cadrebot.OpenProblems, 0, 0)
	if err != nil {
		return err
	}
	ops, err := db.Problems(ctx, open)
	if err != nil {
		return err
	}
	for _, p := range ops {
		msg, ok := p.Cards[from]
		if !ok {
			continue
		}
		w := db.newWrite(p.ID)
		w.hset(pfCard+itoa(to), strconv.Itoa(msg)+":"+p.CardDepts[from])
		w.hsetOn(db.keyPrCardMsgs(), itoa(to)+":"+strconv.Itoa(msg), w.member())
		if _, err := w.run(ctx, "", nil); err != nil {
			return err
		}
		if err := wrap(db.rdb.HDel(ctx, db.keyProblem(p.ID), pfCard+itoa(from)).Err()); err != nil {
			return err
		}
	}
	return nil
}

// ProblemsFinished lists the problems resolved (or closed without a
// resolution) in [from, to), whenever they were reported: one round trip.
func (db *DB) ProblemsFinished(ctx context.Context, from, to time.Time) ([]int64, error) {
	return db.byScore(ctx, db.keyPrFinished(), itoa(from.Unix()), "("+itoa(to.Unix()))
}

// finishedBatch bounds one pipeline of the finished index's backfill.
const finishedBatch = 1000

// IndexFinished builds the index of finished problems (fin) for problems
// finished before the index existed, once per deployment: every problem
// that is not open is read (status, resolution and closing times) and
// added with ZADD NX, so a score the transition script wrote meanwhile
// wins. A problem reopened while this runs may be left in the index;
// readers check the status anyway. One round trip per 1,000 problems,
// then a marker so later starts skip it.
func (db *DB) IndexFinished(ctx context.Context) (int, error) {
	built, err := db.rdb.Exists(ctx, db.keyPrFinishedBuilt()).Result()
	if err != nil {
		return 0, wrap(err)
	}
	if built > 0 {
		return 0, nil
	}
	var all, open *redis.StringSliceCmd
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.ZRange(ctx, db.keyPrAll(), 0, -1)
		open = p.ZRange(ctx, db.keyPrOpen(), 0, -1)
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	isOpen := make(map[string]bool, len(open.Val()))
	for _, id := range open.Val() {
		isOpen[id] = true
	}
	var ids []string
	for _, id := range all.Val() {
		if !isOpen[id] {
			ids = append(ids, id)
		}
	}
	added := 0
	for start := 0; start < len(ids); start += finishedBatch {
		batch := ids[start:min(start+finishedBatch, len(ids))]
		cmds := make([]*redis.SliceCmd, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range batch {
				n, _ := strconv.ParseInt(id, 10, 64)
				cmds[i] = p.HMGet(ctx, db.keyProblem(n), pfStatus, pfResolved, pfClosed)
			}
			return nil
		})
		if err != nil {
			return added, wrap(err)
		}
		var zs []redis.Z
		for i, c := range cmds {
			v := c.Val()
			if len(v) != 3 {
				continue
			}
			st, _ := v[0].(string)
			ra, _ := v[1].(string)
			ca, _ := v[2].(string)
			p := cadrebot.Problem{Status: cadrebot.Status(st), ResolvedAt: parseUnix(ra), ClosedAt: parseUnix(ca)}
			if !p.Status.Done() || finishedAt(&p).IsZero() {
				continue
			}
			zs = append(zs, redis.Z{Score: float64(finishedAt(&p).Unix()), Member: batch[i]})
		}
		if len(zs) > 0 {
			if err := db.rdb.ZAddNX(ctx, db.keyPrFinished(), zs...).Err(); err != nil {
				return added, wrap(err)
			}
			added += len(zs)
		}
	}
	return added, wrap(db.rdb.Set(ctx, db.keyPrFinishedBuilt(), "1", 0).Err())
}
