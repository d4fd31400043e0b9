package store

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"cadrebot"
)

// A group read by Group (a department's chat, which sends no updates of
// its own) is kept, and a change made by any replica reaches every one.
func TestGroupCacheKeepsReadsAndForgetsChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := newTestDB(t)
	other := New(db.rdb, db.prefix)
	db.CacheGroups(ctx, slog.Default())
	other.CacheGroups(ctx, slog.Default())
	const chat = -1002
	setVillage := func(d *DB, v string) {
		t.Helper()
		if err := d.UpdateGroup(ctx, chat, cadrebot.GroupPatch{Village: &v}); err != nil {
			t.Fatal(err)
		}
	}
	village := func(d *DB) string {
		t.Helper()
		g, err := d.Group(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		return g.Village
	}
	setVillage(db, "甲")
	if v := village(db); v != "甲" {
		t.Fatalf("village %q, want 甲", v)
	}
	// The write's own publication may still be on its way and clear the
	// entry once more; after that, reads cost nothing.
	rts := countRoundTrips(db)
	deadline := time.Now().Add(5 * time.Second)
	for {
		before := rts.n.Load()
		if v := village(db); v != "甲" {
			t.Fatalf("village %q, want 甲", v)
		}
		if rts.n.Load() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("every read goes to Redis: the record is never kept")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The writer forgets at once; another replica when the publication
	// arrives.
	if v := village(other); v != "甲" {
		t.Fatalf("other replica reads %q", v)
	}
	setVillage(db, "乙")
	if v := village(db); v != "乙" {
		t.Errorf("the writer reads %q after its own change, want 乙", v)
	}
	deadline = time.Now().Add(5 * time.Second)
	for village(other) != "乙" {
		if time.Now().After(deadline) {
			t.Fatal("the other replica still reads 甲 after the change was published")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A record read before an invalidation is not kept after it: the reader
// might hold the value from before the change.
func TestGroupCacheDropsReadsOverlappingAChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := newTestDB(t)
	db.CacheGroups(ctx, slog.Default())
	c := db.cache.Load()
	const chat = -1003
	gen := c.generation()
	c.forget(chat) // a change lands while the read is in flight
	c.put(chat, &groupEntry{meta: map[string]string{fVillage: "旧"}, at: time.Now()}, gen)
	if e := c.get(chat, time.Now()); e != nil {
		t.Errorf("a read that overlapped a change was kept: %v", e.meta)
	}
	c.put(chat, &groupEntry{meta: map[string]string{fVillage: "新"}, at: time.Now()}, c.generation())
	if e := c.get(chat, time.Now()); e == nil || e.meta[fVillage] != "新" {
		t.Errorf("a clean read was not kept: %v", e)
	}
}
