package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
)

// /problem N is read where the problem is dealt with: its village group,
// the departments it was routed, reassigned or escalated to, the
// reporter's and the village admins' private chats, and deployment
// admins anywhere. Everyone else gets one answer, the same as for a
// number that does not exist.
func TestProblemReadAccess(t *testing.T) {
	p := startProblems(t)
	p.MakeAdmin(prVillage2, apptest.Emma) // admin of 东山 only
	_, n := p.report(p.v1, apptest.Wang, "村口 13900001111 路灯坏了", "停车与交通")
	p.card(prTraffic, n)
	const hidden, hiddenEn = "#1 不存在，或您无权在这里查看", "#1 does not exist, or you may not read it here"
	shown := func(chat models.Chat, from models.User, want bool) {
		t.Helper()
		before := len(p.TG.Sent(chat.ID))
		p.TG.SendText(chat, from, "/problem 1")
		p.Wait("an answer to /problem", func() bool { return len(p.TG.Sent(chat.ID)) > before })
		got := p.TG.Sent(chat.ID)[before]
		switch {
		case want && !strings.Contains(got.Text, "13900001111"):
			t.Errorf("/problem 1 by %s in %d = %q, want the problem", from.FirstName, chat.ID, got.Text)
		case !want && (strings.Contains(got.Text, "13900001111") ||
			!strings.Contains(got.Text, hidden) && !strings.Contains(got.Text, hiddenEn)):
			t.Errorf("/problem 1 by %s in %d = %q, want the refusal", from.FirstName, chat.ID, got.Text)
		}
	}
	shown(p.v1, apptest.Zhang, true)                         // the village group
	shown(p.traffic, apptest.Handler, true)                  // routed there
	shown(p.env, apptest.Handler, false)                     // another department
	shown(p.cty, coordinator, false)                         // the parent, before any escalation
	shown(p.v2, apptest.Zhang, false)                        // another village
	shown(p.v2, apptest.Emma, false)                         // another village's admin
	shown(p.TG.Private(apptest.Wang), apptest.Wang, true)    // the reporter
	shown(p.TG.Private(apptest.Li), apptest.Li, true)        // an admin of its village
	shown(p.TG.Private(apptest.Zhang), apptest.Zhang, false) // a cadre of the village, privately
	shown(p.TG.Private(apptest.Emma), apptest.Emma, false)   // in English
	shown(p.env, apptest.Admin, false)                       // a deployment admin, in a group it has nothing to do with
	shown(p.TG.Private(apptest.Admin), apptest.Admin, true)  // ... who reads it privately

	// A number that does not exist gets the very same words.
	p.TG.SendText(p.env, apptest.Handler, "/problem 999")
	p.last(prEnvDept, "#999 不存在，或您无权在这里查看")

	// Reassigned: the new department reads it, and so does the old one,
	// which had it.
	p.TG.SendText(p.cty, apptest.Admin, "/assign 1 environment")
	p.last(prCounty, "#1 已转派，当前状态")
	p.card(prEnvDept, n)
	shown(p.env, apptest.Handler, true)
	shown(p.traffic, apptest.Handler, true)
	shown(p.cty, coordinator, false)

	// Escalated past two deadlines: the parent's chat reads it.
	p.advance(73 * time.Hour)
	p.advance(72 * time.Hour)
	p.card(prCounty, n)
	shown(p.cty, coordinator, true)
}
