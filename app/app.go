// Package app wires cadrebot together from its configuration: Redis, the
// Telegram client, the router with every feature, the scheduler and the
// HTTP endpoints. cmd/cadrebot, the end-to-end tests and the playground
// all start the service through it, so they run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/bot"
	"cadrebot/calendar"
	"cadrebot/clock"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/scheduler"
	"cadrebot/store"
)

// Options are the parts tests and the playground swap in.
type Options struct {
	Clock  clock.Clock           // nil means the wall clock
	Logger *slog.Logger          // nil discards
	Redis  redis.UniversalClient // nil dials from the config
	// NoScheduler leaves the scheduler off (replica tests turn it on
	// selectively).
	NoScheduler bool
}

// App is one running cadrebot.
type App struct {
	Cfg       *config.Config
	DB        *store.DB
	TG        *tgbot.Bot
	Sender    *bot.Sender
	Router    *bot.Router
	Auth      *bot.Auth
	Metrics   *bot.Metrics
	Texts     *i18n.Catalog
	Calendar  *calendar.Calendar
	Scheduler *scheduler.Scheduler
	Courier   *bot.Courier // sends the durable outbox
	Clock     clock.Clock
	Me        models.User
	Log       *slog.Logger

	routes   bot.Routes
	dispatch *bot.Dispatcher
	httpc    *http.Client
	listener net.Listener
	ready    chan struct{}
	opts     Options
}

