package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/telegramtest"
)

// Supergroup migration: Telegram gives a group a new chat id when it grows
// past 200 members or shows its history, and the bot must carry on there
// with everything it knew (store/migrate.go).

// A department whose chat_id is in the config keeps getting its cards
// after its group became a supergroup, and its handlers can act there,
// without anyone editing the config or sending /bind.
func TestMigrationConfigDepartmentFollows(t *testing.T) {
	yaml := strings.Replace(apptest.DefaultYAML, "chat_id: -1002,", "chat_id: -4202,", 1)
	p := startProblems(t, apptest.WithYAML(yaml))
	old := p.TG.BasicGroup(-4202, "交通运输局工作群")
	p.TG.SetMember(old.ID, apptest.Handler.ID, telegramtest.StatusMember)
	p.TG.SendText(old, apptest.Handler, "/problems") // the bot has seen the group
	p.Drain()

	super := p.TG.Migrate(old, -1004202)
	p.Drain()
	_, n := p.report(p.v1, apptest.Wang, "村口路灯不亮", "停车与交通")
	card := p.card(super.ID, n)
	if got := p.problem(n); got.Undeliverable || got.Cards[super.ID] != card.ID {
		t.Fatalf("problem after the card: undeliverable %v, cards %v", got.Undeliverable, got.Cards)
	}
	p.TG.SendText(super, apptest.Handler, "/accept 1")
	p.last(p.v1.ID, "#1 已由 交通运输局 受理")
	if got := p.problem(n).Status; got != cadrebot.StatusAccepted {
		t.Errorf("status after /accept in the supergroup = %s", got)
	}
	// The config file is as written; the move is Redis' to remember.
	if p.Cfg.File.Departments[0].ChatID != -4202 {
		t.Errorf("config changed: %+v", p.Cfg.File.Departments[0])
	}
}

// A department moved to another chat with /bind stays there when the chat
// it left becomes a supergroup.
func TestMigrationRebindNotPulledBack(t *testing.T) {
	p := startProblems(t)
	first := p.TG.BasicGroup(-4301, "交通局旧群")
	p.TG.SendText(first, apptest.Admin, "/bind traffic")
	p.Confirm(first, apptest.Admin, "确认把本群绑定为")
	second := p.TG.Group(-1004302, "交通局新群")
	p.TG.SendText(second, apptest.Admin, "/bind traffic")
	if m := p.Confirm(second, apptest.Admin, "不再发到「交通局旧群」"); !strings.Contains(m.Text, "本群已绑定为") {
		t.Errorf("confirmed /bind answered %q", m.Text)
	}

	super := p.TG.Migrate(first, -1004301)
	p.Drain()
	_, n := p.report(p.v1, apptest.Wang, "村口路灯不亮", "停车与交通")
	p.card(second.ID, n)
	if got := p.count(super.ID, "#1 "); got != 0 {
		t.Errorf("%d card(s) in the migrated chat the department left", got)
	}
	chats, err := p.DB.DepartmentChats(context.Background())
	if err != nil || chats["traffic"] != second.ID {
		t.Errorf("traffic bound to %d (%v), want %d", chats["traffic"], err, second.ID)
	}
	if g, err := p.DB.Group(context.Background(), super.ID); err != nil || g.Dept != "" {
		t.Errorf("migrated chat = %+v, %v; want no department", g, err)
	}
}

// A village listed in the config stays one village after its group
// migrated and the bot restarted.
func TestMigrationConfigVillageNotDuplicated(t *testing.T) {
	yaml := apptest.DefaultYAML + `
villages:
  - {chat_id: -4401, name: 谢家坞村, town: 平水镇}
`
	e := apptest.Start(t, apptest.WithYAML(yaml))
	old := e.TG.BasicGroup(-4401, "谢家坞村工作群")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "王芳 已加入名单")
	super := e.TG.Migrate(old, -1004401, telegramtest.NewChatFirst())
	e.Drain()
	e.Restart()

	ctx := context.Background()
	ids, err := e.DB.GroupIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := e.DB.Groups(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var villages []int64
	for _, g := range gs {
		if g.IsVillage() {
			villages = append(villages, g.ChatID)
		}
	}
	if len(villages) != 1 || villages[0] != super.ID {
		t.Fatalf("village groups after migration and restart = %v, want only %d", villages, super.ID)
	}
	if _, err := e.DB.Group(ctx, old.ID); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("the old chat id is back: %v", err)
	}
	e.TG.SendText(super, apptest.Wang, "/today")
	if m := e.WaitSent(super.ID, "今日打卡"); !strings.Contains(m.Text, "谢家坞村") || !strings.Contains(m.Text, "王芳") {
		t.Errorf("/today in the supergroup:\n%s", m.Text)
	}
}

