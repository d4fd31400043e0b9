package fault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/store"
)

// TestRedisRestartUnderLoad restarts Redis (appendonly yes) while cadres
// check in, and checks that every check-in is confirmed with its 👍
// reaction and is in Redis afterwards. Check-ins that arrive while Redis is
// down stay with Telegram until the bot can keep them; one whose handler
// Redis failed under is told "temporarily unavailable" and handled again
// once Redis is back. None is lost, none confirmed and then lost.
func TestRedisRestartUnderLoad(t *testing.T) {
	tests := []struct {
		name  string
		fsync string
		stop  func(rs *apptest.RedisServer)
	}{
		// SIGKILL: Redis writes the AOF before it answers, so even
		// everysec loses nothing here; "always" also covers a host crash
		// (docs/operations.md).
		{"kill -9, appendfsync always", "always", func(rs *apptest.RedisServer) { rs.Kill() }},
		// A clean shutdown flushes the AOF whatever the fsync policy.
		{"SHUTDOWN, appendfsync everysec", "everysec", shutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := apptest.StartRedisServer(t, "--appendonly", "yes", "--appendfsync", tt.fsync)
			e := apptest.Start(t, apptest.WithEnv("REDIS_URL", rs.URL()))
			const groups, perPhase = 6, 10 // cadres per group checking in in each phase
			type cadre struct {
				chat models.Chat
				user models.User
			}
			var chats []models.Chat
			var phases [3][]cadre
			n := 0
			for i := 0; i < groups; i++ {
				g := e.TG.Group(int64(-100900-i), fmt.Sprintf("村%d工作群", i))
				chats = append(chats, g)
				e.TG.SendText(g, apptest.Admin, fmt.Sprintf("/setup 村%d", i))
				for p := range phases {
					for j := 0; j < perPhase; j++ {
						n++
						u := models.User{ID: int64(5000 + n), FirstName: fmt.Sprintf("干部%03d", n), LanguageCode: "zh"}
						phases[p] = append(phases[p], cadre{g, u})
						e.TG.SendText(g, u, "/join")
					}
				}
			}
			e.Drain()

			var mu sync.Mutex
			sent := map[int64][]sentCheckin{} // chat -> check-in messages
			checkIn := func(cs []cadre) {
				for _, c := range cs {
					m := e.TG.SendText(c.chat, c.user, "打卡")
					mu.Lock()
					sent[c.chat.ID] = append(sent[c.chat.ID], sentCheckin{c.user.ID, m.ID})
					mu.Unlock()
				}
			}
			confirmed := func() (n int) {
				mu.Lock()
				defer mu.Unlock()
				for chat, ms := range sent {
					for _, m := range ms {
						if len(e.TG.Reactions(chat, m.msg)) > 0 {
							n++
						}
					}
				}
				return n
			}
			checkIn(phases[0])
			// Stop Redis while the first check-ins are still being handled.
			e.Wait("some check-ins confirmed", func() bool { return confirmed() >= perPhase*groups/3 })
			tt.stop(rs)
			checkIn(phases[1]) // arrive while Redis is down
			rs.Start()
			checkIn(phases[2])
			e.Wait("every check-in confirmed", func() bool { return confirmed() == 3*groups*perPhase })
			e.Drain()

			// Read what Redis holds through a fresh connection.
			rdb, err := store.Dial(store.Options{URL: rs.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			db := store.New(rdb, e.Prefix)
			today := calendar.DateOf(e.Clock.Now())
			total := 0
			for _, g := range chats {
				day, err := db.CheckinDay(context.Background(), g.ID, today)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range sent[g.ID] {
					if len(e.TG.Reactions(g.ID, m.msg)) == 0 {
						continue
					}
					total++
					if _, ok := day.Details[m.user]; !ok {
						t.Errorf("group %d: the bot confirmed user %d's check-in, but Redis lost it", g.ID, m.user)
					}
				}
			}
			if total != 3*groups*perPhase {
				t.Errorf("%d check-ins confirmed, want all %d", total, 3*groups*perPhase)
			}
			t.Logf("%d check-ins, %d answered \"temporarily unavailable\" first, all confirmed and in Redis after the restart",
				total, unavailable(e, chats))
		})
	}
}

func unavailable(e *apptest.Env, chats []models.Chat) int {
	n := 0
	for _, g := range chats {
		n += countSent(e, g.ID, "服务暂时不可用")
	}
	return n
}

type sentCheckin struct {
	user int64
	msg  int
}

func countSent(e *apptest.Env, chat int64, substr string) int {
	n := 0
	for _, m := range e.TG.Sent(chat) {
		if strings.Contains(m.Text, substr) {
			n++
		}
	}
	return n
}

// shutdown stops Redis cleanly (it flushes the AOF) and waits for it.
func shutdown(rs *apptest.RedisServer) {
	rdb, err := store.Dial(store.Options{URL: rs.URL()})
	if err == nil {
		_ = rdb.Do(context.Background(), "SHUTDOWN").Err() // the connection drops: no reply
		rdb.Close()
	}
	rs.Kill() // reaps the process; a no-op signal if it already exited
}
