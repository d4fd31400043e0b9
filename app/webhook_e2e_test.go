package app_test

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"

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
	e.WaitSent(g.ID, "王芳 已加入名单（共 1 人）")
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "forged") {
			t.Errorf("an update without the secret was processed: %q", m.Text)
		}
	}
	if n := len(e.TG.CallsTo("getUpdates")); n != 0 {
		t.Errorf("%d getUpdates calls in webhook mode", n)
	}
}
