package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot/apptest"
	"cadrebot/store"
)

// The intake sends its script by hash. A Redis that lost its scripts (a
// restart, a failover, a new Cluster node) answers NOSCRIPT: the batch is
// then stored all the same, and the admission that rode beside it counts
// its senders once, not twice. A private server, as SCRIPT FLUSH would
// disturb the shared one.
func TestInboxAddAdmitAfterRedisLostItsScripts(t *testing.T) {
	srv := apptest.StartRedisServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.Port), Protocol: 2})
	t.Cleanup(func() { rdb.Close() })
	db := store.New(rdb, "noscript:")
	ctx := context.Background()
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	as := []store.Admission{{Chat: -1001, IsGroup: true, Title: "村群", User: 7, Count: true, Window: time.Minute, Now: now}}
	add := func(id int64) []store.Intake {
		t.Helper()
		skipped, ins, err := db.InboxAddAdmit(ctx, gen, id+1, []int64{id}, [][]byte{fmt.Appendf(nil, `{"update_id":%d}`, id)}, as, nil)
		if err != nil || len(skipped) != 0 || len(ins) != 1 {
			t.Fatalf("update %d: skipped %v, intakes %+v, %v", id, skipped, ins, err)
		}
		return ins
	}
	for i, flush := range []bool{true, false, true, true} {
		if flush {
			if err := rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		ins := add(int64(10 + i))
		if ins[0].Flood != int64(i+1) || ins[0].Group == nil {
			t.Fatalf("batch %d (scripts flushed before: %v): intake %+v, want the sender's count %d and the group", i, flush, ins[0], i+1)
		}
	}
	es, err := db.Inbox(ctx, store.InboxPoll)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != "[10 11 12 13]" {
		t.Errorf("inbox holds %v, want [10 11 12 13]", ids)
	}
	// And with the script loaded, a batch and its admission are one round
	// trip (from a private chat: a group never set up is tidied now and
	// then, in a round trip of its own).
	as = []store.Admission{{Chat: 8, User: 8, Count: true, Window: time.Minute, Now: now}}
	add(14)
	rt := db.Stats().RoundTrips.Load()
	add(15)
	if n := db.Stats().RoundTrips.Load() - rt; n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
}
