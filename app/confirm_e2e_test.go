package app_test

import (
	"context"
	"strings"
	"testing"

	"cadrebot/apptest"
)

// A /bind says what it will change and waits for the admin who sent it:
// in a village group it warns that villagers would become handlers, it
// names the chat the cards leave. Someone else's ✅, a forged press and
// a second tap change nothing; ✖️ changes nothing; ✅ binds.
func TestBindAsksFirst(t *testing.T) {
	p := startProblems(t)
	ctx := context.Background()
	// The bot knows the bureau's group by its title once it saw it.
	p.TG.SendText(p.traffic, apptest.Handler, "/help")
	p.last(prTraffic, "/help")
	p.TG.SendText(p.v1, apptest.Admin, "/bind traffic")
	q := p.last(prVillage, "确认把本群绑定为 <b>交通运输局</b>（traffic）的部门工作群吗？")
	for _, want := range []string{"<b>所有成员</b>都将成为交通运输局的办理人员", "不再发到「交通运输局工作群」",
		"⚠️ 本群是 谢家坞 的村工作群", "只有发送命令的人可以确认"} {
		if !has(q, want) {
			t.Errorf("question lacks %q:\n%s", want, q.Text)
		}
	}
	unchanged := func(when string) {
		t.Helper()
		chats, err := p.DB.DepartmentChats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := chats["traffic"]; ok && c == prVillage {
			t.Fatalf("%s: traffic was bound to the village group", when)
		}
	}

	// A villager presses ✅.
	if cb := p.press(p.v1, apptest.Wang, q, "✅ 确认"); !cb.ShowAlert || !strings.Contains(cb.Text, "只有 县驻村办管理员 可以确认或取消") {
		t.Errorf("someone else's ✅ answered %+v", cb)
	}
	unchanged("someone else's ✅")
	// A forged press: data the message did not offer.
	if cb := p.pressData(p.v1, apptest.Admin, q.ID, "cf:0123456789abcdef:y"); !cb.ShowAlert {
		t.Errorf("forged press answered %+v", cb)
	}
	unchanged("a forged press")
	// ✖️ by the admin.
	p.press(p.v1, apptest.Admin, q, "✖️ 取消")
	if m, _ := p.TG.Message(prVillage, q.ID); !strings.Contains(m.Text, "已取消，没有做任何修改") || m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
		t.Errorf("after ✖️ the question reads %q", m.Text)
	}
	unchanged("✖️")
	// The old ✅, from a client that still shows it.
	data := buttonData(q, "✅ 确认")
	if cb := p.pressData(p.v1, apptest.Admin, q.ID, data); !cb.ShowAlert {
		t.Errorf("✅ after ✖️ answered %+v", cb)
	}
	unchanged("✅ after ✖️")

	// In the department's new group: no village warning, and ✅ binds.
	newDept := p.TG.Group(-1002001, "交通运输局新群")
	p.TG.SendText(newDept, apptest.Admin, "/bind traffic")
	q = p.last(newDept.ID, "确认把本群绑定为")
	if has(q, "村工作群") {
		t.Errorf("a village warning in a new group:\n%s", q.Text)
	}
	// Two quick taps on ✅: one binding, one answer saying it was done.
	data = buttonData(q, "✅ 确认")
	first, second := p.TG.Press(newDept, apptest.Admin, q.ID, data), p.TG.Press(newDept, apptest.Admin, q.ID, data)
	if cb := p.answer(second); !cb.ShowAlert || !strings.Contains(cb.Text, "已处理或已过期") {
		t.Errorf("second tap answered %+v", cb)
	}
	p.answer(first)
	if m, _ := p.TG.Message(newDept.ID, q.ID); !strings.Contains(m.Text, "本群已绑定为 交通运输局") {
		t.Errorf("the question became %q", m.Text)
	}
	chats, err := p.DB.DepartmentChats(ctx)
	if err != nil || chats["traffic"] != newDept.ID {
		t.Fatalf("department chats = %v, %v", chats, err)
	}
	// Cards go there now.
	_, n := p.report(p.v1, apptest.Wang, "村口路灯不亮", "停车与交通")
	p.card(newDept.ID, n)
	// Binding it again needs no question.
	p.TG.SendText(newDept, apptest.Admin, "/bind traffic")
	p.last(newDept.ID, "本群已经是 <b>交通运输局</b>（traffic）的部门工作群")
}

// Renaming a village that has a roster or problems asks the group admin
// first; a village group without data, or the same name with another
// town, does not ask.
func TestSetupRenameAsksFirst(t *testing.T) {
	p := startProblems(t)
	// 东山 has no roster and no problems: renamed at once.
	p.TG.SendText(p.v2, apptest.Li, "/setup 东山村")
	p.last(prVillage2, "本群服务 <b>东山村</b>")

	p.TG.SendText(p.v1, apptest.Wang, "/join")
	p.last(prVillage, "王芳 已加入名单")
	p.report(p.v1, apptest.Wang, "村口路灯不亮", "停车与交通")
	p.TG.SendText(p.v1, apptest.Li, "/setup 谢家坞村 平水镇")
	q := p.last(prVillage, "本群现在服务 <b>谢家坞</b>：名单上 1 人，已上报问题 1 件。确认改为 <b>谢家坞村</b>（平水镇） 吗？")
	if g, _ := p.DB.Group(context.Background(), prVillage); g.Village != "谢家坞" {
		t.Fatalf("renamed before ✅: %q", g.Village)
	}
	p.press(p.v1, apptest.Li, q, "✅ 确认")
	p.Wait("the rename", func() bool {
		g, err := p.DB.Group(context.Background(), prVillage)
		return err == nil && g.Village == "谢家坞村"
	})
	if m, _ := p.TG.Message(prVillage, q.ID); !strings.Contains(m.Text, "已设置：本群服务 谢家坞村（平水镇）") {
		t.Errorf("the question became %q", m.Text)
	}
	// The same name, another town: no question.
	p.TG.SendText(p.v1, apptest.Li, "/setup 谢家坞村 兰亭街道")
	p.last(prVillage, "本群服务 <b>谢家坞村</b>（兰亭街道）")
}

// /leaders says who will read what, and warns in a department's group.
func TestLeadersAsksFirst(t *testing.T) {
	p := startProblems(t, apptest.WithYAML(hierarchyYAML))
	p.TG.SendText(p.v1, apptest.Li, "/setup 谢家坞村 兰亭街道")
	p.WaitSent(prVillage, "本群服务 <b>谢家坞村</b>")
	p.TG.SendText(p.traffic, apptest.Admin, "/leaders 兰亭街道")
	q := p.last(prTraffic, "确认把本群设为 <b>兰亭街道（柯桥区 · 绍兴市）</b> 的领导群吗？")
	for _, want := range []string{"用 /problem 查看所辖 1 个村的问题详情", "⚠️ 本群是 交通运输局 的部门工作群"} {
		if !has(q, want) {
			t.Errorf("question lacks %q:\n%s", want, q.Text)
		}
	}
	p.press(p.traffic, apptest.Admin, q, "✖️ 取消")
	p.Drain()
	chats, err := p.DB.UnitChats(context.Background())
	if err != nil || chats["lanting"] != 0 {
		t.Errorf("unit chats after ✖️ = %v, %v", chats, err)
	}
}
