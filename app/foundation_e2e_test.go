package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

const village = -100501

func TestStartAndHelp(t *testing.T) {
	e := apptest.Start(t)
	dm := e.TG.Private(apptest.Wang)
	e.TG.SendText(dm, apptest.Wang, "/start")
	e.WaitSent(dm.ID, "cadrebot 驻村助手")

	en := e.TG.Private(apptest.Emma)
	e.TG.SendText(en, apptest.Emma, "/start")
	e.WaitSent(en.ID, "the village assistant")

	g := e.TG.Group(village, "谢家坞村工作群")
	e.TG.SendText(g, apptest.Wang, "/help")
	m := e.WaitSent(g.ID, "/join")
	if !strings.Contains(m.Text, "加入本群驻村指导员名单") {
		t.Errorf("group help lacks the Chinese command list: %q", m.Text)
	}
	e.TG.SendText(g, apptest.Wang, "/nosuchthing")
	e.WaitSent(g.ID, "未知命令 /nosuchthing")
}

func TestCommandMenuIsLocalized(t *testing.T) {
	e := apptest.Start(t)
	e.Wait("setMyCommands for en", func() bool { return len(e.TG.Commands("default", "en")) > 0 })
	zh, en := e.TG.Commands("default", ""), e.TG.Commands("default", "en")
	if len(zh) == 0 || len(zh) != len(en) {
		t.Fatalf("menus: zh %d entries, en %d", len(zh), len(en))
	}
	if zh[0].Description == en[0].Description {
		t.Errorf("zh and en menus have the same description %q", zh[0].Description)
	}
}

func TestSetupBindJoinRoster(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "谢家坞村工作群")

	e.TG.SendText(g, apptest.Li, "/setup 谢家坞村 平水镇")
	e.WaitSent(g.ID, "只有群管理员可以")

	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/setup 谢家坞村 平水镇")
	e.WaitSent(g.ID, "本群服务 <b>谢家坞村</b>")
	grp, err := e.DB.Group(context.Background(), g.ID)
	if err != nil || grp.Village != "谢家坞村" || grp.Town != "平水镇" {
		t.Fatalf("group after /setup = %+v, %v", grp, err)
	}

	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入名单（本群共 1 人）")
	e.TG.SendText(g, apptest.Li, "/join")
	e.WaitSent(g.ID, "李强 已加入名单（本群共 2 人）")
	e.TG.SendText(g, apptest.Li, "/join")
	e.WaitSent(g.ID, "李强 已在名单中")

	e.TG.AddMembers(g, apptest.Wang, apptest.Zhang)
	e.WaitSent(g.ID, "欢迎 张伟")
	e.TG.RemoveMember(g, apptest.Li, apptest.Li)
	e.Drain()
	roster, err := e.DB.Roster(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range roster {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, ","); got != "王芳,张伟" {
		t.Errorf("roster = %s, want 王芳,张伟", got)
	}

	dept := e.TG.Group(-100777, "交通运输局工作群")
	e.TG.SendText(dept, apptest.Handler, "/bind traffic")
	e.WaitSent(dept.ID, "只有部署管理员可以")
	e.TG.SendText(dept, apptest.Admin, "/bind nosuch")
	e.WaitSent(dept.ID, "没有编号为 nosuch 的部门")
	e.TG.SendText(dept, apptest.Admin, "/bind traffic")
	if m := e.Confirm(dept, apptest.Admin, "确认把本群绑定为"); !strings.Contains(m.Text, "本群已绑定为 交通运输局") {
		t.Errorf("confirmed /bind answered %q", m.Text)
	}
	chats, err := e.DB.DepartmentChats(context.Background())
	if err != nil || chats["traffic"] != dept.ID {
		t.Errorf("department chats = %v, %v; want traffic -> %d", chats, err, dept.ID)
	}
}

func TestMigrationKeepsData(t *testing.T) {
	e := apptest.Start(t)
	old := e.TG.BasicGroup(-4001, "谢家坞村")
	e.MakeAdmin(old.ID, apptest.Wang)
	e.TG.SendText(old, apptest.Wang, "/setup 谢家坞村")
	e.WaitSent(old.ID, "谢家坞村")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "已加入名单")

	super := e.TG.Migrate(old, -1004001)
	e.Drain()
	ctx := context.Background()
	g, err := e.DB.Group(ctx, super.ID)
	if err != nil || g.Village != "谢家坞村" {
		t.Fatalf("group under the new id = %+v, %v", g, err)
	}
	if _, err := e.DB.Group(ctx, old.ID); err == nil {
		t.Errorf("data still under the old chat id")
	}
	e.TG.SendText(super, apptest.Li, "/join")
	e.WaitSent(super.ID, "李强 已加入名单（本群共 2 人）")
}

