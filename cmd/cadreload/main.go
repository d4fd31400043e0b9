// Command cadreload measures how fast a Telegram bot handles check-ins. It
// serves a fake Bot API (telegramtest) on -listen; start the bot under test
// with TELEGRAM_API_URL pointing at it (any token works). cadreload then
// sets up -groups groups of -users cadres, injects one check-in per cadre
// and times each one from injection to the bot's answer: a reaction on the
// message or a reply to it. It prints updates/s, p50/p99 latency, the
// bot's outgoing message rate and 429s, and, when -metrics names the bot's
// Prometheus endpoint, its RSS and Redis round trips per update.
//
//	go run ./cmd/cadreload -listen 127.0.0.1:8081 -groups 100 -users 20 &
//	TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=1:x \
//	    CADREBOT_HTTP_ADDR=127.0.0.1:8080 go run ./cmd/cadrebot
//
// Nothing in it is specific to cadrebot except the defaults of -setup,
// -join and -text, so another bot can be measured the same way.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/telegramtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	listen   string
	groups   int
	users    int
	rate     float64
	setup    string
	join     string
	text     string
	admin    int64
	limits   bool
	metrics  string
	timeout  time.Duration
	settle   time.Duration
	jsonOut  bool
	firstID  int64
	redis    string        // a Redis to read INFO commandstats from
	ready    chan<- string // tests: receives the API URL once listening
	noGroups bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("cadreload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8081", "address of the fake Bot API; the bot's TELEGRAM_API_URL is http://ADDR")
	fs.IntVar(&o.groups, "groups", 100, "group chats")
	fs.IntVar(&o.users, "users", 20, "cadres per group; each checks in once")
	fs.Float64Var(&o.rate, "rate", 0, "check-ins injected per second (0: all at once, which measures throughput)")
	fs.StringVar(&o.setup, "setup", "/setup 村{g}", "command a group admin sends first in each group ({g} is the group number; empty skips)")
	fs.StringVar(&o.join, "join", "", "command each cadre sends before the run, if the bot needs one (cadrebot does not: a check-in joins the roster)")
	fs.StringVar(&o.text, "text", "打卡", "the check-in message")
	fs.Int64Var(&o.admin, "admin", 800000000, "user ID of group 0's admin, who sends -setup; group g's is this + g")
	fs.BoolVar(&o.limits, "limits", true, "answer 429 like Telegram when the bot exceeds 30 msg/s, 20/min per group, 1/s per private chat")
	fs.StringVar(&o.metrics, "metrics", "", "the bot's Prometheus URL (cadrebot: http://CADREBOT_HTTP_ADDR/metrics) for RSS and Redis round trips")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.StringVar(&o.redis, "redis", "", "redis://ADDR of a Redis only the bot under test uses: reports the commands it ran per update, those inside Lua scripts included (INFO commandstats)")
	fs.DurationVar(&o.settle, "settle", time.Second, "quiet time that ends the setup phase")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	fs.Int64Var(&o.firstID, "first-chat", -1002000000000, "ID of the first group; the others count down from it")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.groups < 1 || o.users < 1 {
		return nil, errors.New("-groups and -users must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "cadreload:", err)
		return 2
	}
	res, err := load(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "cadreload:", err)
		return 1
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		res.print(stdout)
	}
	return 0
}