// What the new supergroup got before the migration was handled is merged
// with the old group, not overwritten by it: a check-in made there stays
// its author's, and the old group's settings and history are kept.
func TestMigrationMergesNewChatData(t *testing.T) {
	friday := time.Date(2026, 11, 27, 8, 0, 0, 0, apptest.Shanghai)
	e := apptest.Start(t, apptest.WithTime(friday))
	old := e.TG.BasicGroup(-4501, "谢家坞村工作群")
	e.MakeAdmin(old.ID, apptest.Li)
	e.TG.SendText(old, apptest.Li, "/setup 谢家坞村 平水镇")
	e.WaitSent(old.ID, "本群服务")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "王芳 已加入名单（本群共 1 人）")
	e.TG.SendText(old, apptest.Li, "/join")
	e.WaitSent(old.ID, "李强 已加入名单（本群共 2 人）")
	waitReaction(t, e, old.ID, e.TG.SendText(old, apptest.Wang, "/checkin 周五走访"))
	e.Drain()

	// Monday: the group becomes a supergroup, and Li works there before
	// the bot hears of the migration: she sets the village up again
	// (without the town) and checks in.
	e.Clock.Set(apptest.Monday0800)
	mig := e.TG.BeginMigrate(old, -1004501)
	super := mig.Chat
	e.TG.SendText(super, apptest.Li, "/setup 谢家坞")
	e.WaitSent(super.ID, "本群服务")
	waitReaction(t, e, super.ID, e.TG.SendText(super, apptest.Li, "/checkin 新群第一天"))
	e.Drain()
	mig.Announce()
	e.Drain()

	ctx := context.Background()
	g, err := e.DB.Group(ctx, super.ID)
	if err != nil || g.Village != "谢家坞村" || g.Town != "平水镇" {
		t.Fatalf("merged group = %+v, %v; want the old group's village and town", g, err)
	}
	mon, err := e.DB.CheckinDay(ctx, super.ID, calendar.DateOf(apptest.Monday0800))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := mon.Details[apptest.Li.ID]; !ok || c.Note != "新群第一天" || len(mon.Details) != 1 {
		t.Errorf("Monday's check-ins = %+v; want Li's alone", mon.Details)
	}
	fri, err := e.DB.CheckinDay(ctx, super.ID, calendar.DateOf(friday))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := fri.Details[apptest.Wang.ID]; !ok || c.Note != "周五走访" || len(fri.Details) != 1 {
		t.Errorf("Friday's check-ins = %+v; want Wang's alone", fri.Details)
	}
	e.TG.SendText(super, apptest.Wang, "/today")
	today := e.WaitSent(super.ID, "📋 今日打卡 · 谢家坞村")
	for _, want := range []string{"已打卡 1/2", "李强 08:00", "新群第一天", "⏳ 未打卡：王芳"} {
		if !strings.Contains(today.Text, want) {
			t.Errorf("/today lacks %q:\n%s", want, today.Text)
		}
	}
}

// An upgrade made by an anonymous admin is announced by GroupAnonymousBot
// on behalf of the group; the bot follows it all the same.
func TestMigrationByAnonymousAdmin(t *testing.T) {
	e := apptest.Start(t)
	old := e.TG.BasicGroup(-4601, "谢家坞村工作群")
	e.TG.SendText(old, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(old.ID, "本群服务")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "王芳 已加入名单")

	super := e.TG.Migrate(old, -1004601, telegramtest.Anonymously())
	e.Drain()
	ctx := context.Background()
	if g, err := e.DB.Group(ctx, super.ID); err != nil || g.Village != "谢家坞村" {
		t.Fatalf("supergroup = %+v, %v", g, err)
	}
	if _, err := e.DB.Group(ctx, old.ID); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("data left under the old id: %v", err)
	}
	e.TG.SendText(super, apptest.Li, "/join")
	e.WaitSent(super.ID, "李强 已加入名单（本群共 2 人）")
}

// A chat approved in the config (approval: true) stays approved under its
// new id.
func TestMigrationKeepsConfigApproval(t *testing.T) {
	yaml := strings.Replace(apptest.DefaultYAML, "approval: false", "approval: true\napproved_chats: [-4701]", 1)
	e := apptest.Start(t, apptest.WithYAML(yaml))
	e.TG.Group(-1002, "交通运输局")
	old := e.TG.BasicGroup(-4701, "谢家坞村工作群")
	e.TG.SendText(old, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(old.ID, "本群服务")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "王芳 已加入名单")
	super := e.TG.Migrate(old, -1004701)
	e.Drain()
	e.TG.SendText(super, apptest.Li, "/join")
	e.WaitSent(super.ID, "李强 已加入名单（本群共 2 人）")
	// Still approved under its new id: a report goes to its department.
	e.TG.SendText(super, apptest.Li, "/report 园区门口没有停车线")
	prompt := e.WaitSent(super.ID, "请选择问题分类")
	e.TG.PressButton(super, apptest.Li, prompt.ID, "停车与交通")
	e.WaitSent(-1002, "园区门口没有停车线")
}

// The two announcements in the worst order: the new chat's is handled
// first, and the old chat's arrives after the move is recorded (the
// intake then hands the old chat's updates to the new chat). The second
// run finds nothing to merge and must not touch the supergroup.
func TestMigrationAnnouncedNewChatFirst(t *testing.T) {
	e := apptest.Start(t)
	old := e.TG.BasicGroup(-4801, "谢家坞村工作群")
	e.TG.SendText(old, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(old.ID, "本群服务")
	e.TG.SendText(old, apptest.Wang, "/join")
	e.WaitSent(old.ID, "王芳 已加入名单")

	mig := e.TG.BeginMigrate(old, -1004801)
	mig.AnnounceNew()
	e.Drain()
	mig.AnnounceOld()
	e.Drain()
	ctx := context.Background()
	if g, err := e.DB.Group(ctx, mig.Chat.ID); err != nil || g.Village != "谢家坞村" {
		t.Fatalf("supergroup after both announcements = %+v, %v", g, err)
	}
	// The config's department chats are registered too; of the village,
	// only the supergroup is.
	ids, err := e.DB.GroupIDs(ctx)
	if err != nil || !slices.Contains(ids, mig.Chat.ID) || slices.Contains(ids, old.ID) {
		t.Errorf("registered groups = %v, %v; want the supergroup and not the old group", ids, err)
	}
	e.TG.SendText(mig.Chat, apptest.Li, "/join")
	e.WaitSent(mig.Chat.ID, "李强 已加入名单（本群共 2 人）")
}