// New builds the service; Run starts it.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	a := &App{Cfg: cfg, opts: opts, ready: make(chan struct{})}
	a.Log = opts.Logger
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	a.Clock = opts.Clock
	if a.Clock == nil {
		a.Clock = clock.Real{}
	}
	rdb := opts.Redis
	if rdb == nil {
		var err error
		rdb, err = store.Dial(store.Options{URL: cfg.Env.RedisURL, SentinelAddrs: cfg.Env.SentinelAddrs,
			MasterName: cfg.Env.MasterName, ClusterAddrs: cfg.Env.ClusterAddrs})
		if err != nil {
			return nil, err
		}
	}
	a.DB = store.New(rdb, cfg.Env.KeyPrefix)
	a.Metrics = bot.NewMetrics()
	a.DB.Stats().OnError = a.Metrics.RedisErrors.Inc
	texts, err := i18n.Load(cfg.File.Language)
	if err != nil {
		return nil, err
	}
	a.Texts = texts
	ov, err := calendar.ParseOverrides(cfg.File.Calendar.Weekdays, cfg.File.Calendar.Workdays, cfg.File.Calendar.Holidays)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	a.Calendar = calendar.New(ov)

	// The library's default transport keeps 2 idle connections per host,
	// so under load nearly every call would open a new TCP connection.
	a.httpc = &http.Client{Timeout: 75 * time.Second, Transport: bot.BufferBodies(&http.Transport{
		Proxy: http.ProxyFromEnvironment, MaxIdleConns: 256, MaxIdleConnsPerHost: 128,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true})}
	a.TG, err = tgbot.New(cfg.Env.Token,
		tgbot.WithServerURL(cfg.Env.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(time.Minute, a.httpc),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithDefaultHandler(func(ctx context.Context, b *tgbot.Bot, u *models.Update) { a.Router.Handle(ctx, b, u) }),
		tgbot.WithErrorsHandler(func(err error) { a.Log.Warn("telegram client", "err", redact(err.Error(), cfg.Env.Token)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	a.Sender = bot.NewSender(a.TG, bot.Limits{GlobalPerSecond: cfg.File.Limits.GlobalPerSecond,
		GroupPerMinute: cfg.File.Limits.GroupPerMinute, PrivatePerSecond: cfg.File.Limits.PrivatePerSecond}, a.Log, a.Metrics)
	a.Auth = bot.NewAuth(a.Sender, cfg.File.Admins)
	a.buildOutbox(rdb)
	a.registerStoreMetrics()
	return a, nil
}

// Ready is closed once the bot knows who it is and takes updates.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Addr is the HTTP listener's address once Run has started.
func (a *App) Addr() string {
	<-a.ready
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully: stop taking
// updates, let handlers in flight finish within the shutdown timeout, stop
// the scheduler, close Redis.
func (a *App) Run(ctx context.Context) error {
	cfg := a.Cfg
	ln, err := net.Listen("tcp", cfg.Env.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Env.HTTPAddr, err)
	}
	a.listener = ln

	if err := a.waitRedis(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := a.whoami(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := a.seedVillages(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("config villages: %w", err)
	}
	a.routes = a.buildRoutes()
	a.Router = bot.NewRouter(bot.RouterConfig{BotUsername: a.Me.Username, Lang: cfg.File.Language, Location: cfg.Location,
		Approval: cfg.File.Approval, ApprovedChats: cfg.File.ApprovedChats, FloodCommands: cfg.File.Flood.Commands,
		FloodWindow: cfg.File.Flood.Window.Duration, Now: a.Clock.Now}, a.routes, a.DB, a.Sender, a.Texts, a.Auth, a.Log, a.Metrics)
	if err := bot.SetCommands(ctx, a.TG, a.routes.Menu, a.Texts, cfg.File.Language); err != nil {
		a.Log.Warn("command menu not published", "err", redact(err.Error(), cfg.Env.Token))
	}

	// Handlers run under work, which is cancelled only after the grace
	// period, so an update in flight at SIGTERM still completes.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	a.dispatch = bot.NewDispatcher(cfg.File.Limits.HandlerWorkers, func(ctx context.Context, u *models.Update) {
		a.TG.ProcessUpdate(ctx, u)
	}, a.Log, a.Metrics)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.DB.Ping(r.Context()); err != nil {
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))

	var wg sync.WaitGroup
	var hook *bot.Webhook
	if cfg.Env.WebhookURL != "" {
		u, _ := url.Parse(cfg.Env.WebhookURL)
		path := u.Path
		if path == "" {
			path = "/"
		}
		hook = bot.NewWebhook(cfg.Env.WebhookSecret, a.dispatch, work, a.Log)
		mux.Handle(path, hook)
		if _, err := a.TG.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: cfg.Env.WebhookURL, SecretToken: cfg.Env.WebhookSecret,
			AllowedUpdates: []string{"message", "callback_query", "my_chat_member", "chat_member"}}); err != nil {
			ln.Close()
			return fmt.Errorf("setWebhook: %s", redact(err.Error(), cfg.Env.Token))
		}
		a.Log.Info("webhook mode", "path", path)
	} else {
		if _, err := a.TG.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
			a.Log.Warn("deleteWebhook", "err", redact(err.Error(), cfg.Env.Token))
		}
		poller := bot.NewPoller(cfg.Env.APIURL, cfg.Env.Token, a.httpc, a.DB, a.dispatch, a.Log)
		a.runPoller(ctx, work, &wg, poller)
		a.Log.Info("long polling")
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "err", err)
		}
	}()

	a.runOutbox(ctx, work, &wg)
	if !a.opts.NoScheduler {
		a.Scheduler = a.buildScheduler()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = a.Scheduler.Run(ctx)
		}()
	}
	a.Log.Info("cadrebot started", "bot", a.Me.Username, "http", ln.Addr().String())
	close(a.ready)

	<-ctx.Done()
	a.Log.Info("shutting down")
	grace := cfg.File.Limits.ShutdownTimeout.Duration
	timer := time.AfterFunc(grace, cancelWork)
	defer timer.Stop()
	if hook != nil {
		hook.Close()
	}
	wg.Wait()
	a.dispatch.Close()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return a.DB.Close()
}

// waitRedis retries until Redis answers, so the bot can start before its
// Redis does (compose, Kubernetes).
func (a *App) waitRedis(ctx context.Context) error {
	for {
		err := a.DB.EnsureSchema(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, cadrebot.ErrUnavailable) {
			return err
		}
		a.Log.Warn("waiting for redis", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// whoami asks getMe, retrying while Telegram is unreachable: the bot
// needs its own username to recognise "/cmd@bot" and its id to notice
// being added to a group.
func (a *App) whoami(ctx context.Context) error {
	for {
		me, err := a.TG.GetMe(ctx)
		if err == nil {
			a.Me = *me
			return nil
		}
		if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
			return fmt.Errorf("getMe: the bot token was refused: %s", redact(err.Error(), a.Cfg.Env.Token))
		}
		a.Log.Warn("getMe failed; retrying", "err", redact(err.Error(), a.Cfg.Env.Token))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
