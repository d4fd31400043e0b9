package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// outbox records enqueued digests by key; fail makes the next enqueues
// fail with the given errors.
type outbox struct {
	handlers.Sender
	mu   sync.Mutex
	keys map[string]int
	fail []error
}

func (o *outbox) Enqueue(_ context.Context, m send.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.fail) > 0 {
		err := o.fail[0]
		o.fail = o.fail[1:]
		return err
	}
	if m.Document != nil {
		// A leaders' digest's league workbook.
		if len(m.Document.Data) == 0 || !strings.HasSuffix(m.Document.Name, ".xlsx") {
			return errors.New("empty attachment")
		}
	} else if m.Photo == nil || len(m.Photo.Data) == 0 || m.Text == "" {
		return errors.New("digest without chart or text")
	}
	if o.keys == nil {
		o.keys = map[string]int{}
	}
	o.keys[m.Key]++
	return nil
}

func (o *outbox) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.keys[key]
}

var errPermanent = fmt.Errorf("403: %w", send.ErrForbidden)

// replica is one process's digest jobs on the shared Redis.
func replica(t *testing.T, db *store.DB, out *outbox) *handlers.Digests {
	texts, err := i18n.Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	return &handlers.Digests{Store: db, Out: out, Texts: texts,
		Cal: calendar.New(calendar.Overrides{}), Cfg: &cfg, Loc: apptest.Shanghai,
		Now: func() time.Time { return firing }}
}

var firing = time.Date(2026, 12, 7, 9, 0, 0, 0, apptest.Shanghai)

func villageGroup(t *testing.T, db *store.DB, chat int64) *cadrebot.Group {
	t.Helper()
	ctx := context.Background()
	v := "青山村"
	if err := db.UpdateGroup(ctx, chat, cadrebot.GroupPatch{Village: &v}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMember(ctx, chat, cadrebot.Member{UserID: 1, Name: "王芳"}); err != nil {
		t.Fatal(err)
	}
	g, err := db.Group(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestWeeklyDigestOnceAcrossReplicas runs the job of one firing in five
// replicas at once, and again later, as a retry would: one digest.
func TestWeeklyDigestOnceAcrossReplicas(t *testing.T) {
	db := store.New(apptest.NewRedis(t), apptest.NewPrefix(t))
	g := villageGroup(t, db, -42)
	out := &outbox{}
	key := handlers.DigestKey(handlers.KindVillage, -42, digest.LastWeek(firing, apptest.Shanghai))
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := replica(t, db, out).WeeklyDigest(context.Background(), g, firing); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := replica(t, db, out).WeeklyDigest(context.Background(), g, firing); err != nil {
		t.Fatal(err)
	}
	if n := out.count(key); n != 1 {
		t.Errorf("%s enqueued %d times, want 1", key, n)
	}
}

// TestWeeklyDigestRetries: a failed enqueue leaves no marker, so the next
// run sends it; a permanent failure is not retried.
func TestWeeklyDigestRetries(t *testing.T) {
	ctx := context.Background()
	db := store.New(apptest.NewRedis(t), apptest.NewPrefix(t))
	g := villageGroup(t, db, -43)
	key := handlers.DigestKey(handlers.KindVillage, -43, digest.LastWeek(firing, apptest.Shanghai))
	out := &outbox{fail: []error{errors.New("redis: connection reset")}}
	d := replica(t, db, out)
	if err := d.WeeklyDigest(ctx, g, firing); err == nil {
		t.Fatal("a failed enqueue reported success")
	}
	if done, _ := db.Done(ctx, key); done {
		t.Fatal("marked sent after a failed enqueue")
	}
	if err := replica(t, db, out).WeeklyDigest(ctx, g, firing); err != nil {
		t.Fatal(err)
	}
	if n := out.count(key); n != 1 {
		t.Errorf("after a retry %s enqueued %d times, want 1", key, n)
	}

	g2 := villageGroup(t, db, -44)
	key2 := handlers.DigestKey(handlers.KindVillage, -44, digest.LastWeek(firing, apptest.Shanghai))
	out.fail = []error{errPermanent}
	if err := replica(t, db, out).WeeklyDigest(ctx, g2, firing); err == nil {
		t.Fatal("a permanent failure reported success")
	}
	// A group the run never reached (the process stopped) is sent by the
	// sweep; the one that failed for good is not.
	villageGroup(t, db, -45)
	key3 := handlers.DigestKey(handlers.KindVillage, -45, digest.LastWeek(firing, apptest.Shanghai))
	if err := replica(t, db, out).RetryDigests(ctx, firing.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, done := out.count(key2), must(db.Done(ctx, key2)); n != 0 || done {
		t.Errorf("after a permanent failure: %d sends, marker %v; want none", n, done)
	}
	if n, done := out.count(key3), must(db.Done(ctx, key3)); n != 1 || !done {
		t.Errorf("the sweep sent the missed digest %d times, marker %v; want once", n, done)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLeadersDigestAttachesLeague: a town of 31 villages, more than a
// message lists, gets its digest and the whole league as a workbook under
// a key of its own, once each, also when the job runs again.
func TestLeadersDigestAttachesLeague(t *testing.T) {
	ctx := context.Background()
	db := store.New(apptest.NewRedis(t), apptest.NewPrefix(t))
	town := "兰亭街道"
	for i := range 31 {
		v := fmt.Sprintf("第%02d村", i+1)
		if err := db.UpdateGroup(ctx, int64(-500-i), cadrebot.GroupPatch{Village: &v, Town: &town}); err != nil {
			t.Fatal(err)
		}
	}
	const leaders = -600
	if err := db.BindUnit(ctx, "t:"+town, leaders); err != nil {
		t.Fatal(err)
	}
	g, err := db.Group(ctx, leaders)
	if err != nil {
		t.Fatal(err)
	}
	out := &outbox{}
	d := replica(t, db, out)
	if !d.IsDigestGroup(g) {
		t.Fatal("a leaders' group is not visited by the digest job")
	}
	for range 2 {
		if err := d.WeeklyDigest(ctx, g, firing); err != nil {
			t.Fatal(err)
		}
	}
	key := handlers.DigestKey(handlers.KindUnit, leaders, digest.LastWeek(firing, apptest.Shanghai))
	if n, x := out.count(key), out.count(key+":xlsx"); n != 1 || x != 1 {
		t.Errorf("digest enqueued %d times, workbook %d times; want 1 each", n, x)
	}
}
