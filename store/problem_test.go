package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cadrebot"
	"cadrebot/store"
)

// problemDB returns a store on the test Redis under a fresh prefix whose
// keys are deleted after the test.
func problemDB(t testing.TB) *store.DB {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	rdb, err := store.Dial(store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "cadrebot-test:" + hex.EncodeToString(b) + ":"
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return store.New(rdb, prefix)
}

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func sample() cadrebot.Problem {
	return cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: -100, Village: "谢家坞",
		Reporter: 1001, ReporterName: "王芳 <b>&", ReportMsgID: 42, Category: "parking", Dept: "traffic",
		Text: "工业园区旁没有划定停车位 <i>*bold*</i> & _x_", Photos: []string{"AgAD1", "AgAD2"},
		HasLoc: true, Lat: 30.2741, Lon: 120.1551, Address: "园区北门",
		Created: t0, Due: t0.Add(72 * time.Hour), SLA: 72 * time.Hour}
}

func create(t *testing.T, db *store.DB, p cadrebot.Problem) cadrebot.Problem {
	t.Helper()
	id, err := db.CreateProblem(context.Background(), &p, cadrebot.Entry{At: p.Created, By: p.Reporter, Action: cadrebot.ActCreate, To: p.Status}, false)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = id
	return p
}

func TestProblemRoundTrip(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	q := create(t, db, sample())
	if p.ID != 1 || q.ID != 2 {
		t.Fatalf("ids %d, %d, want 1, 2", p.ID, q.ID)
	}
	got, err := db.Problem(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Problem(%d) mismatch (-stored +loaded):\n%s", p.ID, diff)
	}
	if _, err := db.Problem(ctx, 99); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("Problem(99) error %v, want ErrNotFound", err)
	}
	far := sample()
	far.Lat = 30.3 // ~2.9 km north
	far = create(t, db, far)
	near, err := db.Nearby(ctx, 30.2745, 120.1551, 500, 10)
	if err != nil || len(near) != 2 || near[0] != p.ID && near[0] != q.ID {
		t.Errorf("Nearby 500 m = %v, %v; want #1 and #2 but not #%d", near, err, far.ID)
	}
	many, err := db.Problems(ctx, []int64{q.ID, 99, p.ID})
	if err != nil || len(many) != 2 || many[0].ID != q.ID || many[1].ID != p.ID {
		t.Errorf("Problems = %v, %v; want #2, #1", many, err)
	}
}

