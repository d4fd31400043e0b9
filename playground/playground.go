// Package playground runs cadrebot locally with no Telegram token and no
// Redis: the real app talks to the embedded fake Bot API (telegramtest)
// through TELEGRAM_API_URL, stores its data in an embedded miniredis unless
// REDIS_URL is given, runs on a fake clock the visitor can move forward,
// and a web page puts a browser in front of three chats. A few days of
// history are seeded by acting as users, so the demo never reaches into
// the bot's internals and keeps working as features are added.
package playground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"

	"cadrebot/app"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/telegramtest"
)

// Options configure a playground.
type Options struct {
	// Env is the process environment as config.Load read it. HTTPAddr is
	// where the page listens; RedisURL (when RedisSet) replaces the
	// embedded Redis; Lang and the log settings carry over. Everything
	// else comes from the embedded demo config.
	Env    config.Env
	Logger *slog.Logger // nil discards
	// Today anchors the demo's dates (zero: the real today).
	Today time.Time
	// NoHistory skips seeding, for tests that want an empty deployment.
	NoHistory bool
	// Tick is how often the fake clock catches up with real time
	// (default 100ms).
	Tick time.Duration
}

// Playground is a running playground.
type Playground struct {
	URL    string // the page, e.g. http://127.0.0.1:8080
	APIURL string // the fake Bot API, for TELEGRAM_API_URL
	TG     *telegramtest.Server
	Clock  *Clock
	App    *app.App
	Cfg    *config.Config
	// Redis describes the store in use, for the banner.
	Redis string
	// Prefix is the key prefix in use.
	Prefix string
	Log    *slog.Logger

	mr       *miniredis.Miniredis
	srv      *http.Server
	appProxy atomic.Pointer[httputil.ReverseProxy]
	ctx      context.Context    // ends at Close
	stop     context.CancelFunc // the app, clock and page
	appDone  chan error
	seed     *seedReport
}

// Start runs the playground: the listener, the embedded Redis and Bot API,
// the app, and the seeded history. It returns once the page is ready;
// Close (or cancelling ctx, then Close) stops everything.
func Start(ctx context.Context, opts Options) (_ *Playground, err error) {
	p := &Playground{Log: opts.Logger, appDone: make(chan error, 1)}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Today.IsZero() {
		opts.Today = time.Now()
	}
	ctx, p.stop = context.WithCancel(ctx)
	p.ctx = ctx
	defer func() {
		if err != nil {
			p.Close()
		}
	}()

	ln, err := net.Listen("tcp", opts.Env.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("playground: %w (set CADREBOT_HTTP_ADDR to another address, such as 127.0.0.1:8081)", err)
	}
	p.URL = "http://" + loopback(ln.Addr())
	p.APIURL = p.URL + "/telegram"

	redisURL := opts.Env.RedisURL
	p.Prefix = opts.Env.KeyPrefix
	if opts.Env.RedisSet {
		// A fresh prefix per run: the fake Bot API starts empty each
		// time, so yesterday's state would not match today's chats, and
		// nothing of a real deployment on the same Redis is touched.
		p.Prefix += "playground:" + strconv.FormatInt(time.Now().Unix(), 10) + ":"
		p.Redis = "your Redis at REDIS_URL, keys under " + p.Prefix + " (left there at exit)"
	} else {
		p.mr = miniredis.NewMiniRedis()
		if err := p.mr.StartAddr("127.0.0.1:0"); err != nil {
			ln.Close()
			return nil, fmt.Errorf("playground: embedded redis: %w", err)
		}
		redisURL = "redis://" + p.mr.Addr() + "/0"
		p.Redis = "embedded (miniredis) at " + p.mr.Addr() + "; data is in memory and gone at exit"
	}

	p.Cfg, err = demoConfig(opts.Env, p.URL, p.APIURL, redisURL, p.Prefix)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ov, err := calendar.ParseOverrides(p.Cfg.File.Calendar.Weekdays, p.Cfg.File.Calendar.Workdays, p.Cfg.File.Calendar.Holidays)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("playground: calendar: %w", err)
	}
	start, history := demoStart(opts.Today, p.Cfg.Location, calendar.New(ov))
	if opts.NoHistory {
		history = nil
	}
	first := start
	if len(history) > 0 {
		first = history[0].Time(p.Cfg.Location).Add(8 * time.Hour)
	}
	p.Clock = NewClock(first, p.Cfg.Location, p.mr)
	go p.Clock.run(ctx, opts.Tick)

	// A playground may run for days: keep the last few thousand API calls
	// and messages per chat, not everything.
	p.TG = telegramtest.New(telegramtest.WithClock(p.Clock.Now), telegramtest.WithRecordLimit(2000))
	register(p.TG)

	// The page and the fake Bot API share one listener, so the app's
	// getMe below already goes through it.
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.Log.Error("playground http", "err", err)
		}
	}()

	p.App, err = app.New(ctx, p.Cfg, app.Options{Clock: p.Clock, Logger: p.Log})
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	go func() { p.appDone <- p.App.Run(ctx) }()
	select {
	case <-p.App.Ready():
		p.setAppProxy(p.App.Addr())
	case err := <-p.appDone:
		p.appDone <- err
		return nil, fmt.Errorf("playground: the bot stopped while starting: %w", err)
	case <-time.After(30 * time.Second):
		return nil, errors.New("playground: the bot did not start within 30s")
	}

	if len(history) > 0 {
		p.seed = seedHistory(ctx, p, history)
	}
	p.Jump(ctx, start)
	return p, nil
}

