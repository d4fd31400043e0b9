package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/store"
	"cadrebot/telegramtest"
)

// groupLimits is DefaultYAML with a group budget of perMinute messages a
// minute, and the fake Bot API enforcing the same (with 429s). Telegram's
// own 20 would make a test wait minutes for a backlog to drain; the
// mechanism is the same at any rate.
func groupLimits(perMinute int) (apptest.Option, apptest.Option) {
	yaml := strings.Replace(apptest.DefaultYAML,
		"limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}",
		fmt.Sprintf("limits: {global_per_second: 30, group_per_minute: %d, private_per_second: 1}", perMinute), 1)
	return apptest.WithYAML(yaml), apptest.WithTelegram(telegramtest.WithTelegramLimits(
		telegramtest.Limits{Global: 30, PerGroupPerMinute: perMinute, PerPrivatePerSecond: 1}))
}

func countText(e *apptest.Env, chat int64, substr string) int {
	n := 0
	for _, m := range e.TG.Sent(chat) {
		if strings.Contains(m.Text, substr) {
			n++
		}
	}
	return n
}

// One member asks a group for its roster 25 times. The group's budget runs
// out, so its answers wait in the outbox; a member of another group is
// answered meanwhile, at once, instead of after them.
func TestBusyGroupDoesNotHoldUpOthers(t *testing.T) {
	yaml, fake := groupLimits(300)
	e := apptest.Start(t, yaml, fake)
	a := e.TG.Group(-100701, "A 村")
	d := e.TG.Group(-100702, "D 村")
	for i := 0; i < 25; i++ {
		e.TG.SendText(a, apptest.Wang, "/roster")
	}
	e.Wait("the bot to take group A's commands", func() bool { return e.TG.Pending() == 0 })
	e.TG.SendText(d, apptest.Li, "/join")
	e.WaitSent(d.ID, "李强 已加入名单")
	queued, _, err := e.DB.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if queued == 0 {
		t.Fatalf("group A's answers were all out before group D's: none waited for A's budget")
	}
	if got := countText(e, a.ID, "名单为空"); got >= 20 {
		t.Errorf("group A got %d answers before D's; its budget should have held most back", got)
	}
	// D's answer went out before most of A's, though A asked first.
	// Flood control lets 20 of the 25 through, and says so once.
	e.Wait("group A's answers to arrive from the outbox", func() bool {
		return countText(e, a.ID, "名单为空") == 20 && countText(e, a.ID, "操作太频繁") == 1
	})
	if st := e.TG.Stats(); st.TooManyRequests != 0 {
		t.Errorf("%d answers of 429: the bot exceeded Telegram's limits", st.TooManyRequests)
	}
}

// A member in the /report dialog typing an address a hundred times gets
// flood control like any command: the first ones are handled, the rest
// dropped, and one notice.
func TestDialogFloodIsControlled(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(apptest.DefaultYAML+"flood: {commands: 10, window: 1h}\n"))
	g := setupVillage(t, e, -100703, "谢家坞村", apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/report 园区门口没有停车线，货车乱停")
	e.WaitSent(g.ID, "")
	before := len(e.TG.Sent(g.ID))
	for i := 0; i < 100; i++ {
		e.TG.SendText(g, apptest.Wang, fmt.Sprintf("地址：兰亭街道%d号", i))
	}
	e.Drain()
	// The limit is 10 counted updates, /report included. A dialog answer
	// is counted once the dialog took it, so one past the limit is
	// handled before the notice.
	answers := len(e.TG.Sent(g.ID)) - before
	if answers > 12 {
		t.Errorf("%d answers to 100 dialog messages; flood control allows 10 and one notice", answers)
	}
	if n := countText(e, g.ID, "操作太频繁"); n != 1 {
		t.Errorf("%d slow-down notices, want exactly 1", n)
	}
}

