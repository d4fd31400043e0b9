package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Flood counts hold whether a batch counts its senders one HINCRBY each
// (few senders) or by the script (many): each update gets its sender's
// count with itself included, across batches.
func TestFloodCountsInBatches(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	adm := func(users ...int64) []Admission {
		as := make([]Admission, len(users))
		for i, u := range users {
			as[i] = Admission{Chat: u, User: u, Count: true, Window: 30 * time.Second, Now: now}
		}
		return as
	}
	counts := func(as []Admission) []int64 {
		t.Helper()
		in, err := db.AdmitBatch(ctx, as)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, len(in))
		for i := range in {
			out[i] = in[i].Flood
		}
		return out
	}
	for _, tt := range []struct {
		users []int64
		want  []int64
	}{
		{[]int64{1, 1, 2}, []int64{1, 2, 1}},                   // few senders
		{[]int64{1, 2, 3, 4, 5, 1}, []int64{3, 2, 1, 1, 1, 4}}, // many: the script
		{[]int64{3}, []int64{2}},
	} {
		got := counts(adm(tt.users...))
		for i := range tt.want {
			if got[i] != tt.want[i] {
				t.Errorf("counts of %v = %v, want %v", tt.users, got, tt.want)
				break
			}
		}
	}
	// The window's hash expires.
	ttl, err := db.rdb.PTTL(ctx, db.keyFlood(now.UnixNano()/int64(30*time.Second))).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("flood window TTL = %v, %v; want at most two windows", ttl, err)
	}
}

// The intake asks whether a sender has a form open in the chat, so that a
// plain message with none skips the form reads; any of the three kinds
// counts, and an admission that does not ask is never told "none".
func TestAdmitAsksForForms(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const chat, user = -1001, 7
	noForms := func(ask bool) bool {
		t.Helper()
		in, err := db.Admit(ctx, Admission{Chat: chat, IsGroup: true, Title: "村群", User: user, Now: now, Forms: ask})
		if err != nil {
			t.Fatal(err)
		}
		return in.NoForms
	}
	if !noForms(true) {
		t.Fatal("NoForms unset with no form open")
	}
	if noForms(false) {
		t.Fatal("NoForms set although the admission did not ask")
	}
	for _, kind := range []string{FormReport, FormAction, FormProject} {
		if err := db.SaveForm(ctx, chat, user, kind, []byte(`{}`), time.Hour); err != nil {
			t.Fatal(err)
		}
		if noForms(true) {
			t.Errorf("NoForms set with a %q form open", kind)
		}
		if err := db.DeleteForm(ctx, chat, user, kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveForm(ctx, chat, user+1, FormReport, []byte(`{}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if !noForms(true) {
		t.Error("another user's form counted as the sender's")
	}
}

// The intake stores a batch and admits it in one round trip; a batch
// delivered again is skipped but admitted all the same.
func TestInboxAddAdmitIsOneRoundTrip(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	gen, err := db.Fence(ctx, InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	as := []Admission{
		{Chat: -1001, IsGroup: true, Title: "村群", User: 7, Count: true, Window: time.Minute, Now: now, Forms: true},
		{Chat: 8, User: 8, Count: true, Window: time.Minute, Now: now},
	}
	ids := []int64{10, 11}
	raws := [][]byte{[]byte(`{"update_id":10}`), []byte(`{"update_id":11}`)}
	skipped, ins, err := db.InboxAddAdmit(ctx, gen, 12, ids, raws, as, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 || len(ins) != 2 {
		t.Fatalf("skipped %v, %d intakes; want none skipped, 2 intakes", skipped, len(ins))
	}
	if ins[0].Group == nil || ins[0].Flood != 1 || !ins[0].NoForms || ins[1].Flood != 1 {
		t.Errorf("intakes %+v", ins)
	}
	skipped, ins, err = db.InboxAddAdmit(ctx, gen, 12, ids, raws, as, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || len(ins) != 2 || ins[1].Flood != 2 {
		t.Errorf("again: skipped %v, intakes %+v; want both skipped, both counted", skipped, ins)
	}
	// A batch from chats seen before, forgetting the finished first
	// batch: the round trip is all.
	rt := db.Stats().RoundTrips.Load()
	if _, ins, err = db.InboxAddAdmit(ctx, gen, 14, []int64{12, 13}, [][]byte{[]byte(`{"update_id":12}`), []byte(`{"update_id":13}`)},
		[]Admission{as[1], as[1]}, []int64{10, 11}); err != nil || len(ins) != 2 || ins[1].Flood != 4 {
		t.Fatalf("intakes %+v, %v", ins, err)
	}
	if n := db.Stats().RoundTrips.Load() - rt; n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	if got := inboxIDs(t, db); fmt.Sprint(got) != "[12 13]" {
		t.Errorf("inbox holds %v, want [12 13]", got)
	}
	if _, _, err := db.InboxAddAdmit(ctx, gen-1, 15, []int64{14}, [][]byte{[]byte(`{"update_id":14}`)}, as, []int64{12}); !errors.Is(err, ErrFenced) {
		t.Errorf("stale generation: %v, want ErrFenced", err)
	}
	if got := inboxIDs(t, db); fmt.Sprint(got) != "[12 13]" {
		t.Errorf("after a fenced intake the inbox holds %v, want [12 13]", got)
	}
}

func inboxIDs(t *testing.T, db *DB) []int64 {
	t.Helper()
	es, err := db.Inbox(context.Background(), InboxPoll)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	slices.Sort(ids)
	return ids
}
