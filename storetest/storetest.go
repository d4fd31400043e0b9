// Package storetest gives tests a real Redis under a fresh key prefix that
// is deleted afterwards: REDIS_URL, or the Redis Cluster in
// REDIS_CLUSTER_ADDRS when CADREBOT_TEST_REDIS=cluster (make test runs the
// end-to-end suite a second time that way).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"cadrebot/store"
)

// Options is the Redis the tests use.
func Options() store.Options {
	if os.Getenv("CADREBOT_TEST_REDIS") == "cluster" {
		if addrs := os.Getenv("REDIS_CLUSTER_ADDRS"); addrs != "" {
			return store.Options{ClusterAddrs: strings.Split(addrs, ",")}
		}
	}
	return store.Options{URL: URL()}
}

// URL is REDIS_URL or the local default.
func URL() string {
	if url := os.Getenv("REDIS_URL"); url != "" {
		return url
	}
	return "redis://127.0.0.1:6379/0"
}

// Client connects to the test Redis; it closes with the test.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	rdb := Dial(t)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Dial connects to the test Redis; the caller closes it (the app closes
// the client it is given when it stops).
func Dial(t testing.TB) redis.UniversalClient {
	t.Helper()
	o := Options()
	rdb, err := store.Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s%v: %v (run the tests with `make test`, which starts one)", o.URL, o.ClusterAddrs, err)
	}
	return rdb
}

// Prefix returns a fresh key prefix and deletes its keys after the test.
func Prefix(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	p := "cadrebot-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { Delete(p) })
	return p
}

// DB is a store on the test Redis under a fresh prefix.
func DB(t testing.TB) *store.DB {
	t.Helper()
	return store.New(Client(t), Prefix(t))
}

// Delete deletes every key under p, on every master of a cluster.
func Delete(p string) {
	rdb, err := store.Dial(Options())
	if err != nil {
		return
	}
	defer rdb.Close()
	ctx := context.Background()
	// One key per DEL: on a cluster node, a DEL of keys from several
	// slots fails with CROSSSLOT.
	del := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		pipe := c.Pipeline()
		for it.Next(ctx) {
			pipe.Del(ctx, it.Val())
			if pipe.Len() == 500 {
				_, _ = pipe.Exec(ctx)
			}
		}
		_, _ = pipe.Exec(ctx)
		return it.Err()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
		return
	}
	_ = del(ctx, rdb)
}

// Keys lists every key under p, from every master of a cluster.
func Keys(t testing.TB, rdb redis.UniversalClient, p string) []string {
	t.Helper()
	ctx := context.Background()
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, rdb)
	}
	if err != nil {
		t.Fatalf("list keys under %s: %v", p, err)
	}
	sort.Strings(keys)
	return keys
}
