package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	dto "github.com/prometheus/client_model/go"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// Chats of the problem tests: two village groups and the department
// groups of apptest.DefaultYAML (traffic → county, environment → county).
const (
	prVillage  = -100601
	prVillage2 = -100602
	prTraffic  = -1002
	prEnvDept  = -1004
	prCounty   = -1003
)

// prEnv is a running service with the groups set up: Li administers
// both villages, Handler works in the traffic bureau's chat, and the
// county office's chat has a coordinator of its own.
type prEnv struct {
	*apptest.Env
	t                 testing.TB
	v1, v2            models.Chat
	traffic, env, cty models.Chat
}

var coordinator = models.User{ID: 2002, FirstName: "县协调员", LanguageCode: "zh"}

func startProblems(t testing.TB, opts ...apptest.Option) *prEnv {
	t.Helper()
	e := apptest.Start(t, opts...)
	p := &prEnv{Env: e, t: t,
		v1: e.TG.Group(prVillage, "谢家坞村工作群"), v2: e.TG.Group(prVillage2, "东山村工作群"),
		traffic: e.TG.Group(prTraffic, "交通运输局工作群"), env: e.TG.Group(prEnvDept, "生态环境分局"),
		cty: e.TG.Group(prCounty, "县驻村办")}
	e.MakeAdmin(p.v1.ID, apptest.Li)
	e.MakeAdmin(p.v2.ID, apptest.Li)
	e.TG.SetMember(prTraffic, apptest.Handler.ID, telegramtest.StatusMember)
	e.TG.SetMember(prCounty, coordinator.ID, telegramtest.StatusMember)
	e.TG.SendText(p.v1, apptest.Li, "/setup 谢家坞 平水镇")
	e.WaitSent(p.v1.ID, "谢家坞")
	e.TG.SendText(p.v2, apptest.Li, "/setup 东山")
	e.WaitSent(p.v2.ID, "东山")
	return p
}

// last returns the bot's latest message in chat containing substr, after
// waiting for one to exist.
func (p *prEnv) last(chat int64, substr string) *models.Message {
	p.t.Helper()
	p.WaitSent(chat, substr)
	var got *models.Message
	for _, m := range p.TG.Sent(chat) {
		if has(m, substr) {
			got = m
		}
	}
	return got
}

// has reports whether a message's text or caption, plain or as HTML,
// contains substr.
func has(m *models.Message, substr string) bool {
	return strings.Contains(m.Text, substr) || strings.Contains(m.Caption, substr) ||
		strings.Contains(telegramtest.HTML(m.Text, m.Entities), substr)
}

// count is how many bot messages in chat contain substr.
func (p *prEnv) count(chat int64, substr string) int {
	n := 0
	for _, m := range p.TG.Sent(chat) {
		if has(m, substr) {
			n++
		}
	}
	return n
}

// press taps the button labelled label on msg and waits until the bot
// answered the callback; it returns the answer.
func (p *prEnv) press(chat models.Chat, from models.User, msg *models.Message, label string) telegramtest.Callback {
	p.t.Helper()
	id, err := p.TG.PressButton(chat, from, msg.ID, label)
	if err != nil {
		p.t.Fatalf("press %q: %v\nmessage: %q\nbuttons: %v", label, err, msg.Text, buttons(msg))
	}
	return p.answer(id)
}

// pressData sends raw callback data, as a forged or stale client would.
func (p *prEnv) pressData(chat models.Chat, from models.User, msgID int, data string) telegramtest.Callback {
	p.t.Helper()
	return p.answer(p.TG.Press(chat, from, msgID, data))
}

func (p *prEnv) answer(id string) telegramtest.Callback {
	p.t.Helper()
	var cb telegramtest.Callback
	p.Wait("the callback answered", func() bool {
		c, ok := p.TG.CallbackAnswer(id)
		cb = c
		return ok && c.Answered
	})
	p.Drain()
	return cb
}

// fresh re-reads a message (edits applied).
func (p *prEnv) fresh(chat int64, m *models.Message) *models.Message {
	p.t.Helper()
	got, ok := p.TG.Message(chat, m.ID)
	if !ok {
		p.t.Fatalf("message %d in %d is gone", m.ID, chat)
	}
	return got
}

