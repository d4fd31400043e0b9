package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cadrebot/send"
	"cadrebot/store"
	"cadrebot/storetest"
)

// outboxDB connects to REDIS_URL (or, with cluster set, to the cluster in
// REDIS_CLUSTER_ADDRS) under a fresh prefix deleted after the test.
func outboxDB(t *testing.T, cluster bool) *store.DB {
	t.Helper()
	o := store.Options{URL: os.Getenv("REDIS_URL")}
	if o.URL == "" {
		o.URL = "redis://127.0.0.1:6379/0"
	}
	if cluster {
		addrs := os.Getenv("REDIS_CLUSTER_ADDRS")
		if addrs == "" {
			t.Skip("REDIS_CLUSTER_ADDRS not set (make test starts a cluster)")
		}
		o = store.Options{ClusterAddrs: strings.Split(addrs, ",")}
	}
	rdb, err := store.Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis: %v (run the tests with `make test`, which starts one)", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "cadrebot-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		deleteKeys(ctx, rdb, prefix)
		rdb.Close()
	})
	return store.New(rdb, prefix)
}

// deleteKeys removes every key under prefix, on every master of a cluster.
func deleteKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	del := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for it.Next(ctx) {
			c.Del(ctx, it.Val())
		}
		return it.Err()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
		return
	}
	_ = del(ctx, rdb)
}

func TestOutbox(t *testing.T) { runOutboxSuite(t, false) }

// runOutboxSuite is shared with the Redis Cluster test.
func runOutboxSuite(t *testing.T, cluster bool) {
	t.Run("RoundTrip", func(t *testing.T) { testOutboxRoundTrip(t, outboxDB(t, cluster)) })
	t.Run("SkipSentKey", func(t *testing.T) { testOutboxSkipSent(t, outboxDB(t, cluster)) })
	t.Run("Claim", func(t *testing.T) { testOutboxClaim(t, outboxDB(t, cluster)) })
	t.Run("Progress", func(t *testing.T) { testOutboxProgress(t, outboxDB(t, cluster)) })
	t.Run("Prune", func(t *testing.T) { testOutboxPrune(t, outboxDB(t, cluster)) })
	t.Run("Undeliverable", func(t *testing.T) { testUndeliverable(t, outboxDB(t, cluster)) })
}

func testOutboxRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatalf("second OutboxInit: %v", err)
	}
	msgs := []send.Message{
		{ChatID: -1001, Text: "<b>周报</b> &amp; more", Key: "digest:w48:-1001", Ref: "digest:-1001", Silent: true},
		{ChatID: 42, Text: "hi", ReplyTo: 7, Buttons: [][]send.Button{{{Text: "好", Data: "pr:ok:1"}, {Text: "link", URL: "https://example.org"}}, {{Text: "看板", WebApp: "https://example.org/dash/app"}}}, Key: "k2"},
		{ChatID: -1002, Text: "caption", Photo: &send.File{FileID: "AgAD"}, Key: "k3"},
		{ChatID: -1002, Document: &send.File{Name: "r.xlsx", Data: []byte{0, 1, 2, 255}}, Key: "k4"},
	}
	for _, m := range msgs {
		if id, err := db.OutboxAdd(ctx, m); err != nil || id == "" {
			t.Fatalf("OutboxAdd(%q) = %q, %v", m.Key, id, err)
		}
	}
	depth, oldest, err := db.OutboxStats(ctx)
	if err != nil || depth != 4 || time.Since(oldest) > time.Minute {
		t.Fatalf("OutboxStats = %d, %v, %v; want 4, recent", depth, oldest, err)
	}
	got, err := db.OutboxRead(ctx, "c1", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var gotMsgs []send.Message
	for _, e := range got {
		if e.Bad != nil {
			t.Fatal(e.Bad)
		}
		gotMsgs = append(gotMsgs, e.Msg)
	}
	if diff := cmp.Diff(msgs, gotMsgs); diff != "" {
		t.Fatalf("read back (-want +got):\n%s", diff)
	}
	// Nothing new for a second read.
	if again, err := db.OutboxRead(ctx, "c1", 10, 0); err != nil || len(again) != 0 {
		t.Fatalf("second read = %d entries, %v; want none", len(again), err)
	}
	for _, e := range got {
		if err := db.OutboxAck(ctx, e.ID, e.Msg.Key, 1); err != nil {
			t.Fatal(err)
		}
	}
	if depth, oldest, err := db.OutboxStats(ctx); err != nil || depth != 0 || !oldest.IsZero() {
		t.Fatalf("OutboxStats after ack = %d, %v, %v; want 0, zero", depth, oldest, err)
	}
	if n, err := db.OutboxProgress(ctx, "k2"); err != nil || n != 1 {
		t.Fatalf("OutboxProgress(k2) = %d, %v; want 1", n, err)
	}
}

