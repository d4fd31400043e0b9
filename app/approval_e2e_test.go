package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// approvalYAML is the default deployment with approval on (the default of
// the config) and one chat approved in advance.
var approvalYAML = strings.Replace(apptest.DefaultYAML, "approval: false", "approval: true\napproved_chats: [-100600]", 1)

// A stranger can add the bot to a group of their own and name it a
// village, but nothing they report reaches a department until a
// deployment admin approves the group: the group works otherwise, the
// report is held and said to be, and the admin gets a button. Approving
// files what was held.
func TestApprovalHoldsReports(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(approvalYAML))
	e.TG.Group(-1002, "交通运输局")
	e.TG.StartPrivate(apptest.Admin)
	g := e.TG.Group(-100970, "假村群")
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/setup 假村")
	e.WaitSent(g.ID, "本群服务")
	e.TG.SendText(g, apptest.Li, "/join")
	e.WaitSent(g.ID, "李强 已加入名单")
	ci := e.TG.SendText(g, apptest.Li, "打卡")
	waitReaction(t, e, g.ID, ci)

	e.TG.SendText(g, apptest.Wang, "/report 有人在园区门口乱停车")
	prompt := e.WaitSent(g.ID, "请选择问题分类")
	e.TG.PressButton(g, apptest.Wang, prompt.ID, "停车与交通")
	e.Wait("the report held", func() bool {
		m, ok := e.TG.Message(g.ID, prompt.ID)
		return ok && strings.Contains(m.Text, "尚未获部署管理员批准")
	})
	e.Drain()
	if n := countText(e, -1002, "园区门口"); n != 0 {
		t.Fatalf("a report of an unapproved group reached the department chat")
	}
	ask := e.WaitSent(apptest.Admin.ID, "尚未获批准")
	if !strings.Contains(ask.Text, "假村群") {
		t.Errorf("approval request = %q, want the group named", ask.Text)
	}

	// Only a deployment admin may press it.
	press := func(by models.User) telegramtest.Callback {
		id, err := e.TG.PressButton(e.TG.Private(apptest.Admin), by, ask.ID, "✅ 批准本群")
		if err != nil {
			t.Fatal(err)
		}
		var cb telegramtest.Callback
		e.Wait("the press answered", func() bool {
			c, ok := e.TG.CallbackAnswer(id)
			cb = c
			return ok && c.Answered
		})
		return cb
	}
	if cb := press(apptest.Wang); !cb.ShowAlert {
		t.Errorf("a press by someone else was not refused: %+v", cb)
	}
	// Forged approvals: another group's id on this message, this group's
	// id on a message that offers no approval.
	forged := func(msg int, data string) {
		t.Helper()
		id := e.TG.Press(e.TG.Private(apptest.Admin), apptest.Admin, msg, data)
		e.Wait("the forged press answered", func() bool {
			c, ok := e.TG.CallbackAnswer(id)
			if ok && c.Answered && (!c.ShowAlert || !strings.Contains(c.Text, notOffered)) {
				t.Errorf("forged %q answered %+v, want refused", data, c)
			}
			return ok && c.Answered
		})
		if g, err := e.DB.Group(context.Background(), -100973); err == nil && g.Approved {
			t.Errorf("forged %q approved a group", data)
		}
	}
	forged(ask.ID, "ap:-100973")
	hello := e.TG.SendText(e.TG.Private(apptest.Admin), apptest.Admin, "/help")
	e.Drain()
	forged(hello.ID+1, "ap:-100970")
	if g, err := e.DB.Group(context.Background(), g.ID); err != nil || g.Approved {
		t.Fatalf("the group was approved by a forgery: %+v, %v", g, err)
	}
	if cb := press(apptest.Admin); cb.ShowAlert {
		t.Fatalf("the admin's approval was refused: %+v", cb)
	}
	e.WaitSent(-1002, "园区门口乱停车")
	e.WaitSent(g.ID, "此前暂存的 1 个问题已提交相关部门")

	// From now on reports go straight to the department.
	e.TG.SendText(g, apptest.Wang, "/report 路口红绿灯不亮")
	var p2 *models.Message
	e.Wait("the second report's categories", func() bool {
		for _, m := range e.TG.Sent(g.ID) {
			if m.ID > prompt.ID && strings.Contains(m.Text, "请选择问题分类") {
				p2 = m
			}
		}
		return p2 != nil
	})
	if _, err := e.TG.PressButton(g, apptest.Wang, p2.ID, "停车与交通"); err != nil {
		t.Fatal(err)
	}
	// The first one, filed now, is offered as a possible duplicate.
	e.Wait("the duplicate question", func() bool {
		m, ok := e.TG.Message(g.ID, p2.ID)
		return ok && strings.Contains(m.Text, "登记前请看一下")
	})
	if _, err := e.TG.PressButton(g, apptest.Wang, p2.ID, "不是同一件，新登记"); err != nil {
		t.Fatal(err)
	}
	e.WaitSent(-1002, "路口红绿灯不亮")
}

