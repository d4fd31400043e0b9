// Package apptest starts the whole cadrebot service for end-to-end tests:
// real config loading, real Redis (isolated by a key prefix that is deleted
// afterwards), the real go-telegram/bot client talking to the fake Bot API
// in telegramtest through TELEGRAM_API_URL, and a fake clock for the
// scheduler.
package apptest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"cadrebot/app"
	"cadrebot/clock"
	"cadrebot/config"
	"cadrebot/store"
	"cadrebot/storetest"
	"cadrebot/telegramtest"
)

// Token is the bot token tests use; tests assert it never reaches a log.
const Token = "123456:TEST-token-never-logged"

// Monday0800 is the default fake time: Monday 30 Nov 2026, 08:00 in
// Asia/Shanghai, a workday.
var Monday0800 = time.Date(2026, 11, 30, 8, 0, 0, 0, Shanghai)

// Shanghai is the default zone.
var Shanghai, _ = time.LoadLocation("Asia/Shanghai")

// Env is one running service and its fakes.
type Env struct {
	T      testing.TB
	TG     *telegramtest.Server
	Clock  *clock.Fake
	App    *app.App
	DB     *store.DB
	Redis  redis.UniversalClient
	Prefix string
	Cfg    *config.Config
	Log    *LogBuffer

	env    map[string]string
	opts   app.Options
	tgOpts []telegramtest.Option
	cancel context.CancelFunc
	done   chan error
}

// Option adjusts the environment before the service starts.
type Option func(*Env)

// WithYAML sets the deployment config file.
func WithYAML(yaml string) Option {
	return func(e *Env) {
		p := filepath.Join(e.T.TempDir(), "cadrebot.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			e.T.Fatal(err)
		}
		e.env["CADREBOT_CONFIG"] = p
	}
}

// WithEnv sets environment variables.
func WithEnv(kv ...string) Option {
	return func(e *Env) {
		for i := 0; i+1 < len(kv); i += 2 {
			e.env[kv[i]] = kv[i+1]
		}
	}
}

// WithTime starts the fake clock at t.
func WithTime(t time.Time) Option { return func(e *Env) { e.Clock = clock.NewFake(t) } }

// WithClock shares a fake clock with another Env (replicas whose
// schedulers must see the same time).
func WithClock(c *clock.Fake) Option { return func(e *Env) { e.Clock = c } }

// WithServer uses an existing fake Bot API (two replicas sharing one).
func WithServer(s *telegramtest.Server) Option { return func(e *Env) { e.TG = s } }

// WithTelegram passes options to the fake Bot API the Env starts (privacy
// mode, Telegram's rate limits).
func WithTelegram(opts ...telegramtest.Option) Option {
	return func(e *Env) { e.tgOpts = append(e.tgOpts, opts...) }
}

// WithPrefix shares a key prefix with another Env (replicas, restarts).
func WithPrefix(p string) Option { return func(e *Env) { e.Prefix = p } }

// WithoutScheduler leaves the scheduler off.
func WithoutScheduler() Option { return func(e *Env) { e.opts.NoScheduler = true } }

// DefaultYAML is a small deployment: a parking category routed to the
// traffic bureau, whose parent is the county office.
const DefaultYAML = `
timezone: Asia/Shanghai
language: zh
admins: [9001]
# Approval is tested on its own; here every group is trusted.
approval: false
digest_chat_id: -1009
categories:
  - {id: parking, name: "停车与交通", department: traffic, sla: 72h}
  - {id: sanitation, name: "环境卫生", department: environment}
departments:
  - {id: traffic, name: "交通运输局", chat_id: -1002, parent: county}
  - {id: environment, name: "生态环境分局", chat_id: -1004, parent: county}
  - {id: county, name: "县驻村办", chat_id: -1003}
# Telegram's per-group limit (20/min) would make every test wait; the
# limiter itself is tested on its own.
limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}
`

