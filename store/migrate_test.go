package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/store"
)

// The migration tests build an old group and a new supergroup that already
// got some traffic before the migration was handled, merge them, and check
// every kind of key against the rule in store/migrate.go.

const (
	migFrom = int64(-2001)
	migTo   = int64(-1002001)
)

var (
	migFriday = calendar.Date{Year: 2026, Month: 11, Day: 27} // in the old group
	migMonday = calendar.Date{Year: 2026, Month: 11, Day: 30} // in the new group
	migWang   = cadrebot.Member{UserID: 11, Name: "王芳"}
	migLi     = cadrebot.Member{UserID: 12, Name: "李强"}
	migZhang  = cadrebot.Member{UserID: 13, Name: "张伟"} // left the old roster; keeps an index
	migT0     = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
)

func migCheckin(t *testing.T, db *store.DB, chat int64, m cadrebot.Member, day calendar.Date, minute int, note string) attendance.CheckinResult {
	t.Helper()
	res, err := db.Checkin(context.Background(), attendance.CheckinWrite{Chat: chat, Member: m, Day: day, Minute: minute,
		Note: note, DetailTTL: 400 * 24 * time.Hour, BoardInterval: time.Second})
	if err != nil {
		t.Fatalf("Checkin(%d, %s): %v", chat, m.Name, err)
	}
	return res
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setupMigration fills the old group and the new one.
func setupMigration(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	str := func(s string) *string { return &s }
	// The old group: set up long ago, three cadres (Zhang has left since).
	_, err := db.Admit(ctx, store.Admission{Chat: migFrom, IsGroup: true, Title: "谢家坞村工作群", Now: migT0})
	must(t, err)
	must(t, db.UpdateGroup(ctx, migFrom, cadrebot.GroupPatch{Village: str("谢家坞村"), Town: str("平水镇"), Lang: str("en"),
		Schedule: map[string]string{"checkin_reminder": "0 9 * * 1-5"}}))
	for _, m := range []cadrebot.Member{migWang, migLi, migZhang} {
		_, err := db.AddMember(ctx, migFrom, m)
		must(t, err)
	}
	migCheckin(t, db, migFrom, migWang, migFriday, 8*60+1, "入户走访")
	migCheckin(t, db, migFrom, migLi, migFriday, 8*60+30, "")
	migCheckin(t, db, migFrom, migZhang, migFriday, 9*60, "")
	_, err = db.RemoveMember(ctx, migFrom, migZhang.UserID)
	must(t, err)
	must(t, db.UpdateLeave(ctx, migFrom, migLi.UserID, func(attendance.Leaves) (attendance.Leaves, error) {
		return attendance.Leaves{{From: calendar.Date{Year: 2026, Month: 12, Day: 1}, To: calendar.Date{Year: 2026, Month: 12, Day: 3},
			Kind: cadrebot.LeaveAbsence}}, nil
	}))
	must(t, db.SaveForm(ctx, migFrom, migWang.UserID, store.FormReport, []byte("old wang"), time.Hour))
	must(t, db.SaveForm(ctx, migFrom, migLi.UserID, store.FormReport, []byte("old li"), time.Hour))
	_, err = db.CountReminders(ctx, migFrom, migMonday, []int64{migWang.UserID}, 2)
	must(t, err)

	// The new supergroup, before the migration is handled: an admin's
	// stopgap /setup (no town), and Li checks in there first.
	_, err = db.Admit(ctx, store.Admission{Chat: migTo, IsGroup: true, Title: "谢家坞村工作群（新）", Now: migT0.AddDate(0, 11, 0)})
	must(t, err)
	must(t, db.UpdateGroup(ctx, migTo, cadrebot.GroupPatch{Village: str("谢家坞"), Town: str("")}))
	if res := migCheckin(t, db, migTo, migLi, migMonday, 8*60+5, "新群打卡"); res.Index != 0 {
		t.Fatalf("Li's index in the new group = %d, want 0", res.Index)
	}
	must(t, db.UpdateLeave(ctx, migTo, migLi.UserID, func(attendance.Leaves) (attendance.Leaves, error) {
		return attendance.Leaves{{From: calendar.Date{Year: 2026, Month: 12, Day: 2}, To: calendar.Date{Year: 2026, Month: 12, Day: 5},
			Kind: cadrebot.LeaveTrip}}, nil
	}))
	must(t, db.SaveForm(ctx, migTo, migLi.UserID, store.FormReport, []byte("new li"), time.Hour))
}

// migState is what the merged group holds, as the features read it.
type migState struct {
	Group          *cadrebot.Group
	Roster         []cadrebot.Member
	Friday, Monday map[int64]cadrebot.Checkin
	Leaves         map[int64]attendance.Leaves
	Forms          map[int64]string
}

func readMigState(t *testing.T, db *store.DB) migState {
	t.Helper()
	ctx := context.Background()
	var s migState
	var err error
	s.Group, err = db.Group(ctx, migTo)
	must(t, err)
	s.Roster, err = db.Roster(ctx, migTo)
	must(t, err)
	fri, err := db.CheckinDay(ctx, migTo, migFriday)
	must(t, err)
	mon, err := db.CheckinDay(ctx, migTo, migMonday)
	must(t, err)
	s.Friday, s.Monday = fri.Details, mon.Details
	s.Leaves, err = db.Leaves(ctx, migTo)
	must(t, err)
	s.Forms = map[int64]string{}
	for _, m := range []cadrebot.Member{migWang, migLi} {
		b, err := db.Form(ctx, migTo, m.UserID, store.FormReport)
		must(t, err)
		s.Forms[m.UserID] = string(b)
	}
	return s
}

func checkMigrated(t *testing.T, db *store.DB) migState {
	t.Helper()
	ctx := context.Background()
	s := readMigState(t, db)
	g := s.Group
	// Settings: the old group's win; the title is the new chat's; created
	// is the old group's.
	if g.Village != "谢家坞村" || g.Town != "平水镇" || g.Lang != "en" || g.Schedules["checkin_reminder"] != "0 9 * * 1-5" ||
		g.Title != "谢家坞村工作群（新）" || !g.Created.Equal(migT0) {
		t.Errorf("merged group = %+v", g)
	}
	// Li keeps the index the new chat gave her; the old members follow in
	// their old order.
	wantRoster := []cadrebot.Member{{UserID: migLi.UserID, Name: "李强", Index: 0}, {UserID: migWang.UserID, Name: "王芳", Index: 1}}
	if d := cmp.Diff(wantRoster, s.Roster); d != "" {
		t.Errorf("merged roster (-want +got):\n%s", d)
	}
	wantFri := map[int64]cadrebot.Checkin{
		migWang.UserID: {UserID: migWang.UserID, Minute: 8*60 + 1, Note: "入户走访"},
		migLi.UserID:   {UserID: migLi.UserID, Minute: 8*60 + 30},
	}
	if d := cmp.Diff(wantFri, s.Friday); d != "" {
		t.Errorf("Friday in the old group, after the merge (-want +got):\n%s", d)
	}
	wantMon := map[int64]cadrebot.Checkin{migLi.UserID: {UserID: migLi.UserID, Minute: 8*60 + 5, Note: "新群打卡"}}
	if d := cmp.Diff(wantMon, s.Monday); d != "" {
		t.Errorf("Monday's check-in made in the new chat before the merge (-want +got):\n%s", d)
	}
	wantLeave := attendance.Leaves{
		{From: calendar.Date{Year: 2026, Month: 12, Day: 1}, To: calendar.Date{Year: 2026, Month: 12, Day: 1}, Kind: cadrebot.LeaveAbsence},
		{From: calendar.Date{Year: 2026, Month: 12, Day: 2}, To: calendar.Date{Year: 2026, Month: 12, Day: 5}, Kind: cadrebot.LeaveTrip},
	}
	if d := cmp.Diff(wantLeave, s.Leaves[migLi.UserID]); d != "" {
		t.Errorf("Li's leave (-want +got):\n%s", d)
	}
	if s.Forms[migWang.UserID] != "old wang" || s.Forms[migLi.UserID] != "new li" {
		t.Errorf("forms = %v; want the old one where the new chat had none, the new one otherwise", s.Forms)
	}
	// Zhang left the roster but keeps his index and history: checking in
	// again gives him his old row back.
	res := migCheckin(t, db, migTo, migZhang, migMonday, 10*60, "")
	if res.Index != 2 || !res.Row().Checked(migFriday) {
		t.Errorf("Zhang after the merge: index %d, Friday checked %v; want index 2 with Friday", res.Index, res.Row().Checked(migFriday))
	}
	if _, err := db.RemoveMember(ctx, migTo, migZhang.UserID); err != nil {
		t.Fatal(err)
	}
	// Reminders counted in the old chat still count.
	if got, err := db.CountReminders(ctx, migTo, migMonday, []int64{migWang.UserID}, 1); err != nil || len(got) != 0 {
		t.Errorf("CountReminders after the merge = %v, %v; want Wang at his limit already", got, err)
	}
	// Nothing is left under the old id, and everything points at the new.
	if _, err := db.Group(ctx, migFrom); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("old group still there: %v", err)
	}
	if moved, err := db.Moved(ctx, migFrom); err != nil || moved != migTo {
		t.Errorf("Moved = %d, %v", moved, err)
	}
	moves, err := db.ChatMoves(ctx)
	if err != nil || moves.Chat(migFrom) != migTo || moves.Chat(migTo) != migTo {
		t.Errorf("ChatMoves = %v, %v", moves, err)
	}
	ids, err := db.GroupIDs(ctx)
	if err != nil || len(ids) != 1 || ids[0] != migTo {
		t.Errorf("GroupIDs = %v, %v; want only the new chat", ids, err)
	}
	return readMigState(t, db)
}

