package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cadrebot/apptest"
	"cadrebot/storetest"
	"cadrebot/telegramtest"
)

// canary is a bot token that must appear nowhere: no log line at any
// level, no Redis value, no metric.
const canary = "987654:CANARY-never-anywhere-7Qx2"

// TestTokenAppearsNowhere drives every way a Bot API call can fail while
// the token is in play: error pages that echo the request path (a reverse
// proxy's, or a self-hosted Bot API server's 404), 5xx and 4xx answers
// whose description echoes it, connections cut mid-call (Go's url.Error
// carries the URL), at startup, while polling, replying, reacting and
// sending from the outbox. Then it searches the whole log at debug level,
// every Redis key the bot wrote and /metrics for the token in any form.
func TestTokenAppearsNowhere(t *testing.T) {
	tg := telegramtest.New().Start()
	t.Cleanup(tg.Close)
	path := "/bot" + canary + "/sendMessage"
	echo := func(code int) telegramtest.Fault {
		return telegramtest.Fault{Code: code, Description: "Bad Request: cannot route " + path}
	}
	tg.FailNext("getMe", 1, telegramtest.Fault{Page: true, Code: 502})
	tg.FailNext("setMyCommands", 1, telegramtest.Fault{Page: true})
	tg.FailNext("getUpdates", 1, telegramtest.Fault{Page: true})
	e := apptest.Start(t, apptest.WithServer(tg), apptest.WithEnv("TELEGRAM_BOT_TOKEN", canary))

	g := e.TG.Group(-100901, "谢家坞村工作群")
	e.TG.SendText(g, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(g.ID, "本群服务")

	// A reply refused with a page, then with a 4xx and a 5xx echoing the
	// path, then a connection cut: each fails its handler and is logged.
	for _, f := range []telegramtest.Fault{{Page: true}, echo(400), echo(502), {Drop: true}} {
		tg.FailNext("sendMessage", 1, f)
		e.TG.SendText(g, apptest.Wang, "/roster")
		e.Drain()
	}
	// A check-in whose reaction fails goes to a reply through the outbox,
	// which fails for good: recorded as undeliverable, with its reason.
	tg.FailNext("setMessageReaction", 1, echo(502))
	tg.FailNext("sendMessage", 2, echo(400))
	e.TG.SendText(g, apptest.Li, "打卡")
	e.Drain()
	// A button press whose answer fails.
	tg.FailNext("answerCallbackQuery", 1, echo(400))
	e.TG.SendText(g, apptest.Wang, "/report 路灯坏了")
	prompt := e.WaitSent(g.ID, "请选择问题分类")
	e.TG.PressButton(g, apptest.Wang, prompt.ID, "停车与交通")
	e.Drain()

	forms := []string{canary, url.PathEscape(canary), url.QueryEscape(canary), strings.SplitN(canary, ":", 2)[1]}
	find := func(where, s string) {
		for _, f := range forms {
			if strings.Contains(s, f) {
				i := strings.Index(s, f)
				t.Errorf("the token appears in %s: ...%s...", where, s[max(0, i-80):min(len(s), i+len(f)+20)])
				return
			}
		}
	}
	if n := len(tg.CallsTo("sendMessage")); n < 5 {
		t.Fatalf("only %d sendMessage calls: the error paths were not driven", n)
	}
	find("the log", e.Log.String())
	find("Redis", dumpPrefix(t, e.Prefix))
	resp, err := http.Get("http://" + e.App.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	find("/metrics", string(body))
	// The failures were logged and recorded, redacted, rather than not at
	// all: the search above would pass vacuously otherwise.
	if !strings.Contains(e.Log.String(), "/bot***/") {
		t.Error("no redacted error in the log: the error paths logged nothing")
	}
	if !strings.Contains(dumpPrefix(t, e.Prefix), "***") {
		t.Error("no redacted reason in Redis: the undeliverable reply was not recorded")
	}
}

// dumpPrefix renders every key under prefix and its value as text.
func dumpPrefix(t *testing.T, prefix string) string {
	t.Helper()
	rdb := apptest.NewRedis(t)
	defer rdb.Close()
	ctx := context.Background()
	var b strings.Builder
	for _, k := range storetest.Keys(t, rdb, prefix) {
		typ, _ := rdb.Type(ctx, k).Result()
		var v any
		switch typ {
		case "string":
			v, _ = rdb.Get(ctx, k).Result()
		case "hash":
			v, _ = rdb.HGetAll(ctx, k).Result()
		case "list":
			v, _ = rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, _ = rdb.SMembers(ctx, k).Result()
		case "zset":
			v, _ = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, _ = rdb.XRange(ctx, k, "-", "+").Result()
		}
		fmt.Fprintf(&b, "%s %s %v\n", k, typ, v)
	}
	return b.String()
}
