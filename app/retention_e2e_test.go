package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
	"cadrebot/storetest"
)

// durableKinds are the keys kept without a TTL, each for a reason
// docs/redis.md gives ("Retention"). Every other key the bot writes must
// expire.
var durableKinds = []*regexp.Regexp{
	regexp.MustCompile(`^schema$`),
	regexp.MustCompile(`^groups$`),    // configured groups only
	regexp.MustCompile(`^transient$`), // chats never set up, with when they were last seen
	regexp.MustCompile(`^sched:seen$`),
	regexp.MustCompile(`^(dept|unit)chats$`),
	regexp.MustCompile(`^migrated$`),
	regexp.MustCompile(`^moved:-?\d+$`),
	regexp.MustCompile(`^undeliverable$`), // pruned by the retention sweep
	regexp.MustCompile(`^webhook:secret$`),
	regexp.MustCompile(`^\{in\}:(offset|fence)$`),
	regexp.MustCompile(`^\{in\}:q:poll$`), // only while updates are in flight
	regexp.MustCompile(`^\{outbox\}$`),    // entries are deleted once sent
	regexp.MustCompile(`^\{u\d+\}$`),      // only with reminders by DM on: checked below
	regexp.MustCompile(`^\{g-\d+\}:(meta|members|idx|svc|leave|leavereq|ci:\d{4}|off:\d{4})$`),
	regexp.MustCompile(`^\{pr\}:`), // problems are the record
	regexp.MustCompile(`^\{pj\}:`), // and village projects
}

// TestEveryKeyExpiresOrIsRecord runs the end-to-end flows (setup, roster,
// check-ins, leave, a problem through its life, digests, an export, a
// stranger's group, a /start-only user, a flood, a dashboard sign-in),
// then lists every key without a TTL and checks each against the durable
// kinds. The chat that was never set up and the user who only said /start
// are forgotten after their retention.
func TestEveryKeyExpiresOrIsRecord(t *testing.T) {
	p := startProblems(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "http://dash.example.org"))
	e := p.Env
	ctx := context.Background()
	// A stranger's group that never sets up, and a user who only ever
	// says /start.
	junk := e.TG.Group(-100960, "随便建的群")
	e.TG.SendText(junk, apptest.Emma, "/help")
	e.TG.SendText(junk, apptest.Emma, "/join")
	stranger := e.TG.Private(apptest.Emma)
	e.TG.SendText(stranger, apptest.Emma, "/start")
	// A cadre who wants reminders by DM is kept.
	dm := e.TG.Private(apptest.Zhang)
	e.TG.SendText(dm, apptest.Zhang, "/remindme")

	e.TG.SendText(p.v1, apptest.Wang, "/join")
	e.TG.SendText(p.v1, apptest.Wang, "打卡 走访农户")
	e.TG.SendText(p.v1, apptest.Wang, "/leave tomorrow")
	_, n := p.report(p.v1, apptest.Wang, "村口路灯坏了", "停车与交通")
	card := p.card(p.traffic.ID, n)
	p.press(p.traffic, apptest.Handler, card, "📥 受理")
	e.TG.SendText(p.v1, apptest.Wang, "/stats")
	e.TG.SendText(p.v1, apptest.Li, "/today")
	for i := 0; i < 30; i++ {
		e.TG.SendText(p.v2, apptest.Emma, "/roster")
	}
	e.Drain()
	// A leader signs in to the dashboard: a used link, a session.
	newDash(t, e).signIn(e, apptest.Admin)

	rdb := apptest.NewRedis(t)
	defer rdb.Close()
	keys := func() map[string]time.Duration {
		out := map[string]time.Duration{}
		for _, k := range storetest.Keys(t, rdb, e.Prefix) {
			ttl, err := rdb.PTTL(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimPrefix(k, e.Prefix)] = ttl
		}
		return out
	}
	all := keys()
	if len(all) < 30 {
		t.Fatalf("only %d keys: the flows did not run", len(all))
	}
	for k, ttl := range all {
		if ttl > 0 {
			continue
		}
		durable := false
		for _, re := range durableKinds {
			durable = durable || re.MatchString(k)
		}
		if !durable {
			t.Errorf("key %q has no TTL and is no durable kind", k)
		}
	}
	if ttl := all["{u1004}"]; ttl <= 0 {
		t.Errorf("a user who only said /start is kept for good (TTL %v)", ttl)
	}
	if ttl := all["{u1003}"]; ttl != -1 {
		t.Errorf("a user with reminders by DM has TTL %v, want none", ttl)
	}

	// Thirty-one days later the retention sweep forgets the stranger's
	// group, and keeps the villages.
	e.Clock.Advance(31 * 24 * time.Hour)
	at := e.Clock.Now()
	if err := e.App.Scheduler.Tick(ctx, at.Add(-24*time.Hour), at); err != nil {
		t.Fatal(err)
	}
	e.Wait("the stranger's group forgotten", func() bool {
		_, ok := keys()["{g-100960}:meta"]
		return !ok
	})
	left := keys()
	for k := range left {
		if strings.HasPrefix(k, "{g-100960}") {
			t.Errorf("%s kept after the retention", k)
		}
	}
	for _, k := range []string{"{g-100601}:meta", "{g-100601}:members", "{g-1002}:meta"} {
		if _, ok := left[k]; !ok {
			t.Errorf("%s was forgotten; configured groups stay", k)
		}
	}
}
