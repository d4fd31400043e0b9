package app_test

import (
	"net/http"
	"testing"
	"time"

	"cadrebot/apptest"
)

// TestRedisOutageIsSurvived stops Redis under a running bot. A message
// sent during the outage is not taken from Telegram until the bot can keep
// it, so it is handled once Redis is back, without being sent again.
func TestRedisOutageIsSurvived(t *testing.T) {
	rs := apptest.StartRedisServer(t)
	e := apptest.Start(t, apptest.WithEnv("REDIS_URL", rs.URL()))
	g := e.TG.Group(-100501, "g")
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入名单")

	rs.Kill()
	e.TG.SendText(g, apptest.Li, "/join")
	resp, err := http.Get("http://" + e.App.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down = %d, want 503", resp.StatusCode)
	}

	rs.Start()
	// The same process recovers by itself, with no restart: readiness
	// comes back once the client's reconnect backoff lets it dial again.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + e.App.Addr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover within 30s of Redis coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.WaitSent(g.ID, "李强 已加入名单")
	e.TG.SendText(g, apptest.Zhang, "/join")
	e.WaitSent(g.ID, "张伟 已加入名单")
}
