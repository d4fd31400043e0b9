package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/store"
	"cadrebot/telegramtest"
)

// The /report dialog, step by step, with a restart of the service in the
// middle: the form lives in Redis, so the reporter carries on.
func TestReportDialogSurvivesRestart(t *testing.T) {
	p := startProblems(t)
	start := p.TG.SendText(p.v1, apptest.Wang, "/report")
	p.last(prVillage, "请用文字描述发现的问题")

	// A photo without a caption is kept, and the text is still asked for.
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "")
	p.last(prVillage, "照片已收到")
	p.TG.SendText(p.v1, apptest.Wang, "园区门口大货车乱停，堵住消防通道 <script>")
	catMsg := p.last(prVillage, "请选择问题分类")

	// Only the reporter may press the form's buttons.
	cb := p.press(p.v1, apptest.Emma, catMsg, "停车与交通")
	if !cb.ShowAlert || !strings.Contains(cb.Text, "只有上报人可以操作") {
		t.Errorf("someone else's press answered %+v", cb)
	}
	p.press(p.v1, apptest.Wang, catMsg, "停车与交通")
	media := p.fresh(prVillage, catMsg)
	if !strings.Contains(media.Text, "已收到 1 张") {
		t.Fatalf("media step: %q", media.Text)
	}

	p.Restart()

	p.TG.SendLocation(p.v1, apptest.Wang, 30.2741, 120.1551)
	p.last(prVillage, "已记录位置")
	p.TG.SendText(p.v1, apptest.Wang, "园区北门 <b>东侧</b>")
	next := p.last(prVillage, "地址：园区北门 <b>东侧</b>")
	p.press(p.v1, apptest.Wang, next, "下一步 ▶")
	sum := p.fresh(prVillage, next)
	for _, want := range []string{"请确认上报内容", "停车与交通", "<script>", "📷 照片 1 张", "30.27410, 120.15510", "园区北门 <b>东侧</b>"} {
		if !strings.Contains(sum.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.Text)
		}
	}
	// Text while buttons are expected is answered, not dropped.
	p.TG.SendText(p.v1, apptest.Wang, "好了吗")
	p.last(prVillage, "请使用上方消息里的按钮继续")

	// Edit the description from the summary, then confirm.
	p.press(p.v1, apptest.Wang, sum, "✏️ 修改")
	p.press(p.v1, apptest.Wang, p.fresh(prVillage, sum), "描述")
	p.TG.SendText(p.v1, apptest.Wang, "园区门口大货车乱停，堵住消防通道（每天傍晚）")
	sum2 := p.last(prVillage, "每天傍晚")
	p.press(p.v1, apptest.Wang, sum2, "✅ 确认提交")
	done := p.fresh(prVillage, sum2)
	if !strings.Contains(done.Text, "已登记 #1") {
		t.Fatalf("confirmation: %q", done.Text)
	}
	pr := p.problem(1)
	if !pr.HasLoc || pr.Address != "园区北门 <b>东侧</b>" || len(pr.Photos) != 1 || pr.ReportMsgID != start.ID ||
		pr.Text != "园区门口大货车乱停，堵住消防通道（每天傍晚）" {
		t.Errorf("stored problem = %+v", pr)
	}
	card := p.card(prTraffic, 1)
	if !strings.Contains(card.Text, "📍") || !strings.Contains(card.Text, "📷 照片 1 张") {
		t.Errorf("card lacks location or photos: %q", card.Text)
	}
	p.WaitSent(prTraffic, "#1 📷 1/1")

	// The form is gone and the confirmed summary has no buttons left: an
	// old client's press of its Confirm is refused.
	cb = p.pressData(p.v1, apptest.Wang, sum2.ID, buttonData(sum2, "✅ 确认提交"))
	if !cb.ShowAlert || !strings.Contains(cb.Text, "这条消息没有提供这个按钮") {
		t.Errorf("press on a finished form answered %+v", cb)
	}
	if got := len(p.history(1)); got != 1 {
		t.Errorf("history has %d entries after a dead press, want 1", got)
	}
}

