package app_test

import (
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// With BotFather's default privacy mode and the bot not an admin, a plain
// "打卡" never reaches the bot. The admin is told so, once, when setting
// the group up; /help and the reminders say to use /checkin; /checkin
// works. Once the bot is made an admin it sees everything, and says so no
// more.
func TestPrivacyModeCheckins(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML), apptest.WithTelegram(telegramtest.WithPrivacyMode(true)))
	g := e.TG.Group(-100801, "谢家坞村工作群")
	e.MakeAdmin(g.ID, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/setup 谢家坞村")
	setup := e.WaitSent(g.ID, "本群服务")
	if !strings.Contains(setup.Text, "看不到本群的普通消息") || !strings.Contains(setup.Text, "/setprivacy") {
		t.Errorf("/setup does not say what to do about privacy mode: %q", setup.Text)
	}
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(g.ID, "王芳 已加入名单")

	plain := e.TG.SendText(g, apptest.Wang, "打卡")
	e.Drain()
	if rs := e.TG.Reactions(g.ID, plain.ID); len(rs) != 0 {
		t.Fatal("a plain message reached the bot in privacy mode")
	}
	cmd := e.TG.SendText(g, apptest.Wang, "/checkin")
	waitReaction(t, e, g.ID, cmd)

	e.TG.SendText(g, apptest.Wang, "/help")
	help := e.WaitSent(g.ID, "/help — ")
	if !strings.Contains(help.Text, "单独发送“打卡”我收不到") {
		t.Errorf("/help does not say to use /checkin here: %q", help.Text)
	}

	e.TG.SendText(g, apptest.Li, "/join")
	e.WaitSent(g.ID, "李强 已加入名单")
	fireAt(t, e, time.Date(2026, 11, 30, 10, 0, 0, 0, apptest.Shanghai), 1)
	rs := reminders(e, g.ID)
	if len(rs) != 1 || strings.Contains(rs[0].Text, "或“打卡”") || !strings.Contains(rs[0].Text, "/checkin") {
		t.Fatalf("reminder in a group whose plain messages the bot cannot see = %v; want /checkin only", rs)
	}

	// Made an admin, the bot hears about it (my_chat_member) and sees
	// plain messages; /help stops warning.
	e.TG.SetMember(g.ID, e.App.Me.ID, telegramtest.StatusAdministrator)
	e.Drain()
	li := e.TG.SendText(g, apptest.Li, "打卡")
	waitReaction(t, e, g.ID, li)
	before := countText(e, g.ID, "单独发送“打卡”我收不到")
	e.TG.SendText(g, apptest.Wang, "/help")
	e.Drain()
	if got := countText(e, g.ID, "单独发送“打卡”我收不到"); got != before {
		t.Errorf("/help still warns about privacy mode after the bot became an admin")
	}
}

// The bot introduces itself as what the group is to it: a village group
// from the config, a department's group, a new group that still needs
// /setup or /bind; and in a private chat, what it does there.
func TestWelcomeDependsOnTheChat(t *testing.T) {
	yaml := apptest.DefaultYAML + `
villages:
  - {chat_id: -100811, name: 谢家坞村, town: 兰亭街道}
`
	e := apptest.Start(t, apptest.WithYAML(yaml), apptest.WithTelegram(telegramtest.WithPrivacyMode(true)))
	me := e.App.Me
	tests := []struct {
		name string
		chat int64
		want []string
	}{
		{"config village", -100811, []string{"谢家坞村的驻村助手", "/checkin", "/report"}},
		{"config department", -1002, []string{"交通运输局的部门工作群", "卡片"}},
		{"new group", -100812, []string{"/setup 村名", "/bind 部门编号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := e.TG.Group(tt.chat, tt.name)
			e.TG.SetMember(g.ID, me.ID, telegramtest.StatusLeft)
			e.TG.AddMembers(g, apptest.Admin, me)
			w := e.WaitSent(g.ID, "大家好")
			for _, s := range tt.want {
				if !strings.Contains(w.Text, s) {
					t.Errorf("welcome %q lacks %q", w.Text, s)
				}
			}
			// The bot is not an admin and privacy mode is on: it says so.
			if !strings.Contains(w.Text, "/setprivacy") {
				t.Errorf("welcome does not say what to do about privacy mode: %q", w.Text)
			}
		})
	}
	dm := e.TG.Private(apptest.Wang)
	e.TG.SendText(dm, apptest.Wang, "/start")
	if m := e.WaitSent(dm.ID, "驻村助手"); !strings.Contains(m.Text, "/remindme") || strings.Contains(m.Text, "/bind") {
		t.Errorf("private welcome = %q", m.Text)
	}
}
