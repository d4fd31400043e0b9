package store

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// Why the leases have a client of their own: when the work holds every
// connection of the main pool, a refresh on that pool waits behind it
// past its deadline, and the lease is lost; on its own small pool it gets
// through at once.
func TestLeaseNeedsItsOwnPool(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	ctx := context.Background()
	busy, err := Dial(Options{URL: url, PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	own, err := Dial(Options{URL: url, PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	work := New(busy, newTestDB(t).prefix)
	leases := New(own, work.prefix)
	lock, err := work.Obtain(ctx, "leader", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Saturate the work pool: two commands that block for a second.
	hold, release := context.WithCancel(ctx)
	defer release()
	for i := 0; i < 2; i++ {
		go busy.BLPop(hold, time.Second, work.k("nothing"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for busy.PoolStats().IdleConns > 0 || busy.PoolStats().TotalConns < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the work pool never filled")
		}
		time.Sleep(time.Millisecond)
	}
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = lock.Refresh(rctx, 2*time.Second)
	cancel()
	if err == nil {
		t.Error("a refresh behind the saturated pool got through: the test does not saturate it")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("refresh behind the saturated pool: %v", err)
	}
	// A lease taken and refreshed through a client of its own.
	mine, err := leases.Obtain(ctx, "other", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := mine.Refresh(rctx, 2*time.Second); err != nil {
		t.Errorf("a refresh on the lease's own pool while the work pool is saturated: %v", err)
	}
}
