package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// BenchmarkCheckinBytes measures what check-ins cost in Redis memory
// (MEMORY USAGE, which counts the key, its value and allocator slack) over
// a realistic dataset: 2,000 groups x 20 members x 250 workdays of 2024.
// The first detailDays days go through the real write path (the check-in
// script: flags, times, notes and locations); the other days' flags are
// set with pipelined BITFIELDs, the same bits the script would set. Every
// key lives under a bench prefix and is deleted afterwards. Figures:
// docs/benchmarks.md.
//
//	go test ./store -run '^$' -bench CheckinBytes -benchtime 1x
func BenchmarkCheckinBytes(b *testing.B) {
	const groups, members, workdays, detailDays = 2000, 20, 250, 5
	db := newTestDB(b)
	ctx := context.Background()
	// 2024 has 251 workdays (2025 and 2026 have 248): one year's bitmap.
	days := testCal.Workdays(calendar.MustParseDate("2024-01-01"), calendar.MustParseDate("2024-12-31"))
	if len(days) < workdays {
		b.Fatalf("2024 has %d workdays", len(days))
	}
	days = days[:workdays]
	chat := func(g int) int64 { return int64(-5000000 - g) }
	user := func(g, m int) int64 { return int64(900000 + g*members + m) }

	for b.Loop() {
		// Rosters, as /join writes them.
		pipe(b, db, groups, func(p redis.Pipeliner, g int) {
			for m := 0; m < members; m++ {
				p.HSet(ctx, db.keyIndex(chat(g)), itoa(user(g, m)), m)
				p.HIncrBy(ctx, db.keyIndex(chat(g)), "_seq", 1)
				mj, _ := json.Marshal(memberJSON{Name: fmt.Sprintf("干部%02d", m), Index: m})
				p.HSet(ctx, db.keyMembers(chat(g)), itoa(user(g, m)), mj)
			}
		})
		// The first days through the check-in script, from 32 clients:
		// a note for a third of the check-ins, a location for a fifth.
		for _, d := range days[:detailDays] {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1) - 1); i < groups*members; i = int(next.Add(1) - 1) {
						g, m := i/members, i%members
						w := attendance.CheckinWrite{Chat: chat(g), Member: cadrebot.Member{UserID: user(g, m), Name: "干部"}, Day: d,
							Minute: 8*60 + 30 + m, DetailTTL: 400 * 24 * time.Hour, BoardInterval: 5 * time.Second}
						if m%3 == 0 {
							w.Note = "在村委会走访农户"
						}
						if m%5 == 0 {
							w.Where = &cadrebot.Point{Lat: 30.274123, Lon: 120.155134}
						}
						if _, err := db.Checkin(ctx, w); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		}
		// The other days' flags: one BITFIELD per group per day, setting
		// the day's bit of every member.
		for _, d := range days[detailDays:] {
			pipe(b, db, groups, func(p redis.Pipeliner, g int) {
				args := []any{"BITFIELD", db.keyCheckins(chat(g), d.Year)}
				for m := 0; m < members; m++ {
					args = append(args, "SET", "u1", attendance.BitOffset(m, d), 1)
				}
				p.Do(ctx, args...)
			})
		}
	}
	b.StopTimer()

	flags := usage(b, db, groups, func(g int) string { return db.keyCheckins(chat(g), 2024) })
	times, notes := 0, 0
	for _, d := range days[:detailDays] {
		times += usage(b, db, groups, func(g int) string { return db.keyCheckinTimes(chat(g), d) })
		notes += usage(b, db, groups, func(g int) string { return db.keyCheckinNotes(chat(g), d) })
	}
	roster := usage(b, db, groups, func(g int) string { return db.keyMembers(chat(g)) }) +
		usage(b, db, groups, func(g int) string { return db.keyIndex(chat(g)) })
	checkins := float64(groups * members * workdays)
	detailed := float64(groups * members * detailDays)
	b.ReportMetric(float64(flags)/checkins, "flag-B/checkin")
	b.ReportMetric(float64(flags)/groups, "flag-B/group-year")
	b.ReportMetric(float64(times)/detailed, "time-B/checkin")
	b.ReportMetric(float64(notes)/detailed, "note-B/checkin")
	b.ReportMetric(float64(roster)/groups, "roster-B/group")
	b.Logf("flags %d B; over %d days: times %d B, notes and locations %d B; rosters %d B", flags, detailDays, times, notes, roster)
	if flags == 0 || float64(flags)/checkins >= 1 {
		b.Errorf("flags cost %.3f B per check-in, want under 1", float64(flags)/checkins)
	}
	// The data is realistic only if the check-ins are all there.
	ps, err := db.CheckinPeriods(ctx, []int64{chat(0), chat(groups - 1)}, days[0], days[workdays-1])
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range ps {
		if r := attendance.Rates(testCal, p); r.Present != members*workdays {
			b.Errorf("group %d has %d check-ins, want %d", p.Chat, r.Present, members*workdays)
		}
	}
}

// pipe runs fn for n items, 500 to a pipeline.
func pipe(b *testing.B, db *DB, n int, fn func(p redis.Pipeliner, i int)) {
	ctx := context.Background()
	for start := 0; start < n; start += 500 {
		cmds, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+500, n); i++ {
				fn(p, i)
			}
			return nil
		})
		if err != nil {
			for _, c := range cmds {
				if c.Err() != nil {
					b.Fatalf("%v: %v", c.Args(), c.Err())
				}
			}
			b.Fatal(err)
		}
	}
}

// usage sums MEMORY USAGE (all samples) over n keys.
func usage(b *testing.B, db *DB, n int, key func(int) string) int {
	ctx := context.Background()
	cmds := make([]*redis.IntCmd, n)
	pipe(b, db, n, func(p redis.Pipeliner, i int) { cmds[i] = p.MemoryUsage(ctx, key(i), 0) })
	total := 0
	for _, c := range cmds {
		total += int(c.Val())
	}
	return total
}

// BenchmarkStoreCheckin is the check-in script alone, from parallel
// clients: Redis' side of the throughput.
//
//	go test ./store -run '^$' -bench StoreCheckin -benchtime 3s
func BenchmarkStoreCheckin(b *testing.B) {
	db := newTestDB(b)
	warm(b, db)
	rts := countRoundTrips(db)
	var n atomic.Int64
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, shanghai)
	rt0 := rts.n.Load()
	b.ResetTimer()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			w := ciWrite(-int64(i%2000)-1, cadrebot.Member{UserID: 700000 + i%40000, Name: "干部"}, at.AddDate(0, 0, int(i/40000)), "在村委会")
			if _, err := db.Checkin(ctx, w); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
	b.ReportMetric(float64(rts.n.Load()-rt0)/float64(b.N), "roundtrips/checkin")
}