// Start runs the service and stops it at the end of the test.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	e := &Env{T: t, env: map[string]string{}}
	e.Log = &LogBuffer{}
	for _, o := range opts {
		o(e)
	}
	if e.Clock == nil {
		e.Clock = clock.NewFake(Monday0800)
	}
	if _, ok := e.env["CADREBOT_CONFIG"]; !ok {
		WithYAML(DefaultYAML)(e)
	}
	if e.TG == nil {
		e.TG = telegramtest.New(append([]telegramtest.Option{telegramtest.WithClock(e.Clock.Now)}, e.tgOpts...)...).Start()
		t.Cleanup(e.TG.Close)
	}
	if e.Prefix == "" {
		e.Prefix = NewPrefix(t)
	}
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	base := map[string]string{
		"TELEGRAM_BOT_TOKEN":  Token,
		"TELEGRAM_API_URL":    e.TG.URL,
		"REDIS_URL":           redisURL,
		"CADREBOT_KEY_PREFIX": e.Prefix,
		"CADREBOT_HTTP_ADDR":  "127.0.0.1:0",
	}
	for k, v := range base {
		if _, ok := e.env[k]; !ok {
			e.env[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return e.env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e.Cfg = cfg
	if e.Redis == nil {
		e.Redis = e.newRedis()
	}
	e.opts.Clock = e.Clock
	e.opts.Redis = e.Redis
	e.opts.Logger = slog.New(slog.NewTextHandler(e.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", tail(e.Log.String(), 8000))
		}
	})
	e.start()
	t.Cleanup(e.Stop)
	t.Cleanup(func() {
		if strings.Contains(e.Log.String(), Token) {
			t.Errorf("the bot token appeared in the log")
		}
	})
	return e
}

func (e *Env) start() {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, e.Cfg, e.opts)
	if err != nil {
		cancel()
		e.T.Fatalf("app.New: %v", err)
	}
	e.App, e.DB, e.cancel, e.done = a, a.DB, cancel, make(chan error, 1)
	go func() { e.done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-e.done:
		e.T.Fatalf("app stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		e.T.Fatalf("app not ready after 30s:\n%s", tail(e.Log.String(), 4000))
	}
}

// Stop shuts the service down gracefully (idempotent).
func (e *Env) Stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			e.T.Errorf("app.Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		e.T.Error("app did not stop within 30s")
	}
	e.cancel = nil
}

// Restart stops the service and starts a new one on the same Redis
// prefix and fake Bot API, as after a deploy or a crash.
func (e *Env) Restart() {
	e.T.Helper()
	e.Stop()
	e.Redis = e.newRedis()
	e.opts.Redis = e.Redis
	e.start()
}

func (e *Env) newRedis() redis.UniversalClient {
	if addrs := e.env["REDIS_SENTINEL_ADDRS"]; addrs != "" { // a test's own Sentinel
		rdb, err := store.Dial(store.Options{SentinelAddrs: strings.Split(addrs, ","), MasterName: e.env["REDIS_MASTER_NAME"]})
		if err != nil {
			e.T.Fatal(err)
		}
		return rdb
	}
	if u := e.env["REDIS_URL"]; u != "" && u != defaultURL() { // a test's own Redis
		rdb, err := store.Dial(store.Options{URL: u})
		if err != nil {
			e.T.Fatal(err)
		}
		return rdb
	}
	return NewRedis(e.T)
}

// RedisOptions is the Redis the tests use (storetest.Options).
func RedisOptions() store.Options { return storetest.Options() }

func defaultURL() string { return storetest.URL() }

// NewRedis connects to the test Redis (RedisOptions); the client closes
// with the test (the app closes its own on shutdown, so tests get a
// separate one).
func NewRedis(t testing.TB) redis.UniversalClient { return storetest.Dial(t) }

// NewPrefix returns a fresh key prefix and deletes its keys after the test.
func NewPrefix(t testing.TB) string { return storetest.Prefix(t) }