// /approve in the group files the held reports too; a chat approved in
// the config never holds any.
func TestApproveCommandAndPreApproved(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(approvalYAML))
	e.TG.Group(-1002, "交通运输局")
	e.TG.Group(-1004, "生态环境分局")
	g := e.TG.Group(-100971, "东山村群")
	e.TG.SendText(g, apptest.Admin, "/setup 东山村")
	e.WaitSent(g.ID, "本群服务")
	e.TG.SendText(g, apptest.Li, "/report 河道有垃圾")
	prompt := e.WaitSent(g.ID, "请选择问题分类")
	e.TG.PressButton(g, apptest.Li, prompt.ID, "环境卫生")
	e.Drain()
	if n := countText(e, -1004, "河道有垃圾"); n != 0 {
		t.Fatal("a held report reached the department")
	}
	e.TG.SendText(g, apptest.Li, "/approve")
	e.WaitSent(g.ID, "只有部署管理员")
	e.TG.SendText(g, apptest.Admin, "/approve")
	e.WaitSent(-1004, "河道有垃圾")

	pre := e.TG.Group(-100600, "谢家坞村群")
	e.TG.SendText(pre, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(pre.ID, "本群服务")
	e.TG.SendText(pre, apptest.Wang, "/report 村口路灯坏了")
	pp := e.WaitSent(pre.ID, "请选择问题分类")
	e.TG.PressButton(pre, apptest.Wang, pp.ID, "停车与交通")
	e.WaitSent(-1002, "村口路灯坏了")
}

// A deployment without admins says so at start and when a report is
// held, with the line to add to the config.
func TestNoAdminsConfigured(t *testing.T) {
	yaml := strings.Replace(approvalYAML, "admins: [9001]", "admins: []", 1)
	e := apptest.Start(t, apptest.WithYAML(yaml))
	if !strings.Contains(e.Log.String(), "no deployment admins configured") {
		t.Error("no warning at start about missing deployment admins")
	}
	g := e.TG.Group(-100972, "村群")
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/setup 新村")
	set := e.WaitSent(g.ID, "本群服务 <b>新村</b>")
	for _, want := range []string{"问题上报要等部署管理员批准", "admins: ["} {
		if !strings.Contains(set.Text, want) {
			t.Errorf("/setup's answer lacks %q:\n%s", want, set.Text)
		}
	}
	e.TG.SendText(g, apptest.Wang, "/report 路灯坏了")
	prompt := e.WaitSent(g.ID, "请选择问题分类")
	e.TG.PressButton(g, apptest.Wang, prompt.ID, "停车与交通")
	e.Wait("the held report's note", func() bool {
		m, ok := e.TG.Message(g.ID, prompt.ID)
		return ok && strings.Contains(m.Text, "admins: [")
	})
}
