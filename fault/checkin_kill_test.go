package fault

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cadrebot"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/store"
	"cadrebot/telegramtest"
)

// TestKillDuringCheckins offers 20,000 check-ins at once, kills the bot
// with SIGKILL while it works through them, and restarts it at once. Every
// check-in must end up stored and acknowledged exactly once: one 👍 on
// the message and no text reply, whatever the kill caught mid-way (updates
// taken from Telegram but not handled, check-ins stored but not yet
// acknowledged, acknowledged but not yet forgotten). The restarted bot
// must answer again within 3 s: its own lease, which it could not release,
// lapses in 2 s.
func TestKillDuringCheckins(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 check-ins")
	}
	const groups, users = 500, 40
	tg := telegramtest.New(telegramtest.WithRecordLimit(1000)).Start()
	t.Cleanup(tg.Close)
	rdb := apptest.NewRedis(t)
	t.Cleanup(func() { rdb.Close() })
	db := store.New(rdb, apptest.NewPrefix(t))
	ctx := context.Background()

	// The village groups are set up through the store: what is under
	// test is the intake, not /setup.
	chats := make([]models.Chat, groups)
	for i := range chats {
		chats[i] = tg.Group(int64(-1008000-i), fmt.Sprintf("村%03d工作群", i))
		name := fmt.Sprintf("村%03d", i)
		if err := db.UpdateGroup(ctx, chats[i].ID, cadrebot.GroupPatch{Village: &name}); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN":  apptest.Token,
		"TELEGRAM_API_URL":    tg.URL,
		"REDIS_URL":           apptest.RedisOptions().URL,
		"CADREBOT_KEY_PREFIX": db.Prefix(),
		"CADREBOT_HTTP_ADDR":  "127.0.0.1:0",
		"CADREBOT_CONFIG":     writeConfig(t, apptest.DefaultYAML),
	}
	first := startBot(t, env)

	type sent struct {
		chat int64
		msg  int
	}
	var all []sent
	for u := 0; u < users; u++ {
		for g, c := range chats {
			from := models.User{ID: int64(700000 + g*users + u), FirstName: fmt.Sprintf("干部%d-%d", g, u), LanguageCode: "zh"}
			m := tg.SendText(c, from, "打卡")
			all = append(all, sent{c.ID, m.ID})
		}
	}
	acked := func() int {
		n := 0
		for _, s := range all {
			if len(tg.Reactions(s.chat, s.msg)) > 0 {
				n++
			}
		}
		return n
	}
	// Kill in the middle of it: some acknowledged, most not yet.
	waitFor(t, 60*time.Second, "a quarter of the check-ins acknowledged", func() bool { return acked() >= len(all)/4 })
	first.kill()
	before := acked()
	restart := time.Now()
	second := startBot(t, env)
	waitFor(t, 30*time.Second, "the restarted bot to answer", func() bool { return acked() > before })
	answered := time.Since(restart)
	if answered > 3*time.Second {
		t.Errorf("the restarted bot answered after %v, want within 3s", answered.Round(10*time.Millisecond))
	}
	waitFor(t, 180*time.Second, "every check-in acknowledged", func() bool { return acked() == len(all) })
	second.stop()
	t.Logf("killed with %d of %d acknowledged; the restarted bot answered after %v and finished after %v",
		before, len(all), answered.Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))

	for _, s := range all {
		rs := tg.Reactions(s.chat, s.msg)
		if len(rs) != 1 || rs[0].ReactionTypeEmoji == nil || rs[0].ReactionTypeEmoji.Emoji != "👍" {
			t.Fatalf("message %d in %d has reactions %+v, want one 👍", s.msg, s.chat, rs)
		}
	}
	day := calendar.DateOf(time.Now().In(apptest.Shanghai))
	stored := 0
	for _, c := range chats {
		d, err := db.CheckinDay(ctx, c.ID, day)
		if err != nil {
			t.Fatal(err)
		}
		stored += len(d.Details)
		for _, m := range tg.Sent(c.ID) {
			if m.ReplyToMessage != nil {
				t.Errorf("group %d: a check-in was answered with a text reply too: %q", c.ID, m.Text)
				break
			}
		}
	}
	if stored != len(all) {
		t.Errorf("%d check-ins stored, want %d", stored, len(all))
	}
}