func TestHTMLInUserTextIsEscaped(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "g")
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/setup <b>村&amp;</b> *镇_")
	m := e.WaitSent(g.ID, "本群服务")
	if !strings.Contains(m.Text, "<b>村&amp;</b>") || !strings.Contains(m.Text, "*镇_") {
		t.Errorf("reply lost the user's characters: %q", m.Text)
	}
}

func TestLongTextIsSplit(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "g")
	for i := 0; i < 60; i++ {
		u := models.User{ID: int64(5000 + i), FirstName: fmt.Sprintf("%03d-%s", i, strings.Repeat("长", 60))}
		e.TG.SendText(g, u, "/join")
	}
	e.Drain()
	e.TG.SendText(g, apptest.Wang, "/roster")
	e.WaitSent(g.ID, "本群名单")
	e.Drain()
	var parts int
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "长长长") && !strings.Contains(m.Text, "已加入") {
			parts++
			if n := len([]rune(m.Text)); n > 4096 {
				t.Errorf("a message of %d characters was sent", n)
			}
		}
	}
	if parts < 2 {
		t.Errorf("roster of ~4000+ characters came in %d message(s), want it split", parts)
	}
}

func TestIgnoresChannelsAndBots(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "g")
	e.TG.FromChannel(g, models.Chat{ID: -100999, Type: "channel", Title: "news"}, "/join")
	e.TG.SendAsBot(g, models.User{ID: 777, IsBot: true, FirstName: "otherbot"}, "/join")
	e.TG.SendText(g, apptest.Wang, "/join@some_other_bot")
	e.Drain()
	if sent := e.TG.Sent(g.ID); len(sent) != 0 {
		t.Errorf("bot answered channels/bots/other bots' commands: %q", sent[0].Text)
	}
}

func TestDuplicateUpdateProcessedOnce(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "g")
	id := e.TG.Push(models.Update{Message: &models.Message{ID: 1, Date: int(e.Clock.Now().Unix()), Chat: g,
		From: &apptest.Wang, Text: "/join", Entities: []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}}})
	e.WaitSent(g.ID, "已加入名单")
	e.Drain()
	if !e.TG.Redeliver(id) {
		t.Fatal("could not redeliver")
	}
	e.Drain()
	e.TG.SendText(g, apptest.Li, "/roster")
	e.WaitSent(g.ID, "本群名单")
	count := 0
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "已加入名单") || strings.Contains(m.Text, "已在名单中") {
			count++
		}
	}
	if count != 1 {
		t.Errorf("a redelivered /join was answered %d times, want 1", count)
	}
}

func TestRestartKeepsOffset(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(village, "g")
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入")
	e.Drain()
	ctx := context.Background()
	before, err := e.DB.Offset(ctx)
	if err != nil || before == 0 {
		t.Fatalf("offset after the first batch = %d, %v", before, err)
	}

	e.Stop()
	// Messages sent while the bot is down are handled after the restart,
	// once each.
	e.TG.SendText(g, apptest.Li, "/join")
	e.TG.SendText(g, apptest.Zhang, "/join")
	e.Restart()
	e.WaitSent(g.ID, "张伟 已加入名单（本群共 3 人）")
	e.Drain()
	first := e.TG.CallsTo("getUpdates")
	var resumed bool
	for _, c := range first {
		if c.Params["offset"] == fmt.Sprint(before) {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("no getUpdates call resumed from the stored offset %d", before)
	}
	joins := 0
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "已加入名单") {
			joins++
		}
	}
	if joins != 3 {
		t.Errorf("%d join answers, want 3 (no update lost or replayed)", joins)
	}
}

func TestFloodControl(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(apptest.DefaultYAML+"flood: {commands: 5, window: 1h}\n"))
	g := e.TG.Group(village, "g")
	for i := 0; i < 12; i++ {
		e.TG.SendText(g, apptest.Wang, "/roster")
	}
	e.Drain()
	var rosters, slow int
	for _, m := range e.TG.Sent(g.ID) {
		switch {
		case strings.Contains(m.Text, "名单为空"):
			rosters++
		case strings.Contains(m.Text, "操作太频繁"):
			slow++
		}
	}
	if rosters != 5 || slow != 1 {
		t.Errorf("got %d answers and %d slow-down notes, want 5 and 1", rosters, slow)
	}
	// Another user is not affected.
	e.TG.SendText(g, apptest.Li, "/roster")
	e.Wait("Li's answer", func() bool {
		n := 0
		for _, m := range e.TG.Sent(g.ID) {
			if strings.Contains(m.Text, "名单为空") {
				n++
			}
		}
		return n == 6
	})
}

func TestHTTPEndpoints(t *testing.T) {
	e := apptest.Start(t)
	base := "http://" + e.App.Addr()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "cadrebot_updates_total"} {
		g := e.TG.Group(village, "g")
		e.TG.SendText(g, apptest.Wang, "/help")
		e.Drain()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %q..., want 200 with %q", path, resp.StatusCode, firstN(string(body), 80), want)
		}
	}
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var _ = telegramtest.ReplyTo
var _ = time.Second
