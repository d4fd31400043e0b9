package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// newTestDB connects to REDIS_URL under a fresh prefix whose keys are
// deleted after the test.
func newTestDB(t testing.TB) *DB {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	rdb, err := Dial(Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v (run the tests with `make test`, which starts one)", url, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "cadrebot-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		it := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for it.Next(ctx) {
			rdb.Del(ctx, it.Val())
		}
		rdb.Close()
	})
	return New(rdb, prefix)
}

// warm loads the scripts, whose first EVALSHA costs a NOSCRIPT round
// trip; steady state is what the tests measure.
func warm(t testing.TB, db *DB) {
	t.Helper()
	if _, err := db.Checkin(context.Background(), ciWrite(-1, wang, time.Unix(0, 0), "")); err != nil {
		t.Fatal(err)
	}
}

// roundTrips counts round trips like Stats, minus the HELLO/CLIENT
// pipelines go-redis sends on each new connection (the pool dials in the
// background, which would make counts racy).
type roundTrips struct{ n atomic.Int64 }

func countRoundTrips(db *DB) *roundTrips {
	rt := &roundTrips{}
	db.rdb.AddHook(rt)
	return rt
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || (cmds[0].Name() != "hello" && cmds[0].Name() != "client") {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

var (
	testCal     = calendar.New(calendar.Overrides{})
	wang        = cadrebot.Member{UserID: 1001, Name: "王芳"}
	li          = cadrebot.Member{UserID: 1002, Name: "李强"}
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
)

func ciWrite(chat int64, m cadrebot.Member, at time.Time, note string) attendance.CheckinWrite {
	return attendance.CheckinWrite{Chat: chat, Member: m, Day: calendar.DateOf(at.In(shanghai)), Minute: cadrebot.MinuteOf(at.In(shanghai)), Note: note,
		DetailTTL: 400 * 24 * time.Hour, BoardInterval: 5 * time.Second}
}

func TestCheckinOneRoundTrip(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -100
	at := time.Date(2026, 11, 30, 8, 31, 0, 0, shanghai)
	warm(t, db)
	rts := countRoundTrips(db)

	rt := rts.n.Load()
	res, err := db.Checkin(ctx, ciWrite(chat, wang, at, "在村委会 <b>&amp;"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rts.n.Load() - rt; got != 1 {
		t.Errorf("round trips per check-in = %d, want 1", got)
	}
	if res.Index != 0 || res.Again || !res.BoardCreate || !res.BoardDue {
		t.Errorf("first check-in = %+v, want index 0, new, creating the board, board due", res)
	}
	if n, _ := attendance.Streak(testCal, res.Row(), calendar.DateOf(at.In(shanghai))); n != 1 {
		t.Errorf("streak = %d, want 1", n)
	}

	// The same day again: the note changes, the time and the count do not.
	res, err = db.Checkin(ctx, ciWrite(chat, wang, at.Add(time.Hour), "走访"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Again || res.BoardDue || res.BoardCreate {
		t.Errorf("second check-in = %+v, want again, debounced, board already claimed", res)
	}
	res, err = db.Checkin(ctx, ciWrite(chat, li, at.Add(time.Minute), ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != 1 || res.Again {
		t.Errorf("Li = %+v, want index 1", res)
	}

	day, err := db.CheckinDay(ctx, chat, calendar.DateOf(at.In(shanghai)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]cadrebot.Checkin{
		wang.UserID: {UserID: wang.UserID, Minute: 8*60 + 31, Note: "走访"},
		li.UserID:   {UserID: li.UserID, Minute: 8*60 + 32},
	}
	if diff := cmp.Diff(want, day.Details); diff != "" {
		t.Errorf("Details (-want +got):\n%s", diff)
	}
	if len(day.Period.Roster) != 2 || day.Period.Roster[0].Name != "王芳" || day.Period.Roster[1].Index != 1 {
		t.Errorf("the check-in did not put both on the roster: %+v", day.Period.Roster)
	}
	g := attendance.Rates(testCal, &attendance.Period{Chat: chat, From: day.Date, To: day.Date,
		Roster: day.Period.Roster, Bits: day.Period.Bits})
	if g.Present != 2 || g.Expected != 2 {
		t.Errorf("rates = %d/%d, want 2/2", g.Present, g.Expected)
	}
}

func TestCheckinNoteIntact(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
	note := `<b>&amp; *bold* _x_ [link](http://a/b) "q" \ / 中文`
	if _, err := db.Checkin(ctx, ciWrite(-1, wang, at, note)); err != nil {
		t.Fatal(err)
	}
	day, err := db.CheckinDay(ctx, -1, calendar.DateOf(at.In(shanghai)))
	if err != nil {
		t.Fatal(err)
	}
	if got := day.Details[wang.UserID].Note; got != note {
		t.Errorf("note = %q, want %q", got, note)
	}
}

func TestCheckinDayBoundaryAndYears(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -200
	late := time.Date(2025, 12, 31, 23, 59, 0, 0, shanghai)
	early := time.Date(2026, 1, 1, 0, 1, 0, 0, shanghai)
	if _, err := db.Checkin(ctx, ciWrite(chat, wang, late, "")); err != nil {
		t.Fatal(err)
	}
	w := ciWrite(chat, wang, early, "")
	w.PrevYear = true
	res, err := db.Checkin(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if res.Again {
		t.Error("00:01 counted as the same day as 23:59")
	}
	if !res.Row().Loaded(2025) || !res.Row().Checked(calendar.MustParseDate("2025-12-31")) || !res.Row().Checked(calendar.MustParseDate("2026-01-01")) {
		t.Error("the check-in's row lacks one of the two days")
	}
	p, err := db.CheckinPeriods(ctx, []int64{chat}, calendar.MustParseDate("2025-12-31"), calendar.MustParseDate("2026-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	row := p[chat].Row(p[chat].Roster[0])
	if !row.Checked(calendar.MustParseDate("2025-12-31")) || !row.Checked(calendar.MustParseDate("2026-01-01")) ||
		row.Checked(calendar.MustParseDate("2025-12-30")) {
		t.Error("period rows disagree with the check-ins")
	}
}

func TestCheckinOffSite(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -300
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, shanghai)
	w := ciWrite(chat, wang, at, "")
	w.Where, w.OffSite = &cadrebot.Point{Lat: 30.5, Lon: 120.5}, true
	if _, err := db.Checkin(ctx, w); err != nil {
		t.Fatal(err)
	}
	w2 := ciWrite(chat, li, at, "")
	w2.Where = &cadrebot.Point{Lat: 30.2741, Lon: 120.1551}
	if _, err := db.Checkin(ctx, w2); err != nil {
		t.Fatal(err)
	}
	day, err := db.CheckinDay(ctx, chat, calendar.DateOf(at.In(shanghai)))
	if err != nil {
		t.Fatal(err)
	}
	if c := day.Details[wang.UserID]; !c.OffSite || c.Where == nil || c.Where.Lat != 30.5 {
		t.Errorf("Wang = %+v, want off-site at 30.5", c)
	}
	if c := day.Details[li.UserID]; c.OffSite || c.Where == nil || c.Where.Lon != 120.1551 {
		t.Errorf("Li = %+v, want on site with coordinates", c)
	}
	wr, lr := day.Period.Row(day.Period.Roster[0]), day.Period.Row(day.Period.Roster[1])
	if !wr.OffSite(day.Date) || lr.OffSite(day.Date) {
		t.Error("off-site bits wrong")
	}
	// A group with no off-site check-in has no off-site key.
	w3 := ciWrite(-301, li, at, "")
	w3.Where = &cadrebot.Point{Lat: 1, Lon: 1}
	if _, err := db.Checkin(ctx, w3); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.rdb.Exists(ctx, db.keyOffsite(-301, 2026)).Result(); n != 0 {
		t.Error("an off-site bitmap was created without an off-site check-in")
	}
}

func TestCheckinPeriodsBatches(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, shanghai)
	chats := make([]int64, 600)
	for i := range chats {
		chats[i] = int64(-10000 - i)
	}
	for _, c := range chats[:3] {
		if _, err := db.Checkin(ctx, ciWrite(c, wang, at, "")); err != nil {
			t.Fatal(err)
		}
	}
	warm(t, db)
	rts := countRoundTrips(db)
	rt := rts.n.Load()
	ps, err := db.CheckinPeriods(ctx, chats, calendar.MustParseDate("2026-11-01"), calendar.MustParseDate("2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rts.n.Load() - rt; got != 3 {
		t.Errorf("round trips for 600 groups = %d, want 3", got)
	}
	if len(ps) != 600 || len(ps[chats[0]].Roster) != 1 || len(ps[chats[599]].Roster) != 0 {
		t.Errorf("periods: %d, first roster %d", len(ps), len(ps[chats[0]].Roster))
	}
	if g := attendance.Rates(testCal, ps[chats[0]]); g.Members[0].CheckedIn != 1 {
		t.Errorf("rates = %+v", g.Members[0])
	}
}

func TestUpdateLeave(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -400
	d := calendar.MustParseDate
	set := func(l attendance.Leave) func(attendance.Leaves) (attendance.Leaves, error) {
		return func(cur attendance.Leaves) (attendance.Leaves, error) { return cur.Set(l), nil }
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			day := d("2026-12-01").AddDays(2 * i)
			if err := db.UpdateLeave(ctx, chat, wang.UserID, set(attendance.Leave{From: day, To: day, Kind: cadrebot.LeaveAbsence})); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ls, err := db.MemberLeaves(ctx, chat, wang.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 10 {
		t.Errorf("concurrent updates kept %d ranges, want 10: %v", len(ls), ls)
	}
	refused := errors.New("over the cap")
	err = db.UpdateLeave(ctx, chat, wang.UserID, func(attendance.Leaves) (attendance.Leaves, error) { return nil, refused })
	if !errors.Is(err, refused) {
		t.Errorf("UpdateLeave error = %v, want fn's", err)
	}
	if err := db.UpdateLeave(ctx, chat, wang.UserID, func(attendance.Leaves) (attendance.Leaves, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	all, err := db.Leaves(ctx, chat)
	if err != nil || len(all) != 0 {
		t.Errorf("Leaves after clearing = %v, %v", all, err)
	}
}

func TestCountReminders(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	day := calendar.MustParseDate("2026-11-30")
	for round, want := range [][]int64{{1, 2}, {1, 2}, {}} {
		got, err := db.CountReminders(ctx, -500, day, []int64{1, 2}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("round %d: allowed %v, want %v", round, got, want)
		}
	}
	// Another day starts afresh.
	if got, _ := db.CountReminders(ctx, -500, day.AddDays(1), []int64{1}, 2); len(got) != 1 {
		t.Errorf("next day allowed %v", got)
	}
}

func TestBoardClaim(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	day := calendar.MustParseDate("2026-11-30")
	if ok, err := db.ClaimBoard(ctx, -600, day); !ok || err != nil {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, _ := db.ClaimBoard(ctx, -600, day); ok {
		t.Error("second claim succeeded")
	}
	// The check-in script sees the claim too.
	if res, err := db.Checkin(ctx, ciWrite(-600, wang, day.Time(shanghai).Add(9*time.Hour), "")); err != nil || res.BoardCreate {
		t.Errorf("check-in after the claim = %+v, %v; want no creation", res, err)
	}
	d, _ := db.BoardDay(ctx, -600, day)
	if n, _ := db.rdb.Exists(ctx, db.keyBoardDebounce(-600)).Result(); n != 0 {
		t.Error("BoardDay left the debounce in place")
	}
	if !d.BoardPending || d.Board != 0 {
		t.Errorf("pending board = %+v", d)
	}
	if err := db.SetBoard(ctx, -600, day, 77); err != nil {
		t.Fatal(err)
	}
	d, _ = db.CheckinDay(ctx, -600, day)
	if d.BoardPending || d.Board != 77 {
		t.Errorf("board = %d pending %v, want 77", d.Board, d.BoardPending)
	}
}

func TestCheckinStoresOnlyWhatIsThere(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -700
	at := time.Date(2026, 11, 30, 9, 5, 0, 0, shanghai)
	day := calendar.DateOf(at)
	for i := range 20 {
		if _, err := db.AddMember(ctx, chat, cadrebot.Member{UserID: int64(2000 + i), Name: "干部"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Checkin(ctx, ciWrite(chat, cadrebot.Member{UserID: 2000}, at, "")); err != nil {
		t.Fatal(err)
	}
	// No note, no location: nothing in the day's notes.
	if n, _ := db.rdb.Exists(ctx, db.keyCheckinNotes(chat, day)).Result(); n != 0 {
		t.Error("a check-in without a note or location wrote a note")
	}
	// The year's flags are written at their full size at once: 20 rows,
	// rounded up to whole groups of 8.
	if n, _ := db.rdb.StrLen(ctx, db.keyCheckins(chat, 2026)).Result(); n != 24*attendance.RowBytes {
		t.Errorf("flags are %d bytes, want %d", n, 24*attendance.RowBytes)
	}
	if n, _ := db.rdb.StrLen(ctx, db.keyCheckinTimes(chat, day)).Result(); n != 40 {
		t.Errorf("times are %d bytes, want 40", n)
	}
	if ttl, _ := db.rdb.TTL(ctx, db.keyCheckinTimes(chat, day)).Result(); ttl < 399*24*time.Hour {
		t.Errorf("times expire in %s, want the detail TTL", ttl)
	}
	// A member who joins later gets a row: the bitmap grows to fit.
	if _, err := db.Checkin(ctx, ciWrite(chat, cadrebot.Member{UserID: 3000, Name: "新人"}, at.Add(time.Minute), "")); err != nil {
		t.Fatal(err)
	}
	d, err := db.CheckinDay(ctx, chat, day)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Details[3000]; c.Minute != 9*60+6 || c.Clock() != "09:06" {
		t.Errorf("late member's check-in = %+v", c)
	}
	if c := d.Details[2000]; c.Minute != 9*60+5 || c.Note != "" || c.Where != nil {
		t.Errorf("first check-in = %+v", c)
	}
	if len(d.Details) != 2 {
		t.Errorf("details of %d members, want the 2 who checked in", len(d.Details))
	}
	if n, _ := db.rdb.StrLen(ctx, db.keyCheckins(chat, 2026)).Result(); n != 24*attendance.RowBytes {
		t.Errorf("flags are %d bytes after a 21st member, want the same %d", n, 24*attendance.RowBytes)
	}
	// A 25th starts the next 8.
	for i := range 4 {
		if _, err := db.Checkin(ctx, ciWrite(chat, cadrebot.Member{UserID: int64(4000 + i), Name: "新人"}, at.Add(2*time.Minute), "")); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := db.rdb.StrLen(ctx, db.keyCheckins(chat, 2026)).Result(); n != 32*attendance.RowBytes {
		t.Errorf("flags are %d bytes after a 25th member, want %d", n, 32*attendance.RowBytes)
	}
}