func TestApplyProblemMovesIndexes(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	list := func(l cadrebot.ProblemSet) []int64 {
		ids, n, err := db.ProblemPage(ctx, l, 0, 0)
		if err != nil || n != len(ids) {
			t.Fatalf("ProblemPage = %v, %d, %v", ids, n, err)
		}
		return ids
	}
	if got := list(cadrebot.DeptQueue("traffic")); len(got) != 1 {
		t.Fatalf("traffic queue %v, want [1]", got)
	}
	now := t0.Add(time.Hour)
	moved, e, err := cadrebot.Transition(p, cadrebot.Change{Action: cadrebot.ActReassign, Roles: cadrebot.RoleHandler, By: 2001, Dept: "environment", SLA: 24 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyProblem(ctx, p, moved, e); err != nil {
		t.Fatal(err)
	}
	if got := list(cadrebot.DeptQueue("traffic")); len(got) != 0 {
		t.Errorf("traffic queue after reassign %v, want empty", got)
	}
	if got := list(cadrebot.DeptQueue("environment")); len(got) != 1 {
		t.Errorf("environment queue %v, want [1]", got)
	}
	due, _ := db.DueBy(ctx, now.Add(24*time.Hour))
	if len(due) != 1 {
		t.Errorf("DueBy new deadline = %v, want [1]", due)
	}
	if due, _ := db.DueBy(ctx, now.Add(23*time.Hour)); len(due) != 0 {
		t.Errorf("DueBy before the new deadline = %v, want none", due)
	}
	// Resolving takes it off every open list and onto the resolved queue.
	res, e2, err := cadrebot.Transition(moved, cadrebot.Change{Action: cadrebot.ActResolve, Roles: cadrebot.RoleHandler, By: 2001, Note: "已划线"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyProblem(ctx, moved, res, e2); err != nil {
		t.Fatal(err)
	}
	for _, l := range []cadrebot.ProblemSet{cadrebot.OpenProblems, cadrebot.DeptQueue("environment"), cadrebot.VillageProblems(-100, true)} {
		if got := list(l); len(got) != 0 {
			t.Errorf("open list after resolve %v, want empty", got)
		}
	}
	if got := list(cadrebot.VillageProblems(-100, false)); len(got) != 1 {
		t.Errorf("village list %v, want [1]", got)
	}
	if got := list(cadrebot.UserProblems(2001)); len(got) != 1 {
		t.Errorf("handler's list %v, want [1]", got)
	}
	if r, _ := db.ResolvedBy(ctx, now); len(r) != 1 {
		t.Errorf("ResolvedBy = %v, want [1]", r)
	}
	h, err := db.History(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var acts []cadrebot.Action
	for _, x := range h {
		acts = append(acts, x.Action)
	}
	if diff := cmp.Diff([]cadrebot.Action{cadrebot.ActCreate, cadrebot.ActReassign, cadrebot.ActResolve}, acts); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if h[2].Note != "已划线" || h[2].By != 2001 || !h[2].At.Equal(now) {
		t.Errorf("history entry = %+v", h[2])
	}
}

// A double tap: two transitions decided on the same version; exactly one
// is stored.
func TestApplyProblemConflict(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			next, e, err := cadrebot.Transition(p, cadrebot.Change{Action: cadrebot.ActResolve, Roles: cadrebot.RoleHandler, Note: "done"}, t0)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = db.ApplyProblem(ctx, p, next, e)
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, cadrebot.ErrConflict):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d transitions applied, want 1", ok)
	}
	h, _ := db.History(ctx, p.ID)
	if len(h) != 2 {
		t.Errorf("history has %d entries, want 2", len(h))
	}
}

func TestMarkersCardsAndFlags(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	first, err := db.MarkProblem(ctx, p.ID, "esc:1", "t")
	if err != nil || !first {
		t.Fatalf("first MarkProblem = %v, %v", first, err)
	}
	if again, _ := db.MarkProblem(ctx, p.ID, "esc:1", "t"); again {
		t.Error("second MarkProblem set the marker again")
	}
	if v, _ := db.ProblemMark(ctx, p.ID, "esc:1"); v != "t" {
		t.Errorf("ProblemMark = %q", v)
	}
	if err := db.SetUndeliverable(ctx, p.ID, t0, nil); err != nil {
		t.Fatal(err)
	}
	if f, _ := db.Flagged(ctx); len(f) != 1 {
		t.Errorf("Flagged = %v", f)
	}
	if r, _ := db.CardRetries(ctx, t0); len(r) != 1 {
		t.Errorf("CardRetries = %v", r)
	}
	if err := db.SetCard(ctx, p.ID, -1002, 77, "traffic", false, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearUndeliverable(ctx, p.ID, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Problem(ctx, p.ID)
	if got.Undeliverable || got.Cards[-1002] != 77 || got.CardDepts[-1002] != "traffic" {
		t.Errorf("after card: %+v", got)
	}
	if id, _ := db.CardProblem(ctx, -1002, 77); id != p.ID {
		t.Errorf("CardProblem = %d", id)
	}
	if id, _ := db.CardProblem(ctx, -1002, 78); id != 0 {
		t.Errorf("CardProblem of another message = %d", id)
	}
	// A transition keeps the card and the markers.
	next, e, _ := cadrebot.Transition(got, cadrebot.Change{Action: cadrebot.ActAccept, Roles: cadrebot.RoleHandler}, t0)
	if err := db.ApplyProblem(ctx, got, next, e); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Problem(ctx, p.ID)
	if got.Cards[-1002] != 77 {
		t.Errorf("card lost in a transition: %+v", got.Cards)
	}
	if v, _ := db.ProblemMark(ctx, p.ID, "esc:1"); v != "t" {
		t.Error("marker lost in a transition")
	}
}

func TestPhotosAlbumsAndMigration(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample()) // 2 photos
	for i, want := range []bool{true, true, true, false} {
		ok, err := db.AddProblemPhoto(ctx, p.ID, "AgADx"+string(rune('a'+i)), 5)
		if err != nil || ok != want {
			t.Errorf("AddProblemPhoto #%d = %v, %v; want %v", i, ok, err, want)
		}
	}
	if _, err := db.AddProblemPhoto(ctx, 99, "x", 5); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("AddProblemPhoto on a missing problem: %v", err)
	}
	if err := db.SetAlbum(ctx, -100, "g1", p.ID); err != nil {
		t.Fatal(err)
	}
	if id, _ := db.Album(ctx, -100, "g1"); id != p.ID {
		t.Errorf("Album = %d", id)
	}
	if err := db.SetCard(ctx, p.ID, -1002, 5, "traffic", false, nil); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]int64{{-100, -100100}, {-1002, -1002100}} {
		if err := db.MigrateProblems(ctx, pair[0], pair[1]); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.Problem(ctx, p.ID)
	if got.VillageChat != -100100 || got.Cards[-1002100] != 5 || len(got.Cards) != 1 {
		t.Errorf("after migration: village %d cards %v", got.VillageChat, got.Cards)
	}
	ids, _, _ := db.ProblemPage(ctx, cadrebot.VillageProblems(-100100, true), 0, 0)
	old, _, _ := db.ProblemPage(ctx, cadrebot.VillageProblems(-100, true), 0, 0)
	if len(ids) != 1 || len(old) != 0 {
		t.Errorf("village lists after migration: new %v old %v", ids, old)
	}
}

func TestProblemsCreatedAndPaging(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	for i := 0; i < 25; i++ {
		p := sample()
		p.Created = t0.Add(time.Duration(i) * time.Hour)
		create(t, db, p)
	}
	page, n, err := db.ProblemPage(ctx, cadrebot.AllProblems, 10, 10)
	if err != nil || n != 25 || len(page) != 10 || page[0] != 15 {
		t.Errorf("ProblemPage(10, 10) = %v, %d, %v; want 10 ids from #15", page, n, err)
	}
	ps, err := db.ProblemsCreated(ctx, t0, t0.Add(10*time.Hour))
	if err != nil || len(ps) != 10 {
		t.Errorf("ProblemsCreated first 10h = %d problems, %v; want 10", len(ps), err)
	}
}

func TestForms(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	if b, err := db.Form(ctx, -100, 1, store.FormReport); b != nil || err != nil {
		t.Errorf("Form before save = %q, %v", b, err)
	}
	if err := db.SaveForm(ctx, -100, 1, store.FormReport, []byte(`{"v":1}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.Form(ctx, -100, 1, store.FormReport); string(b) != `{"v":1}` {
		t.Errorf("Form = %q", b)
	}
	if b, _ := db.Form(ctx, -100, 2, store.FormReport); b != nil {
		t.Error("another user's form is visible")
	}
	_ = db.DeleteForm(ctx, -100, 1, store.FormReport)
	if b, _ := db.Form(ctx, -100, 1, store.FormReport); b != nil {
		t.Error("form not deleted")
	}
}

// A card that was never sent (the process died right after the problem was
// stored) is found by the card retry once the grace period is over.
func TestNewProblemAwaitsItsCard(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	early, err := db.CardRetries(ctx, t0.Add(store.CardGrace-time.Second))
	if err != nil || len(early) != 0 {
		t.Fatalf("CardRetries before the grace = %v, %v; want none", early, err)
	}
	due, err := db.CardRetries(ctx, t0.Add(store.CardGrace))
	if err != nil || len(due) != 1 || due[0] != p.ID {
		t.Fatalf("CardRetries after the grace = %v, %v; want [%d]", due, err, p.ID)
	}
	if err := db.CardPosted(ctx, p.ID, nil); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.CardRetries(ctx, t0.Add(time.Hour)); len(due) != 0 {
		t.Errorf("CardRetries after CardPosted = %v, want none", due)
	}
}

// A report filed "unless duplicate" is refused while the village has an
// open problem of its category in a department's queue, and filed
// otherwise: another category, another village, or once the first is
// back with its reporter.
func TestCreateProblemUnlessDuplicate(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	file := func(p cadrebot.Problem) (int64, error) {
		return db.CreateProblem(ctx, &p, cadrebot.Entry{At: p.Created, By: p.Reporter, Action: cadrebot.ActCreate, To: p.Status}, true)
	}
	first, err := file(sample())
	if err != nil || first != 1 {
		t.Fatalf("first report = %d, %v; want #1", first, err)
	}
	if id, err := file(sample()); !errors.Is(err, cadrebot.ErrDuplicate) || id != 0 {
		t.Fatalf("same village and category = %d, %v; want ErrDuplicate", id, err)
	}
	other := sample()
	other.Category = "roads"
	if id, err := file(other); err != nil || id != 2 {
		t.Errorf("another category = %d, %v; want #2 (the refusal took no number)", id, err)
	}
	elsewhere := sample()
	elsewhere.VillageChat = -200
	if id, err := file(elsewhere); err != nil || id != 3 {
		t.Errorf("another village = %d, %v; want #3", id, err)
	}
	p, _ := db.Problem(ctx, first)
	returned := p
	returned.Status, returned.Version = cadrebot.StatusReturned, p.Version+1
	if err := db.ApplyProblem(ctx, p, returned, cadrebot.Entry{At: t0, Action: cadrebot.ActReturn, To: cadrebot.StatusReturned}); err != nil {
		t.Fatal(err)
	}
	id, err := file(sample())
	if err != nil || id != 4 {
		t.Fatalf("after #1 was returned = %d, %v; want #4", id, err)
	}
	// The script numbered it: every index holds #4 under its number.
	for _, set := range []cadrebot.ProblemSet{cadrebot.VillageProblems(-100, false), cadrebot.VillageProblems(-100, true)} {
		ids, _, err := db.ProblemPage(ctx, set, 0, 1)
		if err != nil || len(ids) != 1 || ids[0] != 4 {
			t.Errorf("newest of %+v = %v, %v; want [4]", set, ids, err)
		}
	}
	got, err := db.Problem(ctx, 4)
	if err != nil || got.Text != sample().Text || got.Status != cadrebot.StatusNew {
		t.Errorf("#4 = %+v, %v", got, err)
	}
	if h, _ := db.History(ctx, 4); len(h) != 1 || h[0].Action != cadrebot.ActCreate {
		t.Errorf("#4 history = %v", h)
	}
	if due, _ := db.CardRetries(ctx, t0.Add(store.CardGrace)); !slices.Contains(due, 4) {
		t.Errorf("CardRetries = %v, want #4 awaiting its card", due)
	}
}

// The card's record drops the report form that filed the problem in the
// same round trip.
func TestSetCardDropsTheForm(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := create(t, db, sample())
	if err := db.SaveForm(ctx, -100, 1001, store.FormReport, []byte(`{"v":1}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.AddFormMessage(ctx, -100, 1001, store.FormReport, 9, "p", time.Minute); err != nil {
		t.Fatal(err)
	}
	done := &cadrebot.FormKey{Chat: -100, User: 1001, Kind: store.FormReport}
	if err := db.SetCard(ctx, p.ID, -1002, 77, "traffic", true, done); err != nil {
		t.Fatal(err)
	}
	if b, msgs, err := db.FormAndMessages(ctx, -100, 1001, store.FormReport); b != nil || len(msgs) != 0 || err != nil {
		t.Errorf("form after SetCard = %q, %v, %v; want gone", b, msgs, err)
	}
	if id, _ := db.CardProblem(ctx, -1002, 77); id != p.ID {
		t.Errorf("CardProblem = %d, want %d", id, p.ID)
	}
	if due, _ := db.CardRetries(ctx, t0.Add(time.Hour)); len(due) != 0 {
		t.Errorf("CardRetries = %v: the lead card is out", due)
	}
}
