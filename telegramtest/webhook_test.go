package telegramtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

type delivery struct {
	secret string
	update models.Update
}

func TestWebhookPushWithSecretAndRetry(t *testing.T) {
	s := startServer(t, WithWebhookRetry(5, time.Millisecond))
	g := s.Group(-5001, "G")
	var mu sync.Mutex
	var got []delivery
	failures := 2
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		var u models.Update
		if err := json.Unmarshal(body, &u); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got = append(got, delivery{r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), u})
	}))
	defer recv.Close()

	b := newClient(t, s)
	c := ctx(t)
	if _, err := b.SetWebhook(c, &tgbot.SetWebhookParams{URL: recv.URL + "/hook", SecretToken: "s3cret_-X"}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two", "three"} {
		s.SendText(g, alice, text)
	}
	eventually(t, "three deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 3 })
	for i, want := range []string{"one", "two", "three"} {
		if got[i].secret != "s3cret_-X" || got[i].update.Message.Text != want {
			t.Fatalf("delivery %d = %+v", i, got[i])
		}
	}
	eventually(t, "queue drained", func() bool { return s.Pending() == 0 })
	info, err := b.GetWebhookInfo(c)
	if err != nil || info.URL != recv.URL+"/hook" || info.PendingUpdateCount != 0 {
		t.Fatalf("webhook info = %+v %v", info, err)
	}
	if env := rawCall(t, s, "getUpdates", nil); env.ErrorCode != 409 || !strings.Contains(env.Description, "webhook is active") {
		t.Fatalf("getUpdates with webhook = %+v", env)
	}
	if _, err := b.SetWebhook(c, &tgbot.SetWebhookParams{URL: recv.URL, SecretToken: "bad secret!"}); err == nil {
		t.Fatal("invalid secret accepted")
	}
	if _, err := b.DeleteWebhook(c, &tgbot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	s.SendText(g, alice, "polled")
	if ups := getUpdates(t, s, 0, 0, 0); len(ups) != 1 || ups[0].Message.Text != "polled" {
		t.Fatalf("after deleteWebhook: %+v", ups)
	}
}

func TestWebhookGivesUpAfterBoundedRetries(t *testing.T) {
	s := startServer(t, WithWebhookRetry(3, time.Millisecond))
	g := s.Group(-5002, "G")
	var mu sync.Mutex
	attempts := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		w.WriteHeader(500)
	}))
	defer recv.Close()
	env := rawCall(t, s, "setWebhook", map[string][]string{"url": {recv.URL}})
	if !env.OK {
		t.Fatal(env)
	}
	s.SendText(g, alice, "lost")
	eventually(t, "update dropped", func() bool { return s.Pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if attempts != 3 {
		t.Fatalf("attempts = %d", attempts)
	}
	var info models.WebhookInfo
	env = rawCall(t, s, "getWebhookInfo", nil)
	_ = json.Unmarshal(env.Result, &info)
	if !strings.Contains(info.LastErrorMessage, "500") || info.LastErrorDate == 0 {
		t.Fatalf("webhook info = %+v", info)
	}
}

// TestWebhookWithRealClient wires the server to go-telegram's own webhook
// handler, the way the bot runs in webhook mode.
func TestWebhookWithRealClient(t *testing.T) {
	s := startServer(t)
	g := s.Group(-5003, "G")
	b := newClient(t, s, tgbot.WithWebhookSecretToken("tok"), tgbot.WithDefaultHandler(func(ctx context.Context, b *tgbot.Bot, u *models.Update) {
		if u.Message != nil {
			_, _ = b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: "echo " + u.Message.Text})
		}
	}))
	recv := httptest.NewServer(b.WebhookHandler())
	defer recv.Close()
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.StartWebhook(c); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := b.SetWebhook(ctx(t), &tgbot.SetWebhookParams{URL: recv.URL, SecretToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	s.SendText(g, alice, "ping")
	call, err := s.WaitFor(5*time.Second, func(c Call) bool { return c.Method == "sendMessage" })
	if err != nil {
		t.Fatal(err)
	}
	if call.Params["text"] != "echo ping" {
		t.Fatalf("call = %+v", call)
	}
}