// Jump moves the fake clock to t and runs, before returning, every
// scheduled job that became due, with the scheduler's usual catch-up rules.
// The scheduler's own loop would notice the jump too, but if it is busy
// with an earlier firing it only looks again a poll interval later; its
// locks and done markers make running a firing from here and from the loop
// run it once.
func (p *Playground) Jump(ctx context.Context, t time.Time) {
	from := p.Clock.Now()
	p.Clock.Set(t)
	p.runDue(ctx, from)
}

// runDue runs the scheduled firings due in (from, now].
func (p *Playground) runDue(ctx context.Context, from time.Time) {
	if sch := p.App.Scheduler; sch != nil {
		if err := sch.Tick(ctx, from, p.Clock.Now()); err != nil && ctx.Err() == nil {
			p.Log.Warn("playground: scheduled jobs after a clock jump", "err", err)
		}
	}
}

// Close stops the app, the page, the fake Bot API and the embedded Redis.
func (p *Playground) Close() {
	if p.stop == nil {
		return
	}
	p.stop()
	p.stop = nil
	if p.App != nil {
		select {
		case err := <-p.appDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				p.Log.Warn("bot stopped", "err", err)
			}
		case <-time.After(15 * time.Second):
			p.Log.Warn("the bot did not stop within 15s")
		}
	}
	if p.TG != nil {
		p.TG.Close() // ends the page's event streams
	}
	if p.srv != nil {
		// The bot has stopped: whatever is still in flight (a page
		// request, a late call of a stopped goroutine) gets a second.
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if p.srv.Shutdown(sctx) != nil {
			_ = p.srv.Close()
		}
		cancel()
	}
	if p.mr != nil {
		p.mr.Close()
	}
}

// Run starts the playground, prints where it is, and serves until ctx
// ends.
func Run(ctx context.Context, opts Options, stdout io.Writer) error {
	p, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	p.Banner(stdout)
	select {
	case <-ctx.Done():
		return nil
	case err := <-p.appDone:
		return fmt.Errorf("playground: the bot stopped: %w", err)
	}
}

// Banner tells the visitor where everything is.
func (p *Playground) Banner(w io.Writer) {
	now := p.Clock.Now().In(p.Cfg.Location)
	fmt.Fprintf(w, `
cadrebot playground: TELEGRAM_BOT_TOKEN is not set, so this is a local demo.

  Open            %s
  Fake Bot API    %s  (token %s)
  Redis           %s
  Demo clock      %s %s (%s), a fake clock: move it from the page

Nothing reaches Telegram. Set TELEGRAM_BOT_TOKEN to run the real bot
(README, docs/playground.md). Ctrl-C stops the playground.
`, p.URL, p.APIURL, Token, p.Redis, now.Format("2006-01-02 15:04"), weekdayZh[now.Weekday()], p.Cfg.Location)
	if p.seed != nil && len(p.seed.skipped) > 0 {
		fmt.Fprintf(w, "\nDemo history without: %s (not in this build yet).\n", strings.Join(p.seed.skipped, ", "))
	}
	fmt.Fprintln(w)
}

// demoConfig loads the embedded demo config through config.Load, so it gets
// the same defaults and validation as a real deployment.
func demoConfig(env config.Env, pageURL, apiURL, redisURL, prefix string) (*config.Config, error) {
	dir, err := os.MkdirTemp("", "cadrebot-playground-")
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(path, demoYAML, 0o600); err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN":  Token,
		"TELEGRAM_API_URL":    apiURL,
		"REDIS_URL":           redisURL,
		"CADREBOT_KEY_PREFIX": prefix,
		"CADREBOT_CONFIG":     path,
		// The app's own /healthz and /metrics: a private loopback port
		// that the page's server proxies.
		"CADREBOT_HTTP_ADDR": "127.0.0.1:0",
		// The dashboard's links point at the page's server, which
		// proxies /dash/ to the app.
		"CADREBOT_PUBLIC_URL": pageURL,
		"CADREBOT_LANG":       env.Lang,
		"CADREBOT_LOG_FORMAT": env.LogFormat,
		"CADREBOT_LOG_LEVEL":  env.LogLevel,
	}
	if env.RedisSet {
		vars["REDIS_SENTINEL_ADDRS"] = strings.Join(env.SentinelAddrs, ",")
		vars["REDIS_MASTER_NAME"] = env.MasterName
		vars["REDIS_CLUSTER_ADDRS"] = strings.Join(env.ClusterAddrs, ",")
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		return nil, fmt.Errorf("playground: demo config: %w", err)
	}
	return cfg, nil
}

// register creates the demo's chats and people in the fake Bot API. Who
// is in which group is seeded later by acting as users.
func register(tg *telegramtest.Server) {
	for _, c := range append(append([]ChatInfo(nil), Villages...), Departments...) {
		tg.Group(c.ID, c.Title)
	}
	for _, p := range People {
		tg.Private(p.User)
	}
}

// loopback turns a listener address into one a local browser can open.
func loopback(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

var weekdayZh = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
