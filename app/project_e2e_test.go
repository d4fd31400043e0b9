package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// pjFire moves the fake clock to at and waits until the project sweep
// fired then has run (see fireAt: the Tick closes the race with a
// scheduler that read the clock just before it moved).
func pjFire(t *testing.T, p *prEnv, at time.Time) {
	t.Helper()
	want := p.jobRuns("project_sweep") + 1
	p.Clock.Set(at)
	if err := p.App.Scheduler.Tick(context.Background(), at.Add(-time.Second), at); err != nil {
		t.Fatal(err)
	}
	p.Wait("the project sweep", func() bool { return p.jobRuns("project_sweep") >= want })
	p.Drain()
}

// answerPrompt replies to the bot's latest message in chat containing
// prompt, as a user answers a ForceReply question.
func (p *prEnv) answerPrompt(chat models.Chat, from models.User, prompt, text string) *models.Message {
	p.t.Helper()
	return p.answerAfter(chat, from, 0, prompt, text)
}

// answerAfter is answerPrompt for a prompt newer than message after, so
// that an older prompt with the same words is not taken for it.
func (p *prEnv) answerAfter(chat models.Chat, from models.User, after int, prompt, text string) *models.Message {
	p.t.Helper()
	var q *models.Message
	p.Wait("a prompt "+prompt, func() bool {
		for _, m := range p.TG.Sent(chat.ID) {
			if m.ID > after && has(m, prompt) {
				q = m
			}
		}
		return q != nil
	})
	if fr := p.TG.ForceReply(chat.ID, q.ID); fr == nil || !fr.Selective {
		p.t.Errorf("prompt %q is no selective ForceReply", prompt)
	}
	// A prompt that waited in the outbox is the form's once the outbox's
	// hook has recorded it, a moment after Telegram shows it. A person
	// takes longer than that to answer; the test waits for the outbox, as
	// the permission matrix's answerTo does, or its reply can beat the
	// hook and be taken for a message to someone else (one run in ~20).
	p.WaitOutbox()
	return p.TG.SendText(chat, from, text, telegramtest.ReplyTo(q.ID))
}

// createProject runs the /project dialog in the first village as from,
// with lead as the lead, and returns the project's number.
func (p *prEnv) createProject(from models.User, lead, name string, milestones string) int64 {
	p.t.Helper()
	start := p.TG.SendText(p.v1, from, "/project")
	p.answerAfter(p.v1, from, start.ID, "请直接回复项目名称", name)
	p.answerAfter(p.v1, from, start.ID, "请直接回复“"+name+"”的简介", "在儿童公园北侧扩建 40 个停车位，缓解周末停车难")
	board := p.last(prVillage, "请选择“"+name+"”的负责人")
	p.press(p.v1, from, board, lead)
	p.answerAfter(p.v1, from, board.ID, "请直接回复预算", "50万元")
	p.answerAfter(p.v1, from, board.ID, "请直接回复节点", milestones)
	ms := p.last(prVillage, name+"</b> 的节点（已添加")
	p.Wait("the milestones listed", func() bool { return !strings.Contains(p.fresh(prVillage, ms).Text, "已添加 0 个") })
	p.press(p.v1, from, p.fresh(prVillage, ms), "下一步 ▶")
	sum := p.fresh(prVillage, ms)
	if !strings.Contains(sum.Text, "请确认新建项目") || !strings.Contains(sum.Text, "预算：50万元") {
		p.t.Fatalf("project summary %q", sum.Text)
	}
	p.press(p.v1, from, sum, "✅ 确认创建")
	done := p.fresh(prVillage, sum)
	i := strings.Index(done.Text, "已创建项目 P")
	if i < 0 {
		p.t.Fatalf("not created: %q", done.Text)
	}
	var id int64
	if _, err := fmt.Sscanf(done.Text[i:], "已创建项目 P%d", &id); err != nil {
		p.t.Fatalf("no project number in %q", done.Text)
	}
	return id
}