func testMigrationMerge(t *testing.T, db *store.DB) {
	ctx := context.Background()
	setupMigration(t, db)
	must(t, db.MigrateGroup(ctx, migFrom, migTo))
	first := checkMigrated(t, db)
	// The second announcement runs it again: nothing changes.
	must(t, db.MigrateGroup(ctx, migFrom, migTo))
	if d := cmp.Diff(first, readMigState(t, db)); d != "" {
		t.Errorf("a second run changed the group (-first +second):\n%s", d)
	}
}

func testMigrationConcurrent(t *testing.T, db *store.DB) {
	setupMigration(t, db)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() { errs <- db.MigrateGroup(context.Background(), migFrom, migTo) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	checkMigrated(t, db)
}

func TestMigrationMerge(t *testing.T)      { testMigrationMerge(t, outboxDB(t, false)) }
func TestMigrationConcurrent(t *testing.T) { testMigrationConcurrent(t, outboxDB(t, false)) }

// A department moved to another chat with /bind stays there when its old
// chat migrates; one still bound to the migrating chat follows it.
func TestMigrationDepartmentBindings(t *testing.T) {
	db := outboxDB(t, false)
	ctx := context.Background()
	_, err := db.Admit(ctx, store.Admission{Chat: migFrom, IsGroup: true, Title: "交通运输局", Now: migT0})
	must(t, err)
	must(t, db.BindDepartment(ctx, "traffic", migFrom))
	must(t, db.BindDepartment(ctx, "water", migFrom))
	must(t, db.BindDepartment(ctx, "traffic", -3001))
	if g, err := db.Group(ctx, migFrom); err != nil || g.Dept != "water" {
		t.Fatalf("old chat after /bind traffic elsewhere: %+v, %v; want dept water", g, err)
	}
	must(t, db.BindDepartment(ctx, "water", -3002))
	if g, err := db.Group(ctx, migFrom); err != nil || g.Dept != "" {
		t.Fatalf("old chat after both departments moved: %+v, %v; want no dept", g, err)
	}
	must(t, db.BindDepartment(ctx, "county", migFrom))
	must(t, db.MigrateGroup(ctx, migFrom, migTo))
	got, err := db.DepartmentChats(ctx)
	must(t, err)
	want := map[string]int64{"traffic": -3001, "water": -3002, "county": migTo}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("bindings after the migration (-want +got):\n%s", d)
	}
}
