package fault

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/store"
)

// TestRedisRestartUnderLoad restarts Redis (appendonly yes) while cadres
// join their groups' rosters, and checks that every join the bot confirmed
// is in Redis afterwards. Joins that arrive while Redis is down are told
// "temporarily unavailable"; none is confirmed and then lost.
//
// TODO(check-ins): when the check-in feature is merged, drive /checkin (the
// confirmation is the bot's reaction) alongside /join and check that every
// reacted check-in is recorded.
func TestRedisRestartUnderLoad(t *testing.T) {
	tests := []struct {
		name  string
		fsync string
		stop  func(rs *apptest.RedisServer)
	}{
		// A crash loses nothing acknowledged only when every write is
		// fsynced before Redis answers.
		{"kill -9, appendfsync always", "always", func(rs *apptest.RedisServer) { rs.Kill() }},
		// A clean shutdown flushes the AOF whatever the fsync policy.
		{"SHUTDOWN, appendfsync everysec", "everysec", shutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := apptest.StartRedisServer(t, "--appendonly", "yes", "--appendfsync", tt.fsync)
			e := apptest.Start(t, apptest.WithEnv("REDIS_URL", rs.URL()))
			const groups, perPhase = 6, 15 // users per group and phase
			var chats []models.Chat
			for i := 0; i < groups; i++ {
				chats = append(chats, e.TG.Group(int64(-100900-i), fmt.Sprintf("村%d", i)))
			}
			user := 0
			phase := func() {
				for i := 0; i < perPhase; i++ {
					for _, g := range chats {
						user++
						u := models.User{ID: int64(5000 + user), FirstName: fmt.Sprintf("干部%03d", user), LanguageCode: "zh"}
						e.TG.SendText(g, u, "/join")
					}
				}
			}
			confirmed := func() int {
				n := 0
				for _, g := range chats {
					n += len(joinsConfirmed(e, g.ID))
				}
				return n
			}
			phase()
			// Stop Redis while the first batch is still being handled.
			e.Wait("some joins confirmed", func() bool { return confirmed() >= groups*perPhase/3 })
			tt.stop(rs)
			phase() // arrives while Redis is down
			e.Wait("a join answered unavailable", func() bool {
				for _, g := range chats {
					if countSent(e, g.ID, "服务暂时不可用") > 0 {
						return true
					}
				}
				return false
			})
			rs.Start()
			phase()
			e.Drain()
			e.Wait("the last join confirmed", func() bool {
				return len(joinsConfirmed(e, chats[len(chats)-1].ID)) > 0 &&
					strings.Contains(lastText(e, chats[len(chats)-1].ID), "已加入名单")
			})

			// Read what Redis holds through a fresh connection.
			rdb, err := store.Dial(store.Options{URL: rs.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			db := store.New(rdb, e.Prefix)
			total := 0
			for _, g := range chats {
				roster, err := db.Roster(context.Background(), g.ID)
				if err != nil {
					t.Fatal(err)
				}
				on := map[string]bool{}
				for _, m := range roster {
					on[m.Name] = true
				}
				for _, name := range joinsConfirmed(e, g.ID) {
					total++
					if !on[name] {
						t.Errorf("group %d: the bot confirmed %s joined, but Redis lost it", g.ID, name)
					}
				}
			}
			if total < groups*perPhase*2 {
				t.Errorf("only %d joins confirmed; want at least the %d sent while Redis was up", total, groups*perPhase*2)
			}
			t.Logf("%d of %d joins confirmed, all of them in Redis after the restart", total, 3*groups*perPhase)
		})
	}
}

// joinsConfirmed lists the names the bot confirmed as joined in chat.
func joinsConfirmed(e *apptest.Env, chat int64) []string {
	var out []string
	for _, m := range e.TG.Sent(chat) {
		if name, _, ok := strings.Cut(m.Text, " 已加入名单"); ok {
			out = append(out, name)
		}
	}
	return out
}

func lastText(e *apptest.Env, chat int64) string {
	s := e.TG.Sent(chat)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1].Text
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
