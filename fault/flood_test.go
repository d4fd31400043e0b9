package fault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cadrebot"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/store"
	"cadrebot/telegramtest"
)

// TestFloodIsolation measures how one flooding group affects everyone
// else. 199 village groups check in at a steady rate while, in alternate
// phases, group 0 sends 100 commands and a /report dialog flood (100
// answers). The bot runs with Telegram's real limits (20 messages a minute
// per group) against a fake Bot API that enforces them. The p99 latency of
// the other groups' check-ins (from the message to its 👍) with the flood
// must stay within 2× of the phases without it. Phases alternate, five
// times each, so that what else the machine is doing weighs on both alike:
// a 2-vCPU VM loses cycles to its host in bursts, and with three a burst
// that hit one phase could move the pooled p99 of its kind by itself.
func TestFloodIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	const groups, rate, perPhase = 200, 200.0, 600
	tg := telegramtest.New(telegramtest.WithTelegramLimits(telegramtest.DefaultLimits()), telegramtest.WithRecordLimit(2000)).Start()
	t.Cleanup(tg.Close)
	rdb := apptest.NewRedis(t)
	t.Cleanup(func() { rdb.Close() })
	db := store.New(rdb, apptest.NewPrefix(t))
	ctx := context.Background()
	chats := make([]models.Chat, groups)
	for i := range chats {
		chats[i] = tg.Group(int64(-1009000-i), fmt.Sprintf("村%03d工作群", i))
		name := fmt.Sprintf("村%03d", i)
		if err := db.UpdateGroup(ctx, chats[i].ID, cadrebot.GroupPatch{Village: &name}); err != nil {
			t.Fatal(err)
		}
	}
	yaml := strings.Replace(apptest.DefaultYAML,
		"limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}",
		"limits: {global_per_second: 30, group_per_minute: 20, private_per_second: 1}", 1)
	bot := startBot(t, map[string]string{
		"TELEGRAM_BOT_TOKEN":  apptest.Token,
		"TELEGRAM_API_URL":    tg.URL,
		"REDIS_URL":           apptest.RedisOptions().URL,
		"CADREBOT_KEY_PREFIX": db.Prefix(),
		"CADREBOT_HTTP_ADDR":  "127.0.0.1:0",
		"CADREBOT_CONFIG":     writeConfig(t, yaml),
	})
	defer bot.stop()

	w := newLatencies(tg)
	defer w.close()
	flooder := models.User{ID: 690001, FirstName: "刷屏的人", LanguageCode: "zh"}
	next := 0 // check-ins sent so far; each from a new cadre
	phase := func(flood bool) []time.Duration {
		if flood {
			go func() {
				for i := 0; i < 100; i++ {
					tg.SendText(chats[0], flooder, "/roster")
				}
				tg.SendText(chats[0], flooder, "/report 园区门口货车乱停")
				for i := 0; i < 100; i++ {
					tg.SendText(chats[0], flooder, fmt.Sprintf("地址：兰亭街道%d号", i))
				}
			}()
		}
		var refs []msgRef
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		for i := 0; i < perPhase; i++ {
			<-tick.C
			c := chats[1+next%(groups-1)]
			u := models.User{ID: int64(600000 + next), FirstName: fmt.Sprintf("干部%d", next), LanguageCode: "zh"}
			next++
			refs = append(refs, w.send(c, u))
		}
		return w.wait(t, refs, 60*time.Second)
	}
	phase(false) // warm up: connections, caches, the lease
	var base, flooded []time.Duration
	for range 5 {
		base = append(base, phase(false)...)
		flooded = append(flooded, phase(true)...)
	}
	pb, pf := p99(base), p99(flooded)
	t.Logf("p99 of the other groups' check-ins: %v without the flood, %v with it (%d each; p50 %v and %v)",
		pb, pf, len(base), p50(base), p50(flooded))
	if pf > 2*pb {
		t.Errorf("p99 with one group flooding = %v, more than twice the %v without", pf, pb)
	}
	// The flood itself was controlled: at most the flood limit answered
	// in the flooding group, one notice, and no 429 from Telegram.
	if st := tg.Stats(); st.TooManyRequests != 0 {
		t.Errorf("%d answers of 429: the bot exceeded Telegram's limits", st.TooManyRequests)
	}
}

type msgRef struct {
	chat int64
	msg  int
}

// latencies times check-ins from their message to the bot's reaction,
// from the fake API's events.
type latencies struct {
	tg     *telegramtest.Server
	events <-chan telegramtest.Event
	stop   func()
	mu     sync.Mutex
	sentAt map[msgRef]time.Time
	ackAt  map[msgRef]time.Time
}

func newLatencies(tg *telegramtest.Server) *latencies {
	ev, stop := tg.Subscribe()
	l := &latencies{tg: tg, events: ev, stop: stop, sentAt: map[msgRef]time.Time{}, ackAt: map[msgRef]time.Time{}}
	go func() {
		for e := range ev {
			if e.Kind == telegramtest.EventReaction && e.Entry != nil && !e.Entry.FromBot && len(e.Entry.Reactions) > 0 {
				now := time.Now()
				l.mu.Lock()
				if _, ok := l.ackAt[msgRef{e.ChatID, e.MessageID}]; !ok {
					l.ackAt[msgRef{e.ChatID, e.MessageID}] = now
				}
				l.mu.Unlock()
			}
		}
	}()
	return l
}

func (l *latencies) close() { l.stop() }

// send posts a check-in and notes when.
func (l *latencies) send(c models.Chat, u models.User) msgRef {
	at := time.Now()
	m := l.tg.SendText(c, u, "打卡")
	r := msgRef{c.ID, m.ID}
	l.mu.Lock()
	l.sentAt[r] = at
	l.mu.Unlock()
	return r
}

// wait returns the latencies of refs once each is acknowledged.
func (l *latencies) wait(t *testing.T, refs []msgRef, d time.Duration) []time.Duration {
	t.Helper()
	var out []time.Duration
	waitFor(t, d, "every check-in of the phase acknowledged", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		out = out[:0]
		for _, r := range refs {
			a, ok := l.ackAt[r]
			if !ok {
				return false
			}
			out = append(out, a.Sub(l.sentAt[r]))
		}
		return true
	})
	return out
}

func p99(ds []time.Duration) time.Duration { return quantile(ds, 0.99) }
func p50(ds []time.Duration) time.Duration { return quantile(ds, 0.50) }

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*q))]
}