// An idle form expires after problems.dialog_ttl by the bot's clock, and
// a form stored by an older build is treated as expired: the user is told
// politely either way, and can start again.
func TestReportDialogExpiryAndVersion(t *testing.T) {
	p := startProblems(t)
	p.TG.SendText(p.v1, apptest.Wang, "/report")
	p.last(prVillage, "请用文字描述")
	p.Clock.Advance(31 * time.Minute)
	p.TG.SendText(p.v1, apptest.Wang, "路灯坏了")
	p.last(prVillage, "这张表单已过期，请重新发送 /report 开始")
	if ids, _, _ := p.DB.ProblemPage(context.Background(), cadrebot.AllProblems, 0, 0); len(ids) != 0 {
		t.Errorf("an expired form filed %v", ids)
	}
	// The message after the polite answer is ordinary chat again.
	p.TG.SendText(p.v1, apptest.Wang, "大家好")
	p.Drain()
	if got := p.count(prVillage, "这张表单已过期"); got != 1 {
		t.Errorf("expiry told %d times", got)
	}

	// A button on a form expired in the meantime.
	p.TG.SendText(p.v1, apptest.Wang, "/report 村口垃圾堆积")
	cat := p.last(prVillage, "请选择问题分类")
	p.Clock.Advance(31 * time.Minute)
	cb := p.press(p.v1, apptest.Wang, cat, "环境卫生")
	if !strings.Contains(cb.Text, "这张表单已过期") || !strings.Contains(p.fresh(prVillage, cat).Text, "这张表单已过期") {
		t.Errorf("expired press answered %+v", cb)
	}

	// A form in an older layout (version 0), as after an upgrade.
	p.TG.SendText(p.v1, apptest.Wang, "/report 村口垃圾堆积")
	cat = p.last(prVillage, "请选择问题分类")
	p.Drain() // the bot saves its form after sending the keyboard
	old := `{"v":0,"n":"abc","s":"cat","e":` + strconv.FormatInt(p.Clock.Now().Add(time.Hour).Unix(), 10) + `}`
	if err := p.DB.SaveForm(context.Background(), prVillage, apptest.Wang.ID, store.FormReport, []byte(old), time.Hour); err != nil {
		t.Fatal(err)
	}
	cb = p.press(p.v1, apptest.Wang, cat, "环境卫生")
	if !strings.Contains(cb.Text, "这张表单已过期") {
		t.Errorf("old-version press answered %+v", cb)
	}

	// /cancel ends a form; a second /cancel says there is none.
	p.TG.SendText(p.v1, apptest.Wang, "/report")
	p.last(prVillage, "请用文字描述")
	p.TG.SendText(p.v1, apptest.Wang, "/cancel")
	p.last(prVillage, "已取消")
	p.TG.SendText(p.v1, apptest.Wang, "/cancel")
	p.last(prVillage, "没有正在填写的表单")
	before := len(p.TG.Sent(prVillage))
	p.TG.SendText(p.v1, apptest.Wang, "随便聊聊")
	p.Drain()
	if got := len(p.TG.Sent(prVillage)); got != before {
		t.Errorf("after /cancel the bot answered a chat message: %q", p.TG.Sent(prVillage)[got-1].Text)
	}
}

// Photos report problems too: a caption starting with /report or #上报,
// with the rest of an album attached.
func TestReportByPhotoCaption(t *testing.T) {
	p := startProblems(t)
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "/report 桥头护栏断了", telegramtest.MediaGroup("alb1"))
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "", telegramtest.MediaGroup("alb1"))
	cat := p.last(prVillage, "请选择问题分类")
	p.press(p.v1, apptest.Wang, cat, "停车与交通")
	p.WaitSent(prTraffic, "#1 📷 2/2")
	// A late photo of the same album joins the filed problem.
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "", telegramtest.MediaGroup("alb1"))
	p.Wait("the late album photo", func() bool { return len(p.problem(1).Photos) == 3 })

	p.TG.SendPhoto(p.v2, apptest.Zhang, nil, "#上报 垃圾桶满了没人清")
	cat = p.last(prVillage2, "请选择问题分类")
	p.press(p.v2, apptest.Zhang, cat, "环境卫生")
	p.card(prEnvDept, 2)
	if pr := p.problem(2); pr.Text != "垃圾桶满了没人清" || len(pr.Photos) != 1 || pr.Category != "sanitation" {
		t.Errorf("#上报 problem = %+v", pr)
	}
	// A photo captioned only "#上报" starts the dialog with the photo.
	p.TG.SendPhoto(p.v2, apptest.Zhang, nil, "#上报")
	p.last(prVillage2, "请用文字描述发现的问题")
	// An ordinary photo is nobody's report.
	p.TG.SendPhoto(p.v1, apptest.Li, nil, "今天的村容")
	p.Drain()
	if n := p.count(prVillage, "请用文字描述"); n != 0 {
		t.Errorf("an ordinary photo started a report")
	}
	if _, err := p.DB.Problem(context.Background(), 3); err == nil {
		t.Error("an ordinary photo filed a problem")
	}
}

