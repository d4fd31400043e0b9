package bot

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func msgUpdate(id int64, chat int64) *models.Update {
	return &models.Update{ID: id, Message: &models.Message{Chat: models.Chat{ID: chat}}}
}

func TestDispatcherKeepsOrderPerChat(t *testing.T) {
	var mu sync.Mutex
	seen := map[int64][]int64{}
	d := NewDispatcher(4, func(_ context.Context, u *models.Update) {
		mu.Lock()
		seen[u.Message.Chat.ID] = append(seen[u.Message.Chat.ID], u.ID)
		mu.Unlock()
	}, slog.New(slog.DiscardHandler), NewMetrics())
	defer d.Close()
	var batch []*models.Update
	for i := int64(1); i <= 300; i++ {
		batch = append(batch, msgUpdate(i, -(i%7)-1))
	}
	d.RunBatch(context.Background(), batch)
	for chat, ids := range seen {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Fatalf("chat %d handled %d after %d", chat, ids[i], ids[i-1])
			}
		}
	}
	total := 0
	for _, ids := range seen {
		total += len(ids)
	}
	if total != 300 {
		t.Errorf("handled %d updates, want 300", total)
	}
}

func TestDispatcherRecoversPanics(t *testing.T) {
	m := NewMetrics()
	handled := 0
	d := NewDispatcher(1, func(_ context.Context, u *models.Update) {
		if u.ID == 2 {
			panic("boom")
		}
		handled++
	}, slog.New(slog.DiscardHandler), m)
	defer d.Close()
	d.RunBatch(context.Background(), []*models.Update{msgUpdate(1, -1), msgUpdate(2, -1), msgUpdate(3, -1)})
	if handled != 2 {
		t.Errorf("handled %d updates around the panic, want 2", handled)
	}
	if got := testutil.ToFloat64(m.Panics); got != 1 {
		t.Errorf("panics metric = %v, want 1", got)
	}
}

func TestParseCommand(t *testing.T) {
	cmd := []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 4}}
	tests := []struct {
		name, text, wantCmd, wantArgs string
		ents                          []models.MessageEntity
	}{
		{"plain", "打卡 今天走访", "", "打卡 今天走访", nil},
		{"command", "/join", "join", "", cmd},
		{"args", "/setup 谢家坞村 平水镇", "setup", "谢家坞村 平水镇", cmd},
		{"addressed to us", "/Help@CadreBot_bot", "help", "", cmd},
		{"other bot", "/help@other_bot", "-", "", cmd},
		{"newline args", "/report\n路口没有停车线", "report", "路口没有停车线", cmd},
		{"slash not a command", "/ not a command", "", "/ not a command", []models.MessageEntity{{Type: "bold"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a := parseCommand(tt.text, tt.ents, "cadrebot_bot")
			if c != tt.wantCmd || a != tt.wantArgs {
				t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", tt.text, c, a, tt.wantCmd, tt.wantArgs)
			}
		})
	}
}
