package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/store"
)

// TestCluster runs the store's multi-key operations against a real Redis
// Cluster: `make test` starts a 3-master one with scripts/redis-cluster.sh
// and sets REDIS_CLUSTER_ADDRS. A transaction or script whose keys do not
// share a hash tag fails here with CROSSSLOT.
func TestCluster(t *testing.T) {
	outboxDB(t, true) // skips without a cluster
	t.Run("Outbox", func(t *testing.T) { runOutboxSuite(t, true) })
	t.Run("Groups", func(t *testing.T) { testGroupFlows(t, outboxDB(t, true)) })
	t.Run("Intake", func(t *testing.T) { testIntakeFlows(t, outboxDB(t, true)) })
	t.Run("Migration", func(t *testing.T) { testMigrationMerge(t, outboxDB(t, true)) })
	t.Run("MigrationConcurrent", func(t *testing.T) { testMigrationConcurrent(t, outboxDB(t, true)) })
}

// TestGroupFlows is the single-node twin of the cluster run.
func TestGroupFlows(t *testing.T) { testGroupFlows(t, outboxDB(t, false)) }

func testGroupFlows(t *testing.T, db *store.DB) {
	ctx := context.Background()
	village, town := "东坞村", "临浦镇"
	if err := db.UpdateGroup(ctx, -1001, cadrebot.GroupPatch{Village: &village, Town: &town,
		Schedule: map[string]string{"checkin_reminder": "0 9 * * 1-5"}}); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if err := db.BindDepartment(ctx, "traffic", -1002); err != nil {
		t.Fatalf("BindDepartment: %v", err)
	}
	for i, u := range []int64{11, 12, 11} {
		if _, err := db.AddMember(ctx, -1001, cadrebot.Member{UserID: u, Name: "n"}); err != nil {
			t.Fatalf("AddMember #%d: %v", i, err)
		}
	}
	if err := db.MigrateGroup(ctx, -1001, -1001001); err != nil {
		t.Fatalf("MigrateGroup: %v", err)
	}
	g, err := db.Group(ctx, -1001001)
	if err != nil || g.Village != village || g.Schedules["checkin_reminder"] != "0 9 * * 1-5" {
		t.Fatalf("migrated Group = %+v, %v", g, err)
	}
	roster, err := db.Roster(ctx, -1001001)
	if err != nil || len(roster) != 2 {
		t.Fatalf("migrated Roster = %v, %v; want 2 members", roster, err)
	}
	ids, err := db.GroupIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := db.Groups(ctx, ids)
	if err != nil || len(gs) != 2 {
		t.Fatalf("Groups(%v) = %d groups, %v; want 2", ids, len(gs), err)
	}
	depts, err := db.DepartmentChats(ctx)
	if err != nil || depts["traffic"] != -1002 {
		t.Fatalf("DepartmentChats = %v, %v", depts, err)
	}
	if _, err := db.Rosters(ctx, ids); err != nil {
		t.Fatalf("Rosters: %v", err)
	}
}

func testIntakeFlows(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	in, err := db.Admit(ctx, store.Admission{Chat: -1003, IsGroup: true, Title: "村群", User: 7, Count: true, Window: time.Minute, Now: now})
	if err != nil || in.Group == nil || in.Group.Title != "村群" || in.Flood != 1 {
		t.Fatalf("Admit = %+v, %v", in, err)
	}
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.InboxAdd(ctx, gen, 501, []int64{500}, [][]byte{[]byte(`{"update_id":500}`)}); err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	if _, err := db.InboxAdd(ctx, gen-1, 900, nil, nil); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("InboxAdd with a stale generation = %v, want ErrFenced", err)
	}
	if skipped, err := db.InboxAdd(ctx, gen, 401, []int64{400}, [][]byte{[]byte(`{"update_id":400}`)}); err != nil || len(skipped) != 1 {
		t.Fatalf("InboxAdd of an update below the offset = %v, %v; want it skipped as a redelivery", skipped, err)
	}
	if n, err := db.Offset(ctx); err != nil || n != 501 {
		t.Fatalf("Offset = %d, %v; want 501 (never backwards)", n, err)
	}
	if es, err := db.Inbox(ctx, store.InboxPoll); err != nil || len(es) != 1 || es[0].ID != 500 {
		t.Fatalf("Inbox = %+v, %v", es, err)
	}
	if err := db.InboxDone(ctx, store.InboxPoll, []int64{500}); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.WebhookAdd(ctx, "r1", 600, []byte(`{"update_id":600}`), now); err != nil || !ok {
		t.Fatalf("WebhookAdd = %v, %v", ok, err)
	}
	if ok, err := db.WebhookAdd(ctx, "r2", 600, []byte(`{"update_id":600}`), now); err != nil || ok {
		t.Fatalf("WebhookAdd of a redelivery = %v, %v; want a duplicate", ok, err)
	}
	if es, err := db.InboxAdopt(ctx, "r2", now.Add(time.Second)); err != nil || len(es) != 1 || es[0].ID != 600 {
		t.Fatalf("InboxAdopt = %+v, %v", es, err)
	}
	if ok, err := db.Once(ctx, "job:x", time.Minute); err != nil || !ok {
		t.Fatalf("Once = %v, %v", ok, err)
	}
	if err := db.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
}
