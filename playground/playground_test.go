package playground_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
	"cadrebot/config"
	"cadrebot/playground"
)

// demoToday is a Thursday; the demo's "today" is the Wednesday before it,
// 2 December 2026, with history from Wednesday 25 November.
var demoToday = time.Date(2026, 12, 3, 12, 0, 0, 0, apptest.Shanghai)

func testEnv() config.Env {
	return config.Env{HTTPAddr: "127.0.0.1:0", KeyPrefix: "cadrebot:", LogLevel: "info", LogFormat: "text"}
}

// startDemo runs a playground with its seeded history, as `go run
// ./cmd/cadrebot` does, on a random port and the embedded Redis.
func startDemo(t *testing.T, mods ...func(*playground.Options)) *playground.Playground {
	t.Helper()
	logs := &apptest.LogBuffer{}
	opts := playground.Options{Env: testEnv(), Today: demoToday,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, m := range mods {
		m(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := playground.Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		cancel()
		p.Close()
		if t.Failed() {
			t.Logf("playground log:\n%s", logs)
		}
	})
	return p
}

func post(t *testing.T, p *playground.Playground, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := http.PostForm(p.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// events reads the page's event stream in the background.
func events(t *testing.T, p *playground.Playground) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events Content-Type = %q", ct)
	}
	ch := make(chan map[string]any, 256)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev map[string]any
			if json.Unmarshal([]byte(data), &ev) == nil {
				ch <- ev
			}
		}
	}()
	return ch
}

// next waits for an event matching match.
func next(t *testing.T, ch <-chan map[string]any, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended before %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event: %s", what)
		}
	}
}

func TestPageAndEndpoints(t *testing.T) {
	p := startDemo(t, func(o *playground.Options) { o.NoHistory = true })
	tests := []struct {
		path, want string
	}{
		{"/", "谢家坞村"},
		{"/", "交通运输局"},
		{"/", "到下周一 09:00"},
		{"/static/app.js", "EventSource"},
		{"/healthz", "ok"},                                           // the app's, proxied
		{"/metrics", "cadrebot_"},                                    // likewise
		{"/telegram/bot" + playground.Token + "/getMe", `"ok":true`}, // the fake Bot API
	}
	for _, tc := range tests {
		code, body := get(t, p.URL+tc.path)
		if code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, want 200 containing %q; got %.200s", tc.path, code, tc.want, body)
		}
	}
}

