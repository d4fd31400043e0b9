package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// dgVillages sets up n village groups with one member each, who checks in
// once, starting on Monday 2026-11-30 after that day's digest time.
func dgVillages(t *testing.T, e *apptest.Env, n int) []models.Chat {
	t.Helper()
	var gs []models.Chat
	for i := range n {
		id := int64(-100800 - i)
		g := dgGroup(t, e, id, fmt.Sprintf("第%d村工作群", i+1), fmt.Sprintf("第%d村", i+1), apptest.Wang)
		m := e.TG.SendText(g, apptest.Wang, "/checkin")
		waitReaction(t, e, id, m)
		gs = append(gs, g)
	}
	return gs
}

const dgWeek1207 = "11月30日至12月6日"

// TestDigestRunInterruptedByRestart stops the service while a digest run
// is in flight, one group's photo hanging at Telegram until it fails:
// after the restart that group still gets its digest, from the retry
// sweep, and no group gets two.
func TestDigestRunInterruptedByRestart(t *testing.T) {
	e := apptest.Start(t, apptest.WithTime(dgAt("2026-11-30 09:30")))
	gs := dgVillages(t, e, 4)
	stuck := gs[2].ID
	var once sync.Once
	blocked, release := make(chan struct{}), make(chan struct{})
	e.TG.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		if c.Method != "sendPhoto" || c.ChatID() != stuck {
			return nil
		}
		once.Do(func() { close(blocked) })
		select {
		case <-release:
		case <-time.After(20 * time.Second):
		}
		return &telegramtest.Fault{Code: 502}
	})
	others := func() bool {
		for _, g := range gs {
			if g.ID != stuck && countDigests(e, g.ID, dgWeek1207) == 0 {
				return false
			}
		}
		select {
		case <-blocked:
			return true
		default:
			return false
		}
	}
	dgFire(t, e, dgAt("2026-12-07 09:00"), "the run to send all but the stuck group", others)
	if n := countDigests(e, stuck, dgWeek1207); n != 0 {
		t.Fatalf("stuck group has %d digests before the restart", n)
	}

	// A shutdown lets a digest's send finish (within a bound): here
	// Telegram answers the stuck call with a 502 once the service is
	// shutting down, so that digest is not sent and is left to the sweep.
	go func() {
		defer close(release)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if strings.Contains(e.Log.String(), "shutting down") {
				return
			}
		}
	}()
	e.Restart()
	e.TG.FailWhile(nil)

	dgFire(t, e, dgAt("2026-12-07 09:10"), "the retry sweep to send the stuck group's digest", func() bool {
		return countDigests(e, stuck, dgWeek1207) > 0
	})
	e.Clock.Set(dgAt("2026-12-07 09:30"))
	e.Drain()
	for _, g := range gs {
		if n := countDigests(e, g.ID, dgWeek1207); n != 1 {
			t.Errorf("group %d has %d digests of the week, want 1", g.ID, n)
		}
	}
}

// TestDigestSurvivesKickedGroup: a group that removed the bot fails alone,
// is not retried all day, and the others get their digests.
func TestDigestSurvivesKickedGroup(t *testing.T) {
	e := apptest.Start(t, apptest.WithTime(dgAt("2026-11-30 09:30")))
	gs := dgVillages(t, e, 3)
	kicked := gs[1].ID
	e.TG.KickBot(kicked)
	e.Drain()
	dgFire(t, e, dgAt("2026-12-07 09:00"), "digests in the other groups", func() bool {
		return countDigests(e, gs[0].ID, dgWeek1207) == 1 && countDigests(e, gs[2].ID, dgWeek1207) == 1
	})
	sweeps := testutil.ToFloat64(e.App.Metrics.JobRuns.WithLabelValues("digest_retry", "ran"))
	dgFire(t, e, dgAt("2026-12-07 09:10"), "the retry sweep", func() bool {
		return testutil.ToFloat64(e.App.Metrics.JobRuns.WithLabelValues("digest_retry", "ran")) > sweeps
	})
	e.Drain()
	if n := countDigests(e, kicked, dgWeek1207); n != 0 {
		t.Errorf("kicked group has %d digests", n)
	}
	if n := calls(e, "sendPhoto", kicked); n > 1 {
		t.Errorf("%d sendPhoto calls to the kicked group, want at most 1: a 403 is not retried", n)
	}
}