// DeletePrefix deletes every key under p, on every master of a cluster.
func DeletePrefix(t testing.TB, p string) { storetest.Delete(p) }

// Users of the tests: cadres, a handler, a deployment admin.
var (
	Wang    = models.User{ID: 1001, FirstName: "王芳", LanguageCode: "zh"}
	Li      = models.User{ID: 1002, FirstName: "李强", LanguageCode: "zh"}
	Zhang   = models.User{ID: 1003, FirstName: "张伟", LanguageCode: "zh"}
	Emma    = models.User{ID: 1004, FirstName: "Emma", LanguageCode: "en"}
	Handler = models.User{ID: 2001, FirstName: "赵队长", LanguageCode: "zh"}
	Admin   = models.User{ID: 9001, FirstName: "县驻村办管理员", LanguageCode: "zh"}
)

// Wait polls cond until it holds or the deadline passes.
func (e *Env) Wait(what string, cond func() bool) {
	e.T.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.T.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitSent waits until the bot has a message in chat containing substr
// and returns it.
func (e *Env) WaitSent(chat int64, substr string) *models.Message {
	e.T.Helper()
	var got *models.Message
	e.Wait(fmt.Sprintf("a bot message in %d containing %q", chat, substr), func() bool {
		for _, m := range e.TG.Sent(chat) {
			if strings.Contains(m.Text, substr) || strings.Contains(m.Caption, substr) ||
				strings.Contains(telegramtest.HTML(m.Text, m.Entities), substr) ||
				strings.Contains(telegramtest.HTML(m.Caption, m.CaptionEntities), substr) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// Drain waits until the fake API has no unconfirmed updates and every
// update was handled, so a test can assert that something did NOT happen.
func (e *Env) Drain() {
	e.T.Helper()
	// The bot confirms a batch (asks for the next offset) once it is in
	// its inbox, and deletes each update from there once it is handled.
	e.Wait("the bot to take every update", func() bool { return e.TG.Pending() == 0 })
	e.Wait("every update to be handled", func() bool {
		es, err := e.DB.Inbox(context.Background(), e.App.InboxOwner())
		return err == nil && len(es) == 0
	})
	// Messages the handlers and jobs queued go out asynchronously.
	e.WaitOutbox()
}

// WaitOutbox waits until the outbox has sent everything queued and run
// its sent hooks (which record, for example, a queued prompt's id in its
// form).
func (e *Env) WaitOutbox() {
	e.T.Helper()
	e.Wait("the outbox to empty", func() bool {
		n, _, err := e.DB.OutboxStats(context.Background())
		return err == nil && n == 0
	})
}

// Admin makes user an administrator of chat in the fake API.
func (e *Env) MakeAdmin(chat int64, u models.User) { e.TG.SetMember(chat, u.ID, "administrator") }

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// LogBuffer collects log output for assertions.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Confirm waits for the bot's question in chat containing substr, presses
// its ✅ button as from, and waits until the question became the answer
// (its buttons gone). It returns the answer.
func (e *Env) Confirm(chat models.Chat, from models.User, substr string) *models.Message {
	e.T.Helper()
	q := e.WaitSent(chat.ID, substr)
	label := ""
	if q.ReplyMarkup != nil {
		for _, row := range q.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if strings.HasPrefix(b.Text, "✅") {
					label = b.Text
				}
			}
		}
	}
	if label == "" {
		e.T.Fatalf("the question %q has no ✅ button", q.Text)
	}
	if _, err := e.TG.PressButton(chat, from, q.ID, label); err != nil {
		e.T.Fatal(err)
	}
	var got *models.Message
	e.Wait("the confirmed answer", func() bool {
		m, ok := e.TG.Message(chat.ID, q.ID)
		if ok && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0) {
			got = m
			return true
		}
		return false
	})
	return got
}