// A project from creation through a missed milestone, with the lead's
// private reminder and the group's notice, progress notes with an album,
// to completion. The sweep runs on the fake clock through the scheduler.
func TestProjectLifecycle(t *testing.T) {
	p := startProblems(t)
	p.TG.Group(-1009, "县领导群") // digest_chat_id of apptest.DefaultYAML
	for _, who := range []models.User{apptest.Wang, apptest.Zhang} {
		p.TG.SendText(p.v1, who, "/join")
		p.last(prVillage, who.FirstName)
	}
	// Someone not on the roster (nor an admin) creates nothing.
	p.TG.SendText(p.v1, apptest.Emma, "/project")
	p.last(prVillage, "只有本村驻村指导员")

	id := p.createProject(apptest.Wang, "张伟", "儿童公园停车场扩建", "2026-12-05 完成设计\n12月20日 完工")
	if id != 1 {
		t.Fatalf("first project is P%d", id)
	}
	created := p.last(prVillage, "已创建项目 P1")
	for _, want := range []string{"负责人 张伟", "2 个节点", "完成设计（2026-12-05）", "张伟 还没有私聊过机器人"} {
		if !strings.Contains(created.Text, want) {
			t.Errorf("creation lacks %q: %q", want, created.Text)
		}
	}
	pr, err := p.DB.Project(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Lead != apptest.Zhang.ID || pr.Budget != "50万元" || len(pr.Milestones) != 2 || pr.Milestones[1].Name != "完工" ||
		pr.Town != "平水镇" {
		t.Errorf("stored project %+v", pr)
	}
	p.TG.StartPrivate(apptest.Zhang)
	lead := p.TG.Private(apptest.Zhang)

	// Three days before the first milestone: the lead, privately, and
	// nobody else.
	// Weekly digests (photos) speak of the project too; the sweep's
	// messages are text.
	notices := func() (n int) {
		for _, m := range p.TG.Sent(prVillage) {
			if m.Photo == nil && strings.Contains(m.Text, "完成设计") {
				n++
			}
		}
		return n
	}
	before := notices()
	pjFire(t, p, time.Date(2026, 12, 1, 9, 0, 0, 0, apptest.Shanghai))
	if n := p.count(lead.ID, "完成设计"); n != 0 {
		t.Fatalf("reminded 4 days ahead (%d)", n)
	}
	pjFire(t, p, time.Date(2026, 12, 2, 9, 0, 0, 0, apptest.Shanghai))
	rem := p.last(lead.ID, "节点「完成设计」将于 2026-12-05 到期（还有 3 天）")
	if buttonData(rem, "✅ 完成：完成设计") == "" {
		t.Errorf("reminder without its button: %v", buttons(rem))
	}
	pjFire(t, p, time.Date(2026, 12, 3, 9, 0, 0, 0, apptest.Shanghai))
	if n := p.count(lead.ID, "将于 2026-12-05 到期"); n != 1 {
		t.Errorf("reminded %d times, want once", n)
	}
	if got := notices(); got != before {
		t.Errorf("the group heard of a milestone not yet late: %q", p.last(prVillage, "完成设计").Text)
	}

	// The due day passes: the group is told, once.
	pjFire(t, p, time.Date(2026, 12, 5, 9, 0, 0, 0, apptest.Shanghai))
	if p.count(prVillage, "已逾期") != 0 {
		t.Fatal("overdue on its due day")
	}
	pjFire(t, p, time.Date(2026, 12, 6, 9, 0, 0, 0, apptest.Shanghai))
	od := p.last(prVillage, "项目 P1「儿童公园停车场扩建」有节点已逾期")
	if !strings.Contains(od.Text, "完成设计") || !strings.Contains(od.Text, "张伟") {
		t.Errorf("overdue notice %q", od.Text)
	}
	pjFire(t, p, time.Date(2026, 12, 7, 9, 0, 0, 0, apptest.Shanghai))
	if n := p.count(prVillage, "有节点已逾期"); n != 1 {
		t.Errorf("told %d times, want once", n)
	}
	// Monday's digests: the village's lists the slipped milestone, the
	// leaders' counts it under the village's town.
	dg, _ := waitDigest(t, p.Env, prVillage, "谢家坞 周报（11月30日至12月6日）")
	for _, want := range []string{"🏗 项目：进行中 1 个 · 本期完成节点 0 个 · 下周到期 0 个 · 逾期 1 个",
		"⚠️ P1 儿童公园停车场扩建：完成设计（期限 12/5，已逾期）"} {
		if !strings.Contains(dg, want) {
			t.Errorf("village digest lacks %q:\n%s", want, dg)
		}
	}
	if lead, _ := waitDigest(t, p.Env, -1009, "全县 周报（11月30日至12月6日）"); !strings.Contains(lead, "平水镇：进行中 1 · 完成节点 0 · 下周到期 0 · 逾期 1") {
		t.Errorf("leaders' digest lacks the town's projects:\n%s", lead)
	}
	p.TG.SendText(p.v1, apptest.Wang, "/projects")
	if l := p.last(prVillage, "谢家坞 项目"); !strings.Contains(l.Text, "P1") || !strings.Contains(l.Text, "逾期 1 个") {
		t.Errorf("/projects %q", l.Text)
	}

	// Progress with an album: the note and both photos.
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "/progress P1 设计图已送审", telegramtest.MediaGroup("pj-album"))
	p.TG.SendPhoto(p.v1, apptest.Wang, nil, "", telegramtest.MediaGroup("pj-album"))
	p.last(prVillage, "已记录项目 P1「儿童公园停车场扩建」的第 1 条进展")
	p.Wait("both photos on the note", func() bool {
		h, err := p.DB.ProjectHistory(context.Background(), id)
		return err == nil && len(h) > 0 && len(h[len(h)-1].Photos) == 2
	})

	// Only the lead (or an admin) marks a milestone done.
	if cb := p.press(p.v1, apptest.Wang, od, "✅ 完成：完成设计"); !cb.ShowAlert || !strings.Contains(cb.Text, "只有负责人 张伟") {
		t.Errorf("a cadre's press answered %+v", cb)
	}
	p.press(lead, apptest.Zhang, rem, "✅ 完成：完成设计")
	p.last(prVillage, "节点「完成设计」已完成（张伟），进度 1/2")
	if got := p.fresh(lead.ID, rem); !strings.Contains(got.Text, "✅ 2026-12-05 完成设计") || len(buttons(got)) != 1 {
		t.Errorf("reminder after done: %q %v", got.Text, buttons(got))
	}
	// The group's notice is out of date now: refused and redrawn.
	if cb := p.press(p.v1, apptest.Zhang, od, "✅ 完成：完成设计"); !cb.ShowAlert || !strings.Contains(cb.Text, "已失效") {
		t.Errorf("stale press answered %+v", cb)
	}

	// The detail shows the milestones and the note; its button finishes it.
	p.TG.SendText(p.v1, apptest.Zhang, "/project P1")
	d := p.last(prVillage, "最新进展")
	for _, want := range []string{"进行中", "负责人：张伟", "预算：50万元", "✅ 2026-12-05 完成设计", "⬜ 2026-12-20 完工", "设计图已送审 📷2"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("detail lacks %q:\n%s", want, d.Text)
		}
	}
	p.press(p.v1, apptest.Zhang, d, "✅ 完成：完工")
	p.last(prVillage, "全部 2 个节点完成，项目完成")
	if pr, _ := p.DB.Project(context.Background(), id); !pr.Done() {
		t.Errorf("project not done: %+v", pr)
	}
	texts := func() (n int) { // the weekly digest, a photo, may go out meanwhile
		for _, m := range p.TG.Sent(prVillage) {
			if m.Photo == nil {
				n++
			}
		}
		return n
	}
	sent := texts()
	pjFire(t, p, time.Date(2026, 12, 21, 9, 0, 0, 0, apptest.Shanghai))
	if got := texts(); got != sent {
		t.Errorf("the sweep wrote about a finished project: %q", p.TG.Sent(prVillage)[len(p.TG.Sent(prVillage))-1].Text)
	}
	p.TG.SendText(p.v1, apptest.Wang, "/projects")
	if l := p.last(prVillage, "已完成 1 个"); !strings.Contains(l.Text, "✅ P1") {
		t.Errorf("/projects after completion %q", l.Text)
	}
	// Another village reads none of it.
	p.TG.SendText(p.v2, apptest.Emma, "/project P1")
	p.last(prVillage2, "项目 P1 不存在，或您无权在这里查看")
}
