package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

func day(s string) calendar.Date { return calendar.MustParseDate(s) }

// TestServicePeriods: /join starts a period, a second /join records its
// details, leaving ends it on the last day served, coming back starts
// another, and a check-in from someone off the roster starts one too.
func TestServicePeriods(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -300
	res, err := db.Join(ctx, attendance.JoinWrite{Chat: chat, Member: wang, Day: day("2026-11-02")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Started || res.Already {
		t.Errorf("first join = %+v, want started", res)
	}
	res, err = db.Join(ctx, attendance.JoinWrite{Chat: chat, Member: wang, Day: day("2026-11-05"), Batch: "第19批", Home: "柯桥区农业农村局"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Started || !res.Already {
		t.Errorf("second join = %+v, want the same period", res)
	}
	// Checked in on the day she leaves: that day is still hers.
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, shanghai)
	if _, err := db.Checkin(ctx, ciWrite(chat, wang, at, "")); err != nil {
		t.Fatal(err)
	}
	s, ok, err := db.EndService(ctx, attendance.Departure{Chat: chat, Member: wang, Day: day("2026-12-04"), Why: attendance.EndLeft})
	if err != nil || !ok {
		t.Fatalf("EndService = %v, %v", ok, err)
	}
	want := attendance.Service{From: day("2026-11-02"), To: day("2026-12-04"), Batch: "第19批", Home: "柯桥区农业农村局", Ended: attendance.EndLeft}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("ended period (-want +got):\n%s", diff)
	}
	if _, ok, _ := db.EndService(ctx, attendance.Departure{Chat: chat, Member: wang, Day: day("2026-12-05")}); ok {
		t.Error("a second departure ended something")
	}
	// Back by checking in: a new period from that day.
	if _, err := db.Checkin(ctx, ciWrite(chat, wang, time.Date(2027, 1, 4, 9, 0, 0, 0, shanghai), "")); err != nil {
		t.Fatal(err)
	}
	// Li leaves the day he joined without checking in: no day at all.
	if _, err := db.Join(ctx, attendance.JoinWrite{Chat: chat, Member: li, Day: day("2026-12-07")}); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := db.EndService(ctx, attendance.Departure{Chat: chat, Member: li, Day: day("2026-12-07"), Why: attendance.EndRemoved}); s.Overlaps(day("2026-12-01"), day("2026-12-31")) {
		t.Errorf("Li's period = %+v, want empty", s)
	}
	p, err := db.Service(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Service[wang.UserID]
	if len(got) != 2 || got[1].From != day("2027-01-04") || !got[1].Serving() || got[0].To != day("2026-12-04") {
		t.Errorf("Wang's periods = %+v", got)
	}
	if len(p.Roster) != 1 || len(p.Former) != 1 || p.Former[0].UserID != li.UserID || p.Former[0].Name != "李强" || p.Former[0].Index != 1 {
		t.Errorf("roster %+v, former %+v; want Wang on it, Li former with index 1", p.Roster, p.Former)
	}
}

// TestServiceLegacyRoster: a roster from before periods were kept serves
// from the group's creation, in the rates and when someone leaves.
func TestServiceLegacyRoster(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const chat = -301
	created := time.Date(2026, 11, 18, 0, 30, 0, 0, shanghai) // 2026-11-17 in UTC
	if err := db.rdb.HSet(ctx, db.keyGroup(chat), fCreated, created.Unix(), fVillage, "东山村").Err(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []cadrebot.Member{wang, li} {
		if _, err := db.AddMember(ctx, chat, m); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := db.CheckinPeriods(ctx, []int64{chat}, day("2026-11-01"), day("2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	g := attendance.Rates(testCal, ps[chat])
	// 11-18 (Wed) to 11-30 (Mon): 9 workdays, not the month's 21.
	if len(g.Members) != 2 || g.Members[0].Workdays != 9 {
		t.Fatalf("legacy members = %+v, want 9 workdays each from the creation day", g.Members)
	}
	s, ok, err := db.EndService(ctx, attendance.Departure{Chat: chat, Member: li, Day: day("2026-12-02"), Why: attendance.EndRemoved, Created: day("2026-11-18")})
	if err != nil || !ok || s.From != day("2026-11-18") || s.To != day("2026-12-01") {
		t.Errorf("legacy departure = %+v %v %v, want 11-18 to 12-01", s, ok, err)
	}
	// A legacy member's /join records the details on the period from the
	// creation, not on a new one.
	res, err := db.Join(ctx, attendance.JoinWrite{Chat: chat, Member: wang, Day: day("2026-12-03"), Batch: "第19批", Created: day("2026-11-18")})
	if err != nil || res.Started {
		t.Fatalf("legacy join = %+v, %v", res, err)
	}
	p, err := db.Service(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Service[wang.UserID]; len(got) != 1 || got[0].From != day("2026-11-18") || got[0].Batch != "第19批" {
		t.Errorf("Wang = %+v", got)
	}
}

// TestServiceMergesOnMigration: a group that becomes a supergroup keeps
// the periods of both chats.
func TestServiceMergesOnMigration(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const from, to = -302, -1000302
	if _, err := db.Join(ctx, attendance.JoinWrite{Chat: from, Member: wang, Day: day("2026-11-02"), Batch: "第19批"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.EndService(ctx, attendance.Departure{Chat: from, Member: wang, Day: day("2026-11-20")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Join(ctx, attendance.JoinWrite{Chat: from, Member: wang, Day: day("2026-11-25")}); err != nil {
		t.Fatal(err)
	}
	// Li joined the new chat before the merge.
	if _, err := db.Join(ctx, attendance.JoinWrite{Chat: to, Member: li, Day: day("2026-12-01")}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: a migration may run again
		if err := db.MigrateGroup(ctx, from, to); err != nil {
			t.Fatal(err)
		}
	}
	p, err := db.Service(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Service[wang.UserID]; len(got) != 2 || got[0].Batch != "第19批" || !got[1].Serving() {
		t.Errorf("Wang after the merge = %+v", got)
	}
	if got := p.Service[li.UserID]; len(got) != 1 || got[0].From != day("2026-12-01") {
		t.Errorf("Li after the merge = %+v", got)
	}
}
