package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// Reads for digests, /stats and exports. They only read keys the
// check-in and problem stores write, always in pipelines whose number
// depends on the amount of data, never on the number of groups one by one.

// problemBatch bounds one pipeline of problem hashes: 1,000 hashes of a
// few hundred bytes each keep a reply well under a megabyte.
const problemBatch = 1000

// DigestProblems loads every problem a period's digests can mention, for
// the whole deployment: the ones reported in [since, to) (the period and
// the one before, for the trend), every open one whenever reported, and
// every one finished (resolved, or closed without a resolution) in
// [from, to) whenever reported, from the index of finished problems. It
// takes one round trip for the ids and one per 1,000 problems.
func (db *DB) DigestProblems(ctx context.Context, since, from, to time.Time) ([]cadrebot.Problem, error) {
	var created, open, resolved *redis.StringSliceCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		created = p.ZRangeByScore(ctx, db.keyPrCreated(), &redis.ZRangeBy{Min: itoa(since.Unix()), Max: "(" + itoa(to.Unix())})
		open = p.ZRange(ctx, db.keyPrOpen(), 0, -1)
		resolved = p.ZRangeByScore(ctx, db.keyPrFinished(), &redis.ZRangeBy{Min: itoa(from.Unix()), Max: "(" + itoa(to.Unix())})
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	ids := parseIDs(created.Val())
	ids = append(ids, parseIDs(open.Val())...)
	ids = append(ids, parseIDs(resolved.Val())...)
	slices.Sort(ids)
	return db.Problems(ctx, slices.Compact(ids))
}

// ProblemsOf loads every problem of a list (a village's, a department's),
// in one round trip for the ids and one per 1,000 problems.
func (db *DB) ProblemsOf(ctx context.Context, l cadrebot.ProblemSet) ([]cadrebot.Problem, error) {
	ids, err := db.rdb.ZRange(ctx, db.problemSet(l), 0, -1).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return db.Problems(ctx, parseIDs(ids))
}

// Histories loads the histories of many problems, oldest entry first: one
// pipelined round trip per 1,000 problems.
func (db *DB) Histories(ctx context.Context, ids []int64) (map[int64][]cadrebot.Entry, error) {
	out := make(map[int64][]cadrebot.Entry, len(ids))
	for start := 0; start < len(ids); start += problemBatch {
		batch := ids[start:min(start+problemBatch, len(ids))]
		cmds := make([]*redis.StringSliceCmd, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range batch {
				cmds[i] = p.LRange(ctx, db.keyPrHistory(id), 0, -1)
			}
			return nil
		})
		if err != nil {
			return nil, wrap(err)
		}
		for i, id := range batch {
			ss := cmds[i].Val()
			es := make([]cadrebot.Entry, 0, len(ss))
			for _, s := range ss {
				var e cadrebot.Entry
				if err := json.Unmarshal([]byte(s), &e); err != nil {
					return nil, fmt.Errorf("problem %d history: %w", id, err)
				}
				es = append(es, e)
			}
			out[id] = es
		}
	}
	return out, nil
}

// detailBatch bounds one pipeline of check-in details (two keys per
// group and day).
const detailBatch = 1000

// CheckinDetails loads the check-in times, notes and locations over
// [from, to] of the groups whose periods (CheckinPeriods) are given: chat
// -> day -> user -> check-in, for every member whose flag is set that
// day. Times and notes expire after checkin.detail_ttl; a check-in whose
// details are gone has Minute -1. One pipelined round trip per 1,000
// group-days.
func (db *DB) CheckinDetails(ctx context.Context, periods map[int64]*attendance.Period, from, to calendar.Date) (map[int64]map[calendar.Date]map[int64]cadrebot.Checkin, error) {
	type ref struct {
		chat int64
		day  calendar.Date
	}
	var refs []ref
	for c := range periods {
		for d := from; !d.After(to); d = d.AddDays(1) {
			refs = append(refs, ref{c, d})
		}
	}
	out := make(map[int64]map[calendar.Date]map[int64]cadrebot.Checkin, len(periods))
	for start := 0; start < len(refs); start += detailBatch {
		batch := refs[start:min(start+detailBatch, len(refs))]
		times := make([]*redis.StringCmd, len(batch))
		notes := make([]*redis.MapStringStringCmd, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, r := range batch {
				times[i] = p.Get(ctx, db.keyCheckinTimes(r.chat, r.day))
				notes[i] = p.HGetAll(ctx, db.keyCheckinNotes(r.chat, r.day))
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return nil, wrap(err)
		}
		for i, r := range batch {
			per := periods[r.chat]
			ts, ns := times[i].Val(), notes[i].Val()
			var users map[int64]cadrebot.Checkin
			for _, cd := range per.Cadres() {
				m := cd.Member
				row := per.Row(m)
				if !row.Checked(r.day) {
					continue
				}
				c := decodeCheckin(m, row.OffSite(r.day), ts, ns)
				if users == nil {
					users = map[int64]cadrebot.Checkin{}
				}
				users[m.UserID] = c
			}
			if users == nil {
				continue
			}
			if out[r.chat] == nil {
				out[r.chat] = map[calendar.Date]map[int64]cadrebot.Checkin{}
			}
			out[r.chat][r.day] = users
		}
	}
	return out, nil
}

// DoneMany reports which of many markers set with Once exist, in one
// pipelined round trip: the digest retry sweep checks every group's
// marker at once.
func (db *DB) DoneMany(ctx context.Context, names []string) (map[string]bool, error) {
	cmds := make([]*redis.IntCmd, len(names))
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range names {
			cmds[i] = p.Exists(ctx, db.keyOnce(n))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]bool, len(names))
	for i, n := range names {
		out[n] = cmds[i].Val() > 0
	}
	return out, nil
}