func testOutboxSkipSent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatal(err)
	}
	m := send.Message{ChatID: 5, Text: "x", Key: "once"}
	id, err := db.OutboxAdd(ctx, m)
	if err != nil || id == "" {
		t.Fatalf("first OutboxAdd = %q, %v", id, err)
	}
	// Queued twice before either is sent: both entries exist; the sender
	// checks the key before sending.
	if id2, err := db.OutboxAdd(ctx, m); err != nil || id2 == "" {
		t.Fatalf("second OutboxAdd before send = %q, %v; want a new entry", id2, err)
	}
	if err := db.OutboxAck(ctx, id, m.Key, 1); err != nil {
		t.Fatal(err)
	}
	if id3, err := db.OutboxAdd(ctx, m); err != nil || id3 != "" {
		t.Fatalf("OutboxAdd after send = %q, %v; want skipped", id3, err)
	}
	// A message without a key gets a random one, so it is never skipped.
	for i := 0; i < 2; i++ {
		if id, err := db.OutboxAdd(ctx, send.Message{ChatID: 5, Text: "free"}); err != nil || id == "" {
			t.Fatalf("keyless OutboxAdd #%d = %q, %v", i, id, err)
		}
	}
	es, err := db.OutboxRead(ctx, "c", 10, 0)
	if err != nil || len(es) != 3 {
		t.Fatalf("OutboxRead = %d entries, %v; want 3", len(es), err)
	}
	if es[1].Msg.Key == "" || es[2].Msg.Key == "" || es[1].Msg.Key == es[2].Msg.Key {
		t.Fatalf("keyless messages got keys %q and %q; want distinct random keys", es[1].Msg.Key, es[2].Msg.Key)
	}
}

func testOutboxClaim(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ { // more than one XAUTOCLAIM page
		if _, err := db.OutboxAdd(ctx, send.Message{ChatID: int64(i), Text: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	read, err := db.OutboxRead(ctx, "crashed", 1000, 0)
	if err != nil || len(read) != 300 {
		t.Fatalf("OutboxRead = %d, %v", len(read), err)
	}
	if got, err := db.OutboxClaim(ctx, "new", time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("OutboxClaim(minIdle 1h) = %d entries, %v; want none", len(got), err)
	}
	got, err := db.OutboxClaim(ctx, "new", 0)
	if err != nil || len(got) != 300 {
		t.Fatalf("OutboxClaim(minIdle 0) = %d entries, %v; want 300", len(got), err)
	}
	for i, e := range got {
		if e.ID != read[i].ID {
			t.Fatalf("claimed entry %d = %s, want %s (claims keep stream order)", i, e.ID, read[i].ID)
		}
	}
}

func testOutboxProgress(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if n, err := db.OutboxProgress(ctx, "none"); err != nil || n != 0 {
		t.Fatalf("OutboxProgress(none) = %d, %v", n, err)
	}
	if err := db.OutboxMarkPart(ctx, "long", 2); err != nil {
		t.Fatal(err)
	}
	if n, err := db.OutboxProgress(ctx, "long"); err != nil || n != 2 {
		t.Fatalf("OutboxProgress(long) = %d, %v; want 2", n, err)
	}
}

func testOutboxPrune(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxAdd(ctx, send.Message{ChatID: 1, Text: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxRead(ctx, "holding", 10, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxRead(ctx, "empty", 10, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxRead(ctx, "me", 10, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxPrune(ctx, "me", 0); err != nil {
		t.Fatal(err)
	}
	// The entry held by "holding" must still be claimable.
	got, err := db.OutboxClaim(ctx, "me", 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("after prune, OutboxClaim = %d entries, %v; want the held one", len(got), err)
	}
}

func testUndeliverable(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.Undeliverable(ctx, "problem:42", "forbidden: bot was kicked"); err != nil {
		t.Fatal(err)
	}
	if r, err := db.UndeliverableReason(ctx, "problem:42"); err != nil || r != "forbidden: bot was kicked" {
		t.Fatalf("UndeliverableReason = %q, %v", r, err)
	}
}

// An upload (a digest's chart) is stored once, as its bytes, beside the
// message's JSON: base64 inside the JSON would make it a third larger.
func TestOutboxUploadStoredOnce(t *testing.T) {
	db := outboxDB(t, false)
	ctx := context.Background()
	chart := make([]byte, 20000)
	for i := range chart {
		chart[i] = byte(i * 7)
	}
	m := send.Message{ChatID: -1001, Text: "周报", Photo: &send.File{Name: "chart.png", Data: chart}, Key: "digest:1"}
	if _, err := db.OutboxAdd(ctx, m); err != nil {
		t.Fatal(err)
	}
	rdb := storetest.Client(t)
	xs, err := rdb.XRange(ctx, db.Prefix()+"{outbox}", "-", "+").Result()
	if err != nil || len(xs) != 1 {
		t.Fatalf("XRANGE = %d entries, %v", len(xs), err)
	}
	u, _ := xs[0].Values["u"].(string)
	j, _ := xs[0].Values["m"].(string)
	if len(u) != len(chart) || len(j) > 300 {
		t.Errorf("stored upload %d bytes and JSON %d bytes; want the %d bytes once and a small JSON", len(u), len(j), len(chart))
	}
	if err := db.OutboxInit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := db.OutboxRead(ctx, "c", 10, 0)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Msg.Photo.Data, chart) || got[0].Msg.Photo.Name != "chart.png" {
		t.Fatalf("read back = %+v, %v", got, err)
	}
}