// Flood counts live in Redis: a restart (or another replica) does not
// give a flooding user a fresh allowance, nor a second notice.
func TestFloodCountSurvivesRestart(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(apptest.DefaultYAML+"flood: {commands: 5, window: 1h}\n"))
	g := e.TG.Group(-100704, "g")
	for i := 0; i < 3; i++ {
		e.TG.SendText(g, apptest.Wang, "/roster")
	}
	e.Drain()
	e.Restart()
	for i := 0; i < 6; i++ {
		e.TG.SendText(g, apptest.Wang, "/roster")
	}
	e.Drain()
	if got, slow := countText(e, g.ID, "名单为空"), countText(e, g.ID, "操作太频繁"); got != 5 || slow != 1 {
		t.Errorf("got %d answers and %d notices across the restart, want 5 and 1", got, slow)
	}
}

// A department chat whose budget is spent still gets its card: it waits in
// the outbox, and once out it is recorded, so its buttons work.
func TestQueuedCardWorks(t *testing.T) {
	yaml, fake := groupLimits(60)
	p := startProblems(t, yaml, fake)
	// Spend the traffic bureau chat's budget (a burst of 3).
	for i := 0; i < 3; i++ {
		p.TG.SendText(p.traffic, apptest.Handler, "/roster")
	}
	p.Wait("the department chat's answers", func() bool { return len(p.TG.Sent(p.traffic.ID)) >= 3 })
	_, n := p.report(p.v1, apptest.Wang, "园区门口没有停车线，货车乱停", "停车与交通")
	card := p.card(p.traffic.ID, n)
	if got, err := p.DB.CardProblem(context.Background(), p.traffic.ID, card.ID); err != nil || got != n {
		t.Fatalf("the card sent from the outbox is recorded as problem %d, %v; want #%d", got, err, n)
	}
	if d := testutil.ToFloat64(p.App.Metrics.Deferred.WithLabelValues("budget")); d == 0 {
		t.Error("the card was not queued: the department chat's budget was not spent")
	}
	// It went out as it reads now, so no edit follows it.
	waitOutboxEmpty(p.Env, p.DB)
	if n := calls(p.Env, "editMessageText", p.traffic.ID); n != 0 {
		t.Errorf("%d edits of the unchanged queued card, want none", n)
	}
	if cb := p.press(p.traffic, apptest.Handler, card, "📥 受理"); cb.ShowAlert {
		t.Fatalf("accepting on the queued card refused: %q", cb.Text)
	}
	p.Wait("the problem accepted", func() bool { return p.problem(n).Status == cadrebot.StatusAccepted })
}

// An update taken from Telegram is in the inbox until it is handled, so
// one left there by a crash is handled at the next start, and a check-in
// handled twice (finished, but not yet forgotten when the process died) is
// acknowledged once: one 👍, no second reply.
func TestInboxIsHandledAfterACrash(t *testing.T) {
	e := apptest.Start(t)
	g := setupVillage(t, e, -100706, "谢家坞村", apptest.Wang, apptest.Li)
	m := e.TG.SendText(g, apptest.Wang, "打卡")
	waitReaction(t, e, g.ID, m)
	e.Drain()
	e.Stop()

	// As if the process had died before forgetting Wang's check-in, and
	// after taking Li's from Telegram but before handling it.
	ctx := context.Background()
	db := store.New(apptest.NewRedis(t), e.Prefix)
	li := e.TG.SendText(g, apptest.Li, "打卡")
	ups := e.TG.TakeUpdates()
	if len(ups) != 1 {
		t.Fatalf("%d updates pending, want Li's check-in", len(ups))
	}
	wang := models.Update{ID: 1, Message: m}
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var raws [][]byte
	for _, u := range []models.Update{wang, ups[0]} {
		raw, _ := json.Marshal(u)
		ids, raws = append(ids, u.ID), append(raws, raw)
	}
	if _, err := db.InboxAdd(ctx, gen, ups[0].ID+1, ids, raws); err != nil {
		t.Fatal(err)
	}
	e.Restart()
	waitReaction(t, e, g.ID, li)
	e.Drain()
	for _, msg := range []*models.Message{m, li} {
		if rs := e.TG.Reactions(g.ID, msg.ID); len(rs) != 1 {
			t.Errorf("message %d has %d reactions, want one 👍", msg.ID, len(rs))
		}
	}
	for _, sent := range e.TG.Sent(g.ID) {
		if r := sent.ReplyToMessage; r != nil && (r.ID == m.ID || r.ID == li.ID) {
			t.Errorf("a check-in got a text reply: %q", sent.Text)
		}
	}
}

