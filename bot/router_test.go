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

// At the intake a plain message is told "no form open", and a dialog's
// button gets its form read along, only when nothing before it could
// still change the form by its turn: no earlier update of its chat in the
// batch, none waiting in the dispatcher. Otherwise the handler reads the
// form itself.
func TestIntakeReadsFormsOnlyWhenNothingIsAhead(t *testing.T) {
	db := storetest.DB(t)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const busy = -1003
	r := NewRouter(RouterConfig{Now: func() time.Time { return now }, Busy: func(chat int64) bool { return chat == busy }},
		Routes{Forms: map[string]string{"rd": store.FormReport}}, db, nil, nil, nil, slog.New(slog.DiscardHandler), metrics.NewMetrics())
	msg := func(id, chat, user int64, text string) *models.Update {
		return &models.Update{ID: id, Message: &models.Message{ID: int(id), Date: int(now.Unix()), Text: text,
			Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup, Title: "村群"},
			From: &models.User{ID: user, FirstName: "张"}}}
	}
	press := func(id, chat, user int64, data string) *models.Update {
		m := models.Message{ID: 99, Date: int(now.Unix()), Chat: models.Chat{ID: chat, Type: models.ChatTypeSupergroup, Title: "村群"}}
		return &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{ID: "q", Data: data, From: models.User{ID: user, FirstName: "李"},
			Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &m}}}
	}
	if err := db.SaveForm(context.Background(), -1004, 9, store.FormReport, []byte(`{"v":2}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	ups := []*models.Update{
		msg(1, -1001, 7, "/report 路灯坏了"), // a command: never asks
		msg(2, -1001, 7, "村口路灯"),         // may answer the dialog /report opens
		msg(3, -1002, 8, "打卡"),           // first of its chat: asks
		msg(4, -1002, 9, "打卡"),           // behind 3 in its chat
		msg(5, busy, 8, "打卡"),            // its chat has updates waiting
		press(7, -1004, 9, "rd:9:n:c:1"), // a dialog's button: its form is read along
		press(8, -1004, 9, "rd:9:n:c:2"), // behind 7, which may change the form
		press(9, -1005, 9, "p:acc:1:1"),  // a button whose handler reads no form
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
	skipped, ins, err := db.InboxAddAdmit(ctx, gen, 10, ids, raws, as, nil)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("InboxAddAdmit: skipped %v, %v", skipped, err)
	}
	admitted(ins, nil)
	want := map[int64]bool{1: false, 2: false, 3: true, 4: false, 5: false, 7: false, 8: false, 9: false}
	wantForm := map[int64]string{7: `{"v":2}`}
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
		var read []byte
		if p.in.Form != nil {
			read = p.in.Form.Body
		}
		if f, ok := wantForm[u.ID]; (p.in.Form != nil) != ok || string(read) != f {
			t.Errorf("update %d: form read %v %q, want %v %q", u.ID, p.in.Form != nil, read, ok, f)
		}
	}
	// Handled without the intake (a webhook, a replay), the answer is
	// exact: read at its turn.
	p := r.prepare(ctx, []*models.Update{msg(6, busy, 8, "打卡")})[0]
	if !p.in.NoForms {
		t.Error("NoForms unset at the update's turn with no form open")
	}
}
