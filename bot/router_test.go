package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/metrics"
	"cadrebot/store"
	"cadrebot/storetest"
)

// At the intake a plain message is told "no form open" only when nothing
// before it could still open one by its turn: no earlier update of its
// chat in the batch, none waiting in the dispatcher. Otherwise its
// handler reads the forms itself.
func TestIntakeTellsNoFormsOnlyWhenNothingIsAhead(t *testing.T) {
	db := storetest.DB(t)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const busy = -1003
	r := NewRouter(RouterConfig{Now: func() time.Time { return now }, Busy: func(chat int64) bool { return chat == busy }},
		Routes{}, db, nil, nil, nil, slog.New(slog.DiscardHandler), metrics.NewMetrics())
	msg := func(id, chat, user int64, text string) *models.Update {
		return &models.Update{ID: id, Message: &models.Message{ID: int(id), Date: int(now.Unix()), Text: text,
			Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup, Title: "村群"},
			From: &models.User{ID: user, FirstName: "张"}}}
	}
	ups := []*models.Update{
		msg(1, -1001, 7, "/report 路灯坏了"), // a command: never asks
		msg(2, -1001, 7, "村口路灯"),         // may answer the dialog /report opens
		msg(3, -1002, 8, "打卡"),           // first of its chat: asks
		msg(4, -1002, 9, "打卡"),           // behind 3 in its chat
		msg(5, busy, 8, "打卡"),            // its chat has updates waiting
	}
	ctx := context.Background()
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ups))
	raws := make([][]byte, len(ups))
	for i, u := range ups {
		ids[i] = u.ID
		raws[i], _ = json.Marshal(u)
	}
	as, admitted := r.Prepare(ups)
	skipped, ins, err := db.InboxAddAdmit(ctx, gen, 6, ids, raws, as)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("InboxAddAdmit: skipped %v, %v", skipped, err)
	}
	admitted(ins, nil)
	want := map[int64]bool{1: false, 2: false, 3: true, 4: false, 5: false}
	for _, u := range ups {
		v, ok := r.prepared.Load(u.ID)
		if !ok {
			t.Fatalf("update %d not prepared", u.ID)
		}
		p := v.(*prepared)
		if p.err != nil {
			t.Fatalf("update %d: %v", u.ID, p.err)
		}
		if p.in.NoForms != want[u.ID] {
			t.Errorf("update %d: NoForms %v, want %v", u.ID, p.in.NoForms, want[u.ID])
		}
	}
	// Handled without the intake (a webhook, a replay), the answer is
	// exact: read at its turn.
	p := r.prepare(ctx, []*models.Update{msg(6, busy, 8, "打卡")})[0]
	if !p.in.NoForms {
		t.Error("NoForms unset at the update's turn with no form open")
	}
}