// A card that waited in the outbox while its problem changed is edited
// once out, to show the problem as it is now.
func TestQueuedCardShowsChangesMadeWhileItWaited(t *testing.T) {
	yaml, fake := groupLimits(30) // after the burst, a message every ~2.3 s
	p := startProblems(t, yaml, fake)
	ctx := context.Background()
	p.TG.SendText(p.v1, apptest.Wang, "/report 园区门口没有停车线，货车乱停")
	prompt := p.last(p.v1.ID, "请选择问题分类")
	// Spend the department chat's budget just before the report is filed,
	// and queue one more answer there, so the card waits behind it.
	before := len(p.TG.Sent(p.traffic.ID))
	for i := 0; i < 4; i++ {
		p.TG.SendText(p.traffic, apptest.Handler, "/roster")
	}
	p.Wait("the department chat's answers", func() bool { return len(p.TG.Sent(p.traffic.ID)) >= before+3 })
	// Not p.press: that drains, and would wait for the card to go out.
	if _, err := p.TG.PressButton(p.v1, apptest.Wang, prompt.ID, "停车与交通"); err != nil {
		t.Fatal(err)
	}
	p.Wait("the problem filed", func() bool { _, err := p.DB.Problem(ctx, 1); return err == nil })
	// Another villager joins the report (here straight through the store,
	// as another replica would) while the card still waits.
	if _, err := p.DB.AddMeToo(ctx, 1, cadrebot.Entry{At: p.Clock.Now(), By: apptest.Li.ID,
		Name: apptest.Li.FirstName, Action: cadrebot.ActMeToo, Note: "我家门口也是"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range p.TG.Sent(p.traffic.ID) {
		if strings.HasPrefix(m.Text, "🆕 #1 ") {
			t.Fatal("the card went out before the change: the test proves nothing")
		}
	}
	p.Wait("the card to show the me-too", func() bool {
		for _, m := range p.TG.Sent(p.traffic.ID) {
			if strings.HasPrefix(m.Text, "🆕 #1 ") && strings.Contains(m.Text, "另有 1 人反映同一问题") {
				return true
			}
		}
		return false
	})
	if n := calls(p.Env, "editMessageText", p.traffic.ID); n != 1 {
		t.Errorf("%d edits of the card, want 1", n)
	}
}

// A check-in board shows only the latest state, so it waits for the
// group's budget instead of queueing in the outbox, where each edit would
// cost a message only to be replaced by the next. It still shows every
// check-in, and Telegram never answers 429.
func TestBoardWaitsForTheGroupBudget(t *testing.T) {
	yaml, fake := groupLimits(60)
	e := apptest.Start(t, yaml, fake)
	g := setupVillage(t, e, -100711, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang)
	ctx := context.Background()
	e.Wait("the setup replies to leave the outbox", func() bool {
		n, _, err := e.DB.OutboxStats(ctx)
		p, perr := e.DB.OutboxPending(ctx)
		return err == nil && perr == nil && n == 0 && p == 0
	})
	// Spend what is left of the group's budget.
	for e.App.Sender.Reserve(g.ID) == 0 {
	}
	deferred := func() float64 {
		n := 0.0
		for _, why := range []string{"budget", "backlog", "429"} {
			n += testutil.ToFloat64(e.App.Metrics.Deferred.WithLabelValues(why))
		}
		return n
	}
	queued := deferred()

	m := e.TG.SendText(g, apptest.Wang, "打卡")
	waitReaction(t, e, g.ID, m)
	waitBoard(t, e, g.ID, "王芳", "已打卡 1/3")
	for _, u := range []models.User{apptest.Li, apptest.Zhang} {
		waitReaction(t, e, g.ID, e.TG.SendText(g, u, "打卡"))
	}
	e.Clock.Advance(5 * time.Second)
	waitBoard(t, e, g.ID, "王芳", "李强", "张伟", "已打卡 3/3")
	if n := deferred() - queued; n != 0 {
		t.Errorf("%v messages went through the outbox, want none: the board waits for the budget", n)
	}
	if n := e.TG.Stats().TooManyRequests; n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
	if bs := boards(e, g.ID); len(bs) != 1 {
		t.Errorf("%d boards, want 1", len(bs))
	}
}