func TestSendShowsReplyLive(t *testing.T) {
	p := startDemo(t, func(o *playground.Options) { o.NoHistory = true })
	ch := events(t, p)
	next(t, ch, "the first resync", func(ev map[string]any) bool { return ev["kind"] == "resync" })

	village := jsonNum(playground.Xiejiawu.ID)
	if r := post(t, p, "/act/send", url.Values{"user": {"wang"}, "chat": {village}, "text": {"/help <b>"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("send: %d", r.StatusCode)
	}
	user := next(t, ch, "the visitor's own message", func(ev map[string]any) bool {
		return ev["kind"] == "msg" && strings.Contains(ev["html"].(string), "王芳")
	})
	if h := user["html"].(string); !strings.Contains(h, "/help &lt;b&gt;") {
		t.Errorf("user text not escaped: %s", h)
	}
	next(t, ch, "the bot's help reply", func(ev map[string]any) bool {
		h, _ := ev["html"].(string)
		return ev["kind"] == "msg" && strings.Contains(h, `class="msg bot`) && strings.Contains(h, "cadrebot")
	})

	// A clock jump reaches the page too.
	if r := post(t, p, "/act/clock", url.Values{"to": {"monday9"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("clock: %d", r.StatusCode)
	}
	ev := next(t, ch, "the clock jump", func(ev map[string]any) bool { return ev["kind"] == "clock" })
	got := time.UnixMilli(int64(ev["now"].(float64))).In(apptest.Shanghai)
	if got.Weekday() != time.Monday || got.Hour() != 9 {
		t.Errorf("clock after monday9 = %v, want Monday 09:xx", got)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestActionsRefuseBadInput(t *testing.T) {
	p := startDemo(t, func(o *playground.Options) { o.NoHistory = true })
	village := jsonNum(playground.Xiejiawu.ID)
	tests := []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"unknown user", "/act/send", url.Values{"user": {"nobody"}, "chat": {village}, "text": {"hi"}}, 400},
		{"unknown chat", "/act/send", url.Values{"user": {"wang"}, "chat": {"-42"}, "text": {"hi"}}, 400},
		{"someone else's private chat", "/act/send", url.Values{"user": {"wang"}, "chat": {jsonNum(playground.Li.User.ID)}, "text": {"hi"}}, 400},
		{"empty text", "/act/send", url.Values{"user": {"wang"}, "chat": {village}, "text": {"  "}}, 400},
		{"too long", "/act/send", url.Values{"user": {"wang"}, "chat": {village}, "text": {strings.Repeat("长", 4097)}}, 400},
		{"reply to nothing is ignored", "/act/send", url.Values{"user": {"wang"}, "chat": {village}, "text": {"hi"}, "reply": {"9999"}}, 204},
		{"press without data", "/act/press", url.Values{"user": {"wang"}, "chat": {village}, "msg": {"1"}}, 400},
		{"unknown sample", "/act/photo", url.Values{"user": {"wang"}, "chat": {village}, "sample": {"../demo.yaml"}}, 400},
		{"sample photo", "/act/photo", url.Values{"user": {"wang"}, "chat": {village}, "sample": {"pothole.jpg"}}, 204},
		{"location", "/act/location", url.Values{"user": {"li"}, "chat": {village}, "place": {"away"}}, 204},
		{"own private chat", "/act/send", url.Values{"user": {"li"}, "chat": {jsonNum(playground.Li.User.ID)}, "text": {"/start"}}, 204},
		{"bad clock target", "/act/clock", url.Values{"to": {"yesterday"}}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := post(t, p, tc.path, tc.form); r.StatusCode != tc.want {
				t.Errorf("POST %s = %d, want %d", tc.path, r.StatusCode, tc.want)
			}
		})
	}

	// Another site cannot drive the page from a visitor's browser.
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/act/clock", strings.NewReader("to=hour"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
	}
}

func TestFilesServedForDownload(t *testing.T) {
	p := startDemo(t, func(o *playground.Options) { o.NoHistory = true })
	f := p.TG.AddFile("周报.xlsx", []byte("PK fake workbook"))
	resp, err := http.Get(p.URL + "/file/" + url.PathEscape(f.ID) + "?download=" + url.QueryEscape("周报.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "PK fake workbook" {
		t.Errorf("file body = %q", body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "utf-8''%E5%91%A8%E6%8A%A5.xlsx") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if code, _ := get(t, p.URL+"/file/nope"); code != http.StatusNotFound {
		t.Errorf("unknown file = %d, want 404", code)
	}
}

func transcriptText(p *playground.Playground, chat int64) string {
	var b strings.Builder
	for _, e := range p.TG.Transcript(chat) {
		m := e.Message
		b.WriteString(m.Text + m.Caption + "\n")
	}
	return b.String()
}

// The history is made by acting as users, so its traces are what users
// saw: the bot's answers in the chats.
func TestSeededHistory(t *testing.T) {
	p := startDemo(t)
	village := transcriptText(p, playground.Xiejiawu.ID)
	for _, want := range []string{"/setup 谢家坞村 平水镇", "本群服务 谢家坞村", "欢迎 李强"} {
		if !strings.Contains(village, want) {
			t.Errorf("谢家坞村 transcript lacks %q:\n%s", want, village)
		}
	}
	if got := transcriptText(p, playground.Dongshan.ID); !strings.Contains(got, "本群服务 东山村") {
		t.Errorf("东山村 transcript:\n%s", got)
	}
	// The history ends before the demo's today, which starts at 08:50 on
	// the Wednesday of demoToday's week.
	now := p.Clock.Now().In(apptest.Shanghai)
	if now.Format("2006-01-02") != "2026-12-02" || now.Hour() != 8 || now.Minute() < 50 {
		t.Errorf("demo clock = %v, want 2026-12-02 08:50 and a little", now)
	}
	first := p.TG.Transcript(playground.Xiejiawu.ID)[0].Message
	if d := time.Unix(int64(first.Date), 0).In(apptest.Shanghai); d.Format("2006-01-02") != "2026-11-25" {
		t.Errorf("history starts %v, want 2026-11-25", d)
	}
}

// With REDIS_URL the playground uses that Redis under a fresh prefix of
// its own, so a real deployment's keys on the same server are untouched.
func TestExternalRedis(t *testing.T) {
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	base := apptest.NewPrefix(t) // deleted with everything under it
	p := startDemo(t, func(o *playground.Options) {
		o.NoHistory = true
		o.Env.RedisURL, o.Env.RedisSet, o.Env.KeyPrefix = redisURL, true, base
	})
	if !strings.HasPrefix(p.Prefix, base+"playground:") {
		t.Fatalf("prefix = %q, want under %q", p.Prefix, base+"playground:")
	}
	ch := events(t, p)
	next(t, ch, "the first resync", func(ev map[string]any) bool { return ev["kind"] == "resync" })
	post(t, p, "/act/send", url.Values{"user": {"wang"}, "chat": {jsonNum(playground.Xiejiawu.ID)}, "text": {"/help"}})
	next(t, ch, "the bot's reply", func(ev map[string]any) bool {
		h, _ := ev["html"].(string)
		return strings.Contains(h, `class="msg bot`)
	})
	rdb := apptest.NewRedis(t)
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), p.Prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Errorf("no keys under %s in the external Redis (err %v)", p.Prefix, err)
	}
}

// The seeded reports reach their departments in either language (the
// category buttons are labelled in the bot's language).
func TestSeededProblems(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			p := startDemo(t, func(o *playground.Options) { o.Env.Lang = lang })
			if !hasCommand(p, "report") {
				t.Fatal("the bot has no /report: problem reports are missing from its menu")
			}
			for _, tc := range []struct {
				dept playground.ChatInfo
				want string
			}{{playground.Traffic, "#1"}, {playground.Traffic, "#3"}, {playground.Environment, "#2"}} {
				if got := transcriptText(p, tc.dept.ID); !strings.Contains(got, tc.want) {
					t.Errorf("%s has no card %s:\n%s", tc.dept.Short, tc.want, got)
				}
			}
		})
	}
}

