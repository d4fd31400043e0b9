package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/store"
	"cadrebot/storetest"
)

func TestDashLinkUsedOnce(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		got, err := db.UseDashLink(ctx, "n0nce", time.Minute)
		if err != nil || got != want {
			t.Fatalf("use %d: UseDashLink = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if got, err := db.UseDashLink(ctx, "other", time.Minute); err != nil || !got {
		t.Fatalf("another nonce: UseDashLink = %v, %v", got, err)
	}
}

func TestDashSession(t *testing.T) {
	rdb, prefix := storetest.Client(t), storetest.Prefix(t)
	db := store.New(rdb, prefix)
	ctx := context.Background()
	const id = "s3ss10n-id-never-stored"
	want := store.DashSession{User: 9001, Lang: "en", Created: 1796000000}
	if err := db.SaveDashSession(ctx, id, want, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := db.DashSession(ctx, id); err != nil || got != want {
		t.Fatalf("DashSession = %+v, %v; want %+v", got, err, want)
	}
	// Only a digest of the id is a key: a dump of Redis signs nobody in.
	keys := storetest.Keys(t, rdb, prefix+"dash:")
	if len(keys) != 1 || strings.Contains(keys[0], id) {
		t.Fatalf("session keys = %q", keys)
	}
	if ttl := rdb.TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("session TTL = %s, want ≤ 1m", ttl)
	}
	if err := db.DeleteDashSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DashSession(ctx, id); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Fatalf("after sign-out DashSession err = %v, want ErrNotFound", err)
	}
}
