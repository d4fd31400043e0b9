package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

const hoVillage = -100851

// Cadres with usernames, as the hand-over names them.
var (
	chen = models.User{ID: 1101, FirstName: "陈明", Username: "chenming", LanguageCode: "zh"}
	liu  = models.User{ID: 1102, FirstName: "刘洋", Username: "liuyang", LanguageCode: "zh"}
)

// TestHandover: 陈明 served 谢家坞村 from 2 November; on Monday 7
// December the admin hands the village over to 刘洋, just added to the
// group. 陈明's period ends on his last day (he did not check in that
// Monday), 刘洋's starts with his batch, home unit and title, 陈明's two
// open problems follow 刘洋 (the resolved one and 王芳's stay), each
// history says so, and the reply carries the village's brief.
func TestHandover(t *testing.T) {
	e := apptest.Start(t, apptest.WithTime(dgAt("2026-11-02 09:00")))
	g := e.TG.Group(hoVillage, "谢家坞村工作群")
	e.MakeAdmin(hoVillage, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/setup 谢家坞村 兰亭街道")
	e.WaitSent(hoVillage, "本群服务")
	e.TG.SendText(g, chen, "/join 第19批 柯桥区农业农村局")
	e.WaitSent(hoVillage, "陈明 已加入名单")
	e.TG.SendText(g, apptest.Wang, "/join")
	e.WaitSent(hoVillage, "王芳 已加入名单")
	for d := 2; d <= 6; d++ {
		e.Clock.Set(dgAt("2026-11-0" + string(rune('0'+d)) + " 09:30"))
		waitReaction(t, e, hoVillage, e.TG.SendText(g, chen, "/checkin"))
	}
	day := 24 * time.Hour
	p1 := dgProblem(t, e, hoVillage, "谢家坞村", chen, "parking", "traffic", 72*time.Hour, dgAt("2026-11-03 10:00"), "园区出入口没有减速带")
	p2 := dgProblem(t, e, hoVillage, "谢家坞村", chen, "sanitation", "environment", 7*day, dgAt("2026-11-20 10:00"), "河道漂浮物")
	dgAct(t, e, p2, cadrebot.ActAccept, dgAt("2026-11-21 10:00"), "")
	p3 := dgProblem(t, e, hoVillage, "谢家坞村", chen, "parking", "traffic", 72*time.Hour, dgAt("2026-11-24 10:00"), "校门口拥堵")
	dgAct(t, e, dgAct(t, e, p3, cadrebot.ActAccept, dgAt("2026-11-24 11:00"), ""), cadrebot.ActResolve, dgAt("2026-11-25 10:00"), "已疏导")
	p4 := dgProblem(t, e, hoVillage, "谢家坞村", apptest.Wang, "parking", "traffic", 72*time.Hour, dgAt("2026-12-01 10:00"), "路灯不亮")

	e.Clock.Set(dgAt("2026-12-07 09:00"))
	e.TG.AddMembers(g, apptest.Li, liu)
	e.WaitSent(hoVillage, "欢迎 刘洋")
	for _, tt := range []struct {
		who        models.User
		text, want string
	}{
		{apptest.Wang, "/handover @chenming @liuyang", "只有群管理员可以"},
		{apptest.Li, "/handover", "用法：/handover @离任者 @接任者"},
		{apptest.Li, "/handover @chenming @nobody_here", "本群名单和驻村记录中没有 @nobody_here"},
		{apptest.Li, "/handover @chenming @ChenMing", "离任者和接任者都是 陈明"},
	} {
		e.TG.SendText(g, tt.who, tt.text)
		e.WaitSent(hoVillage, tt.want)
	}

	// Replying to 刘洋's message names him as the successor.
	hello := e.TG.SendText(g, liu, "大家好，我是新来的驻村指导员")
	e.TG.SendText(g, apptest.Li, "/handover @chenming 第20批 柯桥区农业农村局 第一书记", telegramtest.ReplyTo(hello.ID))
	m := e.WaitSent(hoVillage, "交接完成")
	for _, want := range []string{"陈明 → 刘洋（第20批 · 柯桥区农业农村局 · 第一书记）", "陈明 驻村 2026-11-02 至 2026-12-06",
		"刘洋 自 2026-12-07 起在岗", "陈明 上报的 2 件未办结问题已转交 刘洋 跟进", "谢家坞村 交接简报", "未办结问题 3 件（逾期 3 件）",
		"#1 停车与交通 · 交通运输局 · 待受理", "#4 停车与交通"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("hand-over reply lacks %q:\n%s", want, m.Text)
		}
	}

	ctx := context.Background()
	for _, tt := range []struct {
		p              cadrebot.Problem
		reporter, find int64
	}{{p1, liu.ID, chen.ID}, {p2, liu.ID, chen.ID}, {p3, chen.ID, chen.ID}, {p4, apptest.Wang.ID, apptest.Wang.ID}} {
		got, err := e.DB.Problem(ctx, tt.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reporter != tt.reporter || got.FinderID() != tt.find {
			t.Errorf("#%d: reporter %d, finder %d; want %d, %d", got.ID, got.Reporter, got.FinderID(), tt.reporter, tt.find)
		}
	}
	hist, err := e.DB.History(ctx, p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ho []cadrebot.Entry
	for _, en := range hist {
		if en.Action == cadrebot.ActHandover {
			ho = append(ho, en)
		}
	}
	if len(ho) != 1 || ho[0].Note != "陈明 → 刘洋" || ho[0].By != apptest.Li.ID {
		t.Errorf("#1's hand-over entries = %+v, want one by 李强", ho)
	}
	// The successor now follows them up: /problems mine lists them.
	e.TG.SendText(g, liu, "/problem 1")
	e.WaitSent(hoVillage, "交接，改由接任者跟进: 陈明 → 刘洋")

	e.TG.SendText(g, apptest.Li, "/roster all")
	m = e.WaitSent(hoVillage, "本群驻村记录")
	for _, want := range []string{"陈明\n   2026-11-02 至 2026-12-06（交接）（第19批 · 柯桥区农业农村局）",
		"刘洋\n   2026-12-07 起在岗（第20批 · 柯桥区农业农村局 · 第一书记）"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("/roster all lacks %q:\n%s", want, m.Text)
		}
	}
}

// The department's card of a problem handed over keeps who found it and
// names who follows it up now, redrawn in place.
func TestHandoverRedrawsCards(t *testing.T) {
	e := apptest.Start(t)
	dept := e.TG.Group(-1002, "交通运输局")
	g := e.TG.Group(hoVillage, "谢家坞村工作群")
	e.MakeAdmin(hoVillage, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/setup 谢家坞村 兰亭街道")
	e.WaitSent(hoVillage, "本群服务")
	for _, u := range []models.User{chen, liu} {
		e.TG.SendText(g, u, "/join")
		e.WaitSent(hoVillage, u.FirstName+" 已加入名单")
	}
	e.TG.SendText(g, chen, "/report 园区出入口没有减速带")
	prompt := e.WaitSent(hoVillage, "请选择问题分类")
	if _, err := e.TG.PressButton(g, chen, prompt.ID, "停车与交通"); err != nil {
		t.Fatal(err)
	}
	card := e.WaitSent(dept.ID, "上报：陈明")
	if strings.Contains(card.Text, "跟进") {
		t.Fatalf("a card before any hand-over names a successor: %q", card.Text)
	}
	e.TG.SendText(g, apptest.Li, "/handover @chenming @liuyang")
	e.WaitSent(hoVillage, "交接")
	e.Wait("the card redrawn", func() bool {
		m, ok := e.TG.Message(dept.ID, card.ID)
		return ok && strings.Contains(m.Text, "交接后由 刘洋 跟进")
	})
	m, _ := e.TG.Message(dept.ID, card.ID)
	if !strings.Contains(m.Text, "上报：陈明") {
		t.Errorf("the redrawn card lost who found the problem: %q", m.Text)
	}
}
