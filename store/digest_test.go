package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

func digestTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// digestProblem stores a problem reported at created and moves it through
// actions, a day apart.
func digestProblem(t *testing.T, db *DB, created string, acts ...cadrebot.Action) cadrebot.Problem {
	t.Helper()
	ctx := context.Background()
	c := digestTime(created)
	p := cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: -7, Reporter: 1, Dept: "traffic", Text: "x",
		Created: c, SLA: 72 * time.Hour, Due: c.Add(72 * time.Hour)}
	if _, err := db.CreateProblem(ctx, &p, cadrebot.Entry{At: c, Action: cadrebot.ActCreate, To: p.Status}, false); err != nil {
		t.Fatal(err)
	}
	at := c
	for _, a := range acts {
		at = at.Add(24 * time.Hour)
		np, e, err := cadrebot.Transition(p, cadrebot.Change{Action: a, Roles: cadrebot.RoleDeployAdmin, Note: "n"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyProblem(ctx, p, np, e); err != nil {
			t.Fatal(err)
		}
		p = np
	}
	return p
}

func TestDigestProblems(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	old := digestProblem(t, db, "2026-06-01 10:00")                                                      // 1: long ago, still open
	digestProblem(t, db, "2026-06-02 10:00", cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActClose) // 2: long ago, done
	digestProblem(t, db, "2026-11-20 10:00", cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActClose) // 3: done before the weeks
	digestProblem(t, db, "2026-11-24 10:00")                                                             // 4: the week before
	digestProblem(t, db, "2026-12-01 10:00", cadrebot.ActAccept, cadrebot.ActResolve)                    // 5: the week
	digestProblem(t, db, "2026-12-07 10:00")                                                             // 6: after the week
	slow := digestProblem(t, db, "2026-07-01 10:00", cadrebot.ActAccept)                                 // 7: long ago...
	np, e, _ := cadrebot.Transition(slow, cadrebot.Change{Action: cadrebot.ActResolve, Roles: cadrebot.RoleDeployAdmin, Note: "n"}, digestTime("2026-12-02 10:00"))
	if err := db.ApplyProblem(ctx, slow, np, e); err != nil { // ...resolved in the week, awaiting confirmation
		t.Fatal(err)
	}
	// 8: reported half a year before, resolved in the week and confirmed
	// (closed) since: only the index of finished problems finds it.
	late := digestProblem(t, db, "2026-06-05 10:00", cadrebot.ActAccept)
	for i, a := range []cadrebot.Action{cadrebot.ActResolve, cadrebot.ActClose} {
		np, e, _ := cadrebot.Transition(late, cadrebot.Change{Action: a, Roles: cadrebot.RoleDeployAdmin, Note: "n"}, digestTime("2026-12-02 10:00").Add(time.Duration(i)*24*time.Hour))
		if err := db.ApplyProblem(ctx, late, np, e); err != nil {
			t.Fatal(err)
		}
		late = np
	}
	since, from, to := digestTime("2026-11-23 00:00"), digestTime("2026-11-30 00:00"), digestTime("2026-12-07 00:00")
	if _, err := db.DigestProblems(ctx, since, from, to); err != nil { // warm the connections
		t.Fatal(err)
	}
	before := db.Stats().RoundTrips.Load()
	ps, err := db.DigestProblems(ctx, since, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if rt := db.Stats().RoundTrips.Load() - before; rt != 2 {
		t.Errorf("DigestProblems took %d round trips, want 2", rt)
	}
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if diff := cmp.Diff([]int64{old.ID, 4, 5, 6, 7, late.ID}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	hs, err := db.Histories(ctx, []int64{5, 99})
	if err != nil {
		t.Fatal(err)
	}
	var acts []cadrebot.Action
	for _, e := range hs[5] {
		acts = append(acts, e.Action)
	}
	if !slices.Equal(acts, []cadrebot.Action{cadrebot.ActCreate, cadrebot.ActAccept, cadrebot.ActResolve}) || len(hs[99]) != 0 {
		t.Errorf("histories = %v, %v", acts, hs[99])
	}
}

// TestIndexFinished: problems finished before the index existed are added
// once; a later start leaves the index alone.
func TestIndexFinished(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	done := digestProblem(t, db, "2026-06-01 10:00", cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActClose)
	withdrawn := digestProblem(t, db, "2026-06-02 10:00", cadrebot.ActClose)
	digestProblem(t, db, "2026-06-03 10:00", cadrebot.ActAccept) // open
	// As an older build left it: no index.
	if err := db.rdb.Del(ctx, db.keyPrFinished()).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := db.IndexFinished(ctx)
	if err != nil || n != 2 {
		t.Fatalf("IndexFinished = %d, %v; want 2", n, err)
	}
	ids, err := db.ProblemsFinished(ctx, digestTime("2026-06-01 00:00"), digestTime("2026-07-01 00:00"))
	if err != nil {
		t.Fatal(err)
	}
	// Resolved 06-02 10:00 (closed a day later); withdrawn 06-03 10:00.
	if diff := cmp.Diff([]int64{done.ID, withdrawn.ID}, ids); diff != "" {
		t.Errorf("finished (-want +got):\n%s", diff)
	}
	if n, err := db.IndexFinished(ctx); err != nil || n != 0 {
		t.Errorf("second IndexFinished = %d, %v; want nothing to do", n, err)
	}
}

func TestCheckinDetails(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -8
	w := func(m cadrebot.Member, when, note string, where *cadrebot.Point, off bool) {
		at := digestTime(when)
		if _, err := db.Checkin(ctx, attendance.CheckinWrite{Chat: chat, Member: m, Day: calendar.DateOf(at), Minute: cadrebot.MinuteOf(at),
			Note: note, Where: where, OffSite: off, DetailTTL: time.Hour * 24, BoardInterval: time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	w(wang, "2026-12-01 08:31", "村委会", nil, false)
	w(li, "2026-12-01 09:05", "", &cadrebot.Point{Lat: 30.37, Lon: 120.15}, true)
	w(li, "2026-12-02 07:59", "", nil, false)
	from, to := calendar.MustParseDate("2026-11-30"), calendar.MustParseDate("2026-12-03")
	periods, err := db.CheckinPeriods(ctx, []int64{chat, -9}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.CheckinDetails(ctx, periods, from, to)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := calendar.MustParseDate("2026-12-01"), calendar.MustParseDate("2026-12-02")
	want := map[int64]map[calendar.Date]map[int64]cadrebot.Checkin{chat: {
		d1: {wang.UserID: {UserID: wang.UserID, Minute: 8*60 + 31, Note: "村委会"},
			li.UserID: {UserID: li.UserID, Minute: 9*60 + 5, Where: &cadrebot.Point{Lat: 30.37, Lon: 120.15}, OffSite: true}},
		d2: {li.UserID: {UserID: li.UserID, Minute: 7*60 + 59}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckinDetails (-want +got):\n%s", diff)
	}
}