func hasCommand(p *playground.Playground, cmd string) bool {
	for _, c := range p.TG.Commands("", "") {
		if c.Command == cmd {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Moving the clock from the page runs what became due through the real
// scheduler: the 10:00 reminder names who has not checked in, and the
// overdue report escalates to the county office.
func TestClockJumpFiresJobs(t *testing.T) {
	p := startDemo(t)
	if !hasCommand(p, "checkin") {
		t.Fatal("the bot has no /checkin: check-ins are missing from its menu")
	}
	village := playground.Xiejiawu.ID
	before := len(p.TG.Transcript(village))
	if r := post(t, p, "/act/clock", url.Values{"to": {"tomorrow10"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("clock: %d", r.StatusCode)
	}
	waitFor(t, "the 10:00 reminder naming 王芳 and 李强", func() bool {
		for _, e := range p.TG.Transcript(village)[before:] {
			if e.FromBot && strings.Contains(e.Message.Text, "王芳") && strings.Contains(e.Message.Text, "李强") {
				return true
			}
		}
		return false
	})
	if !hasCommand(p, "report") {
		return
	}
	waitFor(t, "#2 escalated to 县驻村办", func() bool {
		return strings.Contains(transcriptText(p, playground.County.ID), "#2")
	})
}

// The demo county has a project, whose first milestone slipped before
// "today", and a jointly handled problem: the environment branch supports
// #1, reports its part, and the village rated the photo-proven fix.
func TestSeededProjectAndJointProblem(t *testing.T) {
	p := startDemo(t)
	if !hasCommand(p, "project") {
		t.Fatal("the bot has no /project: village projects are missing from its menu")
	}
	village := transcriptText(p, playground.Xiejiawu.ID)
	for _, want := range []string{"已创建项目 P1「儿童公园停车场扩建」，负责人 李强", "项目 P1「儿童公园停车场扩建」有节点已逾期",
		"已记录项目 P1「儿童公园停车场扩建」的第 1 条进展", "#1 整改后（办结照片 1 张）", "您的评价：满意（王芳）"} {
		if !strings.Contains(village, want) {
			t.Errorf("谢家坞村 lacks %q:\n%s", want, village)
		}
	}
	env := transcriptText(p, playground.Environment.ID)
	if !strings.Contains(env, "🤝 协办：生态环境分局 ✓") || !strings.Contains(env, "已记录 #1 生态环境分局 的进展") {
		t.Errorf("生态环境分局 has no support card of #1 with its note:\n%s", env)
	}
	if traffic := transcriptText(p, playground.Traffic.ID); !strings.Contains(traffic, "#1 协办部门 生态环境分局 反馈进展") {
		t.Errorf("交通运输局 was not told of the supporter's note:\n%s", traffic)
	}
}