// load runs the whole measurement.
func load(ctx context.Context, o *options, log io.Writer) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	w := newWatcher(o.groups * o.users)
	opts := []telegramtest.Option{telegramtest.WithRecordLimit(10000), telegramtest.WithHandOut(w.handOut)}
	if o.limits {
		opts = append(opts, telegramtest.WithTelegramLimits(telegramtest.DefaultLimits()))
	}
	tg := telegramtest.New(opts...)
	defer tg.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: tg.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(log, "fake Bot API at %s: start the bot with TELEGRAM_API_URL=%s\n", url, url)
	if o.ready != nil {
		o.ready <- url
	}
	// getMe is the first call of most bots; a pending long poll is only
	// recorded once it returns.
	if err := waitUntil(ctx, func() bool { return len(tg.Stats().Calls) > 0 }); err != nil {
		return nil, fmt.Errorf("no bot connected: %w", err)
	}
	fmt.Fprintln(log, "bot connected; setting up", o.groups, "groups of", o.users)

	chats := make([]models.Chat, o.groups)
	for g := range chats {
		chats[g] = tg.Group(o.firstID-int64(g), fmt.Sprintf("村%d工作群", g))
		// One admin per group: a single user sending -setup everywhere
		// would trip the bot's per-user flood control.
		tg.SetMember(chats[g].ID, o.admin+int64(g), "administrator")
	}
	user := func(g, u int) models.User {
		id := int64(700000000 + g*o.users + u)
		return models.User{ID: id, FirstName: fmt.Sprintf("干部%d", id), LanguageCode: "zh"}
	}
	for g, c := range chats {
		if o.setup != "" {
			admin := models.User{ID: o.admin + int64(g), FirstName: "管理员", LanguageCode: "zh"}
			tg.SendText(c, admin, strings.ReplaceAll(o.setup, "{g}", fmt.Sprint(g)))
		}
		if o.join != "" {
			for u := 0; u < o.users; u++ {
				tg.SendText(c, user(g, u), o.join)
			}
		}
	}
	if err := settle(ctx, tg, o.settle); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	before, _ := scrape(o.metrics)
	cmdsBefore, _ := redisCommands(ctx, o.redis)
	st0 := tg.Stats()

	events, unsubscribe := tg.Subscribe()
	defer unsubscribe()
	go w.consume(events)
	w.arm()

	fmt.Fprintln(log, "injecting", o.groups*o.users, "check-ins")
	start := time.Now()
	var interval time.Duration
	if o.rate > 0 {
		interval = time.Duration(float64(time.Second) / o.rate)
	}
	// Cadres take turns across groups, as a morning of check-ins would.
	i := 0
	for u := 0; u < o.users; u++ {
		for g, c := range chats {
			if interval > 0 {
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					select {
					case <-ctx.Done():
						return nil, ctx.Err()
					case <-time.After(d):
					}
				}
			}
			w.sent(c.ID, tg.SendText(c, user(g, u), o.text).ID, time.Now())
			i++
		}
	}
	if err := w.wait(ctx); err != nil {
		return nil, fmt.Errorf("waiting for answers (%d of %d): %w", w.answeredCount(), i, err)
	}
	res := w.result(start)
	st := tg.Stats()
	res.BotMessages = st.Sent - st0.Sent
	res.TooManyRequests = st.TooManyRequests - st0.TooManyRequests
	res.MaxMessagesPerSecond = st.MaxGlobalPerSecond
	if cmdsAfter, err := redisCommands(ctx, o.redis); err == nil && cmdsBefore != nil {
		res.RedisServerCommandsPerUpdate = float64(cmdsAfter.total-cmdsBefore.total) / float64(res.Updates)
		res.RedisServerCPUPerUpdateUs = (cmdsAfter.cpu - cmdsBefore.cpu) / float64(res.Updates)
	}
	if after, err := scrape(o.metrics); err == nil && before != nil {
		res.RSSMiB = after["process_resident_memory_bytes"] / (1 << 20)
		res.RedisRoundTripsPerUpdate = (after["cadrebot_redis_roundtrips_total"] - before["cadrebot_redis_roundtrips_total"]) / float64(res.Updates)
		res.RedisCommandsPerUpdate = (after["cadrebot_redis_commands_total"] - before["cadrebot_redis_commands_total"]) / float64(res.Updates)
	} else if o.metrics != "" {
		fmt.Fprintln(log, "metrics:", err)
	}
	return res, nil
}

// settle waits until the bot has fetched every update and stopped sending
// for d: the end of a setup phase whatever the bot answers.
func settle(ctx context.Context, tg *telegramtest.Server, d time.Duration) error {
	last, quietSince := -1, time.Now()
	return waitUntil(ctx, func() bool {
		n := 0
		for _, v := range tg.Stats().Calls {
			n += v
		}
		if n != last || tg.Pending() > 0 {
			last, quietSince = n, time.Now()
			return false
		}
		return time.Since(quietSince) >= d
	})
}

func waitUntil(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
