package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
)

// Every bad input of the issue gets a clear answer in the user's language,
// and nothing is stored half-way.
func TestProblemBadInput(t *testing.T) {
	p := startProblems(t)
	tests := []struct {
		name string
		text string
		want string
	}{
		{"report in a department group", "/report 路灯不亮", "请在村工作群里上报问题"},
		{"resolve without note", "/resolve 1", "办结 #1 需要写办结说明"},
		{"reject without reason", "/reject 1", "退回 #1 需要写原因"},
		{"unknown number", "/accept 999", "没有编号为 #999 的问题"},
		{"unknown number shown", "/problem #999", "没有编号为 #999 的问题"},
		{"not a number", "/accept abc", "“abc” 不是问题编号"},
		{"not a number shown", "/problem 十二", "“十二” 不是问题编号"},
		{"negative", "/resolve -3 x", "“-3” 不是问题编号"},
		{"no number", "/resolve", "用法：/resolve 编号 办结说明"},
		{"unknown category", "/category 1 roads", "没有 “roads” 这个分类。可选分类：parking, sanitation"},
		{"unknown department", "/assign 1 police", "没有 “police” 这个部门。可选部门：traffic, environment, county"},
		{"unknown filter", "/problems closed", "用法：/problems [open|overdue|mine|all|support]"},
	}
	p.report(p.v1, apptest.Wang, "路灯不亮", "停车与交通")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.TG.SendText(p.traffic, apptest.Handler, tt.text)
			p.last(prTraffic, tt.want)
		})
	}
	p.TG.SendText(p.v1, apptest.Wang, "/report "+strings.Repeat("停", cadrebot.MaxReportText+1))
	p.last(prVillage, "问题描述太长（4097 字），最多 4096 字")
	if ids, _, _ := p.DB.ProblemPage(context.Background(), cadrebot.AllProblems, 0, 0); len(ids) != 1 {
		t.Errorf("bad input stored problems: %v", ids)
	}

	// The longest text allowed is shown in full: cut on the card, whole
	// (in two messages) by /problem.
	long := strings.Repeat("长", cadrebot.MaxReportText-1) + "尾"
	_, nl := p.report(p.v2, apptest.Zhang, long, "环境卫生")
	if c := p.card(prEnvDept, nl); !strings.Contains(c.Text, "全文请发送 /problem 2") || len([]rune(c.Text)) > 4096 {
		t.Errorf("card of a 4096-character report: %d characters", len([]rune(c.Text)))
	}
	p.TG.SendText(p.v2, apptest.Zhang, "/problem 2")
	p.last(prVillage2, "尾")
	p.last(prVillage2, "处理记录")
	var shown int
	for _, m := range p.TG.Sent(prVillage2) {
		shown += strings.Count(m.Text, "长")
	}
	if want := cadrebot.MaxReportText - 1; shown != want {
		t.Errorf("/problem showed %d of the text's characters, want %d", shown, want)
	}

	// Empty text in the dialog (a location where words are wanted).
	p.TG.SendText(p.v1, apptest.Wang, "/report")
	p.last(prVillage, "请用文字描述")
	p.TG.SendLocation(p.v1, apptest.Wang, 30, 120)
	p.last(prVillage, "问题描述不能为空")
	// A forged category in the dialog's data.
	p.TG.SendText(p.v1, apptest.Wang, "有效的描述")
	cat := p.last(prVillage, "请选择问题分类")
	data := buttonData(cat, "环境卫生")
	cb := p.pressData(p.v1, apptest.Wang, cat.ID, strings.Replace(data, "sanitation", "nosuch", 1))
	if !cb.ShowAlert || !strings.Contains(cb.Text, "这条消息没有提供这个按钮") {
		t.Errorf("forged category answered %+v", cb)
	}
	// An English group gets English answers.
	p.MakeAdmin(prVillage2, apptest.Emma)
	p.TG.SendText(p.v2, apptest.Emma, "/lang en")
	p.last(prVillage2, "English")
	p.TG.SendText(p.v2, apptest.Emma, "/problem abc")
	p.last(prVillage2, `"abc" is not a problem number`)
	p.TG.SendText(p.v2, apptest.Emma, "/report "+strings.Repeat("x", 5000))
	p.last(prVillage2, "The description is too long (5000 characters, at most 4096)")
}