func buttons(m *models.Message) []string {
	var out []string
	if m == nil || m.ReplyMarkup == nil {
		return nil
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.Text+"="+b.CallbackData)
		}
	}
	return out
}

func buttonData(m *models.Message, label string) string {
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.Text == label {
				return b.CallbackData
			}
		}
	}
	return ""
}

// report files a one-step report in chat and returns the report message
// and the problem's number.
func (p *prEnv) report(chat models.Chat, from models.User, text, category string) (*models.Message, int64) {
	p.t.Helper()
	msg := p.TG.SendText(chat, from, "/report "+text)
	prompt := p.last(chat.ID, "请选择问题分类")
	p.press(chat, from, prompt, category)
	done := p.fresh(chat.ID, prompt)
	if strings.Contains(done.Text, "登记前请看一下") {
		// Open problems of the category exist; file it anyway.
		if cb := p.press(chat, from, done, "不是同一件，新登记"); cb.ShowAlert {
			p.t.Fatalf("filing despite duplicates refused: %q", cb.Text)
		}
		done = p.fresh(chat.ID, prompt)
	}
	var n int64
	i := strings.Index(done.Text, "已登记 #")
	if i < 0 {
		p.t.Fatalf("not filed: %q", done.Text)
	}
	if _, err := fmt.Sscanf(done.Text[i:], "已登记 #%d", &n); err != nil {
		p.t.Fatalf("no problem number in %q", done.Text)
	}
	return msg, n
}

// card is the latest card of problem n in a department chat.
func (p *prEnv) card(chat int64, n int64) *models.Message {
	p.t.Helper()
	head := fmt.Sprintf("#%d ", n)
	var got *models.Message
	p.Wait(fmt.Sprintf("a card of #%d in %d", n, chat), func() bool {
		for _, m := range p.TG.Sent(chat) {
			if m.Photo == nil && strings.Contains(m.Text, head) && strings.Contains(m.Text, "🏘") {
				got = m
			}
		}
		return got != nil
	})
	return got
}

// problem loads a problem straight from the store.
func (p *prEnv) problem(n int64) cadrebot.Problem {
	p.t.Helper()
	pr, err := p.DB.Problem(context.Background(), n)
	if err != nil {
		p.t.Fatalf("problem #%d: %v", n, err)
	}
	return pr
}

// history lists the actions of a problem's history.
func (p *prEnv) history(n int64) []cadrebot.Action {
	p.t.Helper()
	h, err := p.DB.History(context.Background(), n)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []cadrebot.Action
	for _, e := range h {
		out = append(out, e.Action)
	}
	return out
}

// advance moves the fake clock and waits until both problem sweeps have
// run for the new time. A scheduler that was not parked on the clock yet
// (just restarted) waits a fake minute more, so the clock is nudged by a
// minute until it has run.
func (p *prEnv) advance(d time.Duration) {
	p.t.Helper()
	p.Wait("the scheduler to wait on the clock", func() bool { return p.Clock.Waiters() > 0 })
	od, rs := p.jobRuns("overdue_sweep"), p.jobRuns("resolved_sweep")
	p.Clock.Advance(d)
	nudged := time.Now()
	p.Wait("both sweeps to run", func() bool {
		if p.jobRuns("overdue_sweep") > od && p.jobRuns("resolved_sweep") > rs {
			return true
		}
		if time.Since(nudged) > 100*time.Millisecond {
			p.Clock.Advance(time.Minute)
			nudged = time.Now()
		}
		return false
	})
	p.Drain()
}

// jobRuns is how many firings of job finished (ran or failed).
func (p *prEnv) jobRuns(job string) float64 {
	var n float64
	for _, result := range []string{"ran", "failed"} {
		var m dto.Metric
		if err := p.App.Metrics.JobRuns.WithLabelValues(job, result).Write(&m); err != nil {
			p.t.Fatal(err)
		}
		n += m.GetCounter().GetValue()
	}
	return n
}

func countAction(acts []cadrebot.Action, a cadrebot.Action) int {
	n := 0
	for _, x := range acts {
		if x == a {
			n++
		}
	}
	return n
}
