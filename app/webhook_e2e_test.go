package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestWebhookSecret(t *testing.T) {
	addr := freeAddr(t)
	url := "http://" + addr + "/telegram/hook"
	e := apptest.Start(t, apptest.WithEnv("CADREBOT_HTTP_ADDR", addr, "CADREBOT_WEBHOOK_URL", url,
		"CADREBOT_WEBHOOK_SECRET", "s3cret_token-1"))
	if got := e.TG.WebhookURL(); got != url {
		t.Fatalf("setWebhook URL = %q, want %q", got, url)
	}
	calls := e.TG.CallsTo("setWebhook")
	if len(calls) != 1 || calls[0].Params["secret_token"] != "s3cret_token-1" {
		t.Fatalf("setWebhook calls = %+v, want one with the secret", calls)
	}

	body := `{"update_id":999001,"message":{"message_id":5,"date":1,"chat":{"id":-100501,"type":"supergroup","title":"g"},` +
		`"from":{"id":1001,"is_bot":false,"first_name":"forged"},"text":"/join","entities":[{"type":"bot_command","offset":0,"length":5}]}}`
	for _, secret := range []string{"", "wrong", "s3cret_token-"} {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, resp.StatusCode)
		}
	}

	// The real path: the fake API pushes with the right secret.
	g := e.TG.Group(-100501, "g")
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入名单（本群共 1 人）")
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "forged") {
			t.Errorf("an update without the secret was processed: %q", m.Text)
		}
	}
	if n := len(e.TG.CallsTo("getUpdates")); n != 0 {
		t.Errorf("%d getUpdates calls in webhook mode", n)
	}
}

// Webhook mode always has a secret: without a configured one the bot makes
// one, keeps it in Redis for the other replicas, gives it to Telegram, and
// refuses updates without it.
func TestWebhookGeneratesASecret(t *testing.T) {
	addr := freeAddr(t)
	url := "http://" + addr + "/hook"
	e := apptest.Start(t, apptest.WithEnv("CADREBOT_HTTP_ADDR", addr, "CADREBOT_WEBHOOK_URL", url))
	calls := e.TG.CallsTo("setWebhook")
	if len(calls) != 1 {
		t.Fatalf("%d setWebhook calls, want 1", len(calls))
	}
	secret := calls[0].Params["secret_token"]
	if len(secret) < 32 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		t.Fatalf("generated secret %q: want at least 32 characters of [A-Za-z0-9_-]", secret)
	}
	kept, err := e.DB.WebhookSecret(context.Background(), "another-candidate")
	if err != nil || kept != secret {
		t.Fatalf("secret kept in Redis = %q, %v; want the one given to Telegram", kept, err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(`{"update_id":1}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an update without the secret: status %d, want 401", resp.StatusCode)
	}
	g := e.TG.Group(-100501, "g")
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入名单")
}

// A webhook replica that died with updates in its inbox leaves them to
// the others, which handle them once it has been silent long enough.
func TestWebhookAdoptsADeadReplicasUpdates(t *testing.T) {
	addr := freeAddr(t)
	e := apptest.Start(t, apptest.WithEnv("CADREBOT_HTTP_ADDR", addr, "CADREBOT_WEBHOOK_URL", "http://"+addr+"/hook"))
	g := e.TG.Group(-100502, "g")
	u := models.Update{ID: 777001, Message: &models.Message{ID: 1, Date: int(e.Clock.Now().Unix()), Chat: g,
		From: &apptest.Li, Text: "/join", Entities: []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}}}
	raw, _ := json.Marshal(u)
	long := time.Now().Add(-time.Minute)
	if ok, err := e.DB.WebhookAdd(context.Background(), "dead-replica", u.ID, raw, long); err != nil || !ok {
		t.Fatalf("WebhookAdd = %v, %v", ok, err)
	}
	e.WaitSent(g.ID, "李强 已加入名单")
	e.Drain()
	if n := countSent(e, g.ID, "已加入名单"); n != 1 {
		t.Errorf("%d answers, want 1", n)
	}
}