// HTML and Markdown characters in every user field come back intact: the
// text, the address, the reporter's name, notes and reasons.
func TestProblemUserTextIntact(t *testing.T) {
	p := startProblems(t)
	odd := apptest.Zhang
	odd.FirstName, odd.LastName = "<b>张</b>", "&amp; *伟*"
	text := "<a href=\"x\">链接</a> & &lt; *bold* _it_ `code` [l](u) ~s~ ||sp|| 😀"
	_, n := p.report(p.v1, odd, text, "停车与交通")
	card := p.card(prTraffic, n)
	for _, want := range []string{text, "<b>张</b> &amp; *伟*"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("card lost %q:\n%s", want, card.Text)
		}
	}
	p.TG.SendText(p.traffic, apptest.Handler, "/reject 1 <i>请补充</i> & *位置*")
	ret := p.last(prVillage, "被 交通运输局 退回")
	if !strings.Contains(ret.Text, "<i>请补充</i> & *位置*") || !strings.Contains(ret.Text, "<b>张</b> &amp; *伟*") {
		t.Errorf("return notice lost characters:\n%s", ret.Text)
	}
	p.TG.SendText(p.v1, apptest.Zhang, "/problem 1")
	h := p.last(prVillage, "处理记录")
	if !strings.Contains(h.Text, text) || !strings.Contains(h.Text, "<i>请补充</i> & *位置*") {
		t.Errorf("/problem lost characters:\n%s", h.Text)
	}
	if pr := p.problem(n); pr.Text != text {
		t.Errorf("stored text %q", pr.Text)
	}
}

// A department chat the bot was removed from answers 403: the problem is
// stored anyway, the reporter is told, the item is flagged for admins,
// and once the department has a chat again the card gets through.
func TestProblemUndeliverableDepartment(t *testing.T) {
	p := startProblems(t)
	p.TG.KickBot(prEnvDept)
	p.Drain()
	p.TG.SendText(p.v1, apptest.Wang, "/report 河道有死鱼")
	cat := p.last(prVillage, "请选择问题分类")
	p.press(p.v1, apptest.Wang, cat, "环境卫生")
	done := p.fresh(prVillage, cat)
	if !strings.Contains(done.Text, "已登记 #1") || !strings.Contains(done.Text, "承办部门工作群暂时无法送达，已标记给管理员") {
		t.Fatalf("reporter not told: %q", done.Text)
	}
	pr := p.problem(1)
	if !pr.Undeliverable || pr.Status != cadrebot.StatusNew {
		t.Errorf("problem = %+v, want stored and flagged", pr)
	}
	if !strings.Contains(p.Log.String(), "problem card not delivered") || !strings.Contains(p.Log.String(), "permanent=true") {
		t.Error("the 403 was not logged")
	}
	// Admins see the flag.
	p.TG.SendText(p.cty, apptest.Admin, "/problems flagged")
	if l := p.last(prCounty, "无法送达的问题"); !strings.Contains(l.Text, "#1") || !strings.Contains(l.Text, "⚠️") {
		t.Errorf("flagged list: %q", l.Text)
	}
	p.TG.SendText(p.v1, apptest.Wang, "/problems flagged")
	p.last(prVillage, "只有部署管理员可以")
	p.TG.SendText(p.v1, apptest.Wang, "/problems")
	if l := p.last(prVillage, "未办结问题"); !strings.Contains(l.Text, "#1") || !strings.Contains(l.Text, "⚠️") {
		t.Errorf("village list lacks the flag: %q", l.Text)
	}

	// The environment bureau gets a new group; the next sweep delivers.
	newChat := p.TG.Group(-1005, "生态环境分局（新群）")
	p.TG.SendText(newChat, apptest.Admin, "/bind environment")
	p.Confirm(newChat, apptest.Admin, "确认把本群绑定为 <b>生态环境分局</b>")
	p.advance(time.Hour)
	card := p.card(-1005, 1)
	if strings.Contains(card.Text, "无法送达") {
		t.Errorf("delivered card still says undeliverable: %q", card.Text)
	}
	p.Wait("the flag cleared", func() bool { return !p.problem(1).Undeliverable })
	acts := p.history(1)
	if countAction(acts, cadrebot.ActUndeliverable) != 1 || countAction(acts, cadrebot.ActDelivered) != 1 {
		t.Errorf("history %v", acts)
	}
	// Nothing was ever sent to the chat the bot left.
	for _, c := range p.TG.CallsTo("sendMessage") {
		if c.Int("chat_id") == prEnvDept && c.OK() {
			t.Errorf("a message reached the chat the bot was removed from")
		}
	}
}