// Before filing, open problems of the same category in the same village,
// or near the reported spot in another one, are pointed out; "me too"
// adds the reporter's note to one instead of filing a duplicate.
func TestReportDuplicatesAndMeToo(t *testing.T) {
	p := startProblems(t)
	p.report(p.v1, apptest.Wang, "园区门口车辆乱停", "停车与交通")

	p.TG.SendText(p.v1, apptest.Zhang, "/report 园区门口又堵了")
	cat := p.last(prVillage, "请选择问题分类")
	p.press(p.v1, apptest.Zhang, cat, "停车与交通")
	dup := p.fresh(prVillage, cat)
	if !strings.Contains(dup.Text, "已有同类问题正在办理") || !strings.Contains(dup.Text, "#1") {
		t.Fatalf("no duplicate hint: %q", dup.Text)
	}
	p.press(p.v1, apptest.Zhang, dup, "🙋 我也遇到 #1")
	if got := p.fresh(prVillage, dup).Text; !strings.Contains(got, "已把您的情况附加到 #1（共 2 人反映）") {
		t.Errorf("me-too answer %q", got)
	}
	p.Wait("the card shows the me-too", func() bool { return strings.Contains(p.card(prTraffic, 1).Text, "另有 1 人反映") })
	if _, err := p.DB.Problem(context.Background(), 2); err == nil {
		t.Error("me too filed a duplicate")
	}
	h, _ := p.DB.History(context.Background(), 1)
	if last := h[len(h)-1]; last.Action != cadrebot.ActMeToo || last.Note != "园区门口又堵了" || last.By != apptest.Zhang.ID {
		t.Errorf("me-too history entry %+v", last)
	}

	// Another category: no hint; filed at once.
	_, n := p.report(p.v1, apptest.Zhang, "河道漂浮垃圾", "环境卫生")
	if n != 2 {
		t.Errorf("sanitation report is #%d, want #2", n)
	}

	// Near a map pin: only this village's problems are offered, the
	// nearest first with its distance, and nothing personal is shown.
	p.TG.SendText(p.v1, apptest.Li, "/report")
	p.last(prVillage, "请用文字描述")
	p.TG.SendText(p.v1, apptest.Li, "交界处停车场没有照明")
	p.press(p.v1, apptest.Li, p.last(prVillage, "请选择问题分类"), "停车与交通")
	p.TG.SendLocation(p.v1, apptest.Li, 30.2741, 120.1551)
	p.press(p.v1, apptest.Li, p.last(prVillage, "已记录位置"), "下一步 ▶")
	p.press(p.v1, apptest.Li, p.last(prVillage, "请确认上报内容"), "✅ 确认提交")
	p.WaitSent(prVillage, "已登记 #3")

	// Another village, 40 m from #3: nothing of 谢家坞 is offered.
	p.TG.SendText(p.v2, apptest.Zhang, "/report")
	p.last(prVillage2, "请用文字描述")
	p.TG.SendText(p.v2, apptest.Zhang, "停车场晚上太黑")
	p.press(p.v2, apptest.Zhang, p.last(prVillage2, "请选择问题分类"), "停车与交通")
	p.TG.SendLocation(p.v2, apptest.Zhang, 30.2744, 120.1553) // ~40 m away
	p.press(p.v2, apptest.Zhang, p.last(prVillage2, "已记录位置"), "下一步 ▶")
	sum := p.last(prVillage2, "请确认上报内容")
	if strings.Contains(sum.Text, "已有同类问题") || strings.Contains(sum.Text, "#3") || len(buttons(sum)) != 3 {
		t.Errorf("another village's problem offered:\n%s\n%v", sum.Text, buttons(sum))
	}

	// The same village, 40 m from #3: #3 first, with its distance, then
	// #1; no reporter, no description, no address.
	p.TG.SendText(p.v1, apptest.Wang, "/report")
	p.last(prVillage, "请用文字描述")
	p.TG.SendText(p.v1, apptest.Wang, "停车场晚上太黑")
	p.press(p.v1, apptest.Wang, p.last(prVillage, "请选择问题分类"), "停车与交通")
	p.TG.SendLocation(p.v1, apptest.Wang, 30.2744, 120.1553)
	p.TG.SendText(p.v1, apptest.Wang, "13900001111 东门")
	p.press(p.v1, apptest.Wang, p.last(prVillage, "已记录位置"), "下一步 ▶")
	sum = p.last(prVillage, "停车场晚上太黑")
	i3, i1 := strings.Index(sum.Text, "#3【停车与交通】· 待受理"), strings.Index(sum.Text, "#1【停车与交通】")
	if i3 < 0 || i1 < i3 || !strings.Contains(sum.Text, "相距约 38 米") {
		t.Errorf("same-village hint should list #3 (38 m) before #1:\n%s", sum.Text)
	}
	for _, private := range []string{"李强", "交界处停车场没有照明", "园区门口", "王芳"} {
		if strings.Contains(sum.Text, private) {
			t.Errorf("duplicate hint shows %q:\n%s", private, sum.Text)
		}
	}
}
