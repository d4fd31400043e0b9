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
	"net/http/pprof"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"cadrebot"
	"cadrebot/bot"
	"cadrebot/calendar"
	"cadrebot/clock"
	"cadrebot/config"
	"cadrebot/dashboard"
	"cadrebot/i18n"
	"cadrebot/lease"
	"cadrebot/metrics"
	"cadrebot/outbox"
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
	API       *bot.Client // every Bot API call
	Sender    *outbox.Sender
	Router    *bot.Router
	Auth      *bot.Auth
	Metrics   *metrics.Metrics
	Texts     *i18n.Catalog
	Calendar  *calendar.Calendar
	Scheduler *scheduler.Scheduler
	Courier   *outbox.Courier // sends the durable outbox
	Clock     clock.Clock
	Me        models.User
	Log       *slog.Logger
	// Instance names this process in Redis (its webhook inbox).
	Instance string

	routes   bot.Routes
	dash     *dashboard.Server // the leaders' dashboard (app/dashboard.go)
	dispatch *bot.Dispatcher
	lease    *lease.Lease // polling: poller and sender; webhook: sender
	// leaseDB holds the lease on a client of its own (see New); closeLease
	// closes that client, nil when the tests supplied the Redis.
	leaseDB    *store.DB
	closeLease func() error
	httpc      *http.Client
	listener   net.Listener
	ready      chan struct{}
	opts       Options
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
	rdb, leaseRDB := opts.Redis, opts.Redis
	if rdb == nil {
		so := store.Options{URL: cfg.Env.RedisURL, SentinelAddrs: cfg.Env.SentinelAddrs,
			MasterName: cfg.Env.MasterName, ClusterAddrs: cfg.Env.ClusterAddrs}
		var err error
		if rdb, err = store.Dial(so); err != nil {
			return nil, err
		}
		// The lease's refreshes must get through when 2,000 chats' work
		// has every connection of the main pool busy and a queue behind
		// it: a refresh that waits there past a third of the lease loses
		// it, and polling stops.
		so.PoolSize = 2
		if leaseRDB, err = store.Dial(so); err != nil {
			return nil, err
		}
		a.closeLease = leaseRDB.Close
	}
	a.DB = store.New(rdb, cfg.Env.KeyPrefix)
	a.leaseDB = store.New(leaseRDB, cfg.Env.KeyPrefix)
	a.DB.CacheGroups(ctx, a.Log)
	a.DB.SetRetention(store.Retention{Users: cfg.File.Retention.Users.Duration})
	a.DB.SetZone(cfg.Location)
	a.DB.SetClock(a.Clock.Now)
	a.Metrics = metrics.NewMetrics()
	a.DB.Stats().OnError = a.Metrics.RedisErrors.Inc
	texts, err := i18n.Load(cfg.File.Language)
	if err != nil {
		return nil, err
	}
	texts.SetTitle(cfg.File.CadreTitle, cfg.File.CadreTitleEn)
	a.Texts = texts
	ov, err := calendar.ParseOverrides(cfg.File.Calendar.Weekdays, cfg.File.Calendar.Workdays, cfg.File.Calendar.Holidays)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	a.Calendar = calendar.New(ov)
	a.Instance = instanceID()

	// The library's default transport keeps 2 idle connections per host,
	// so under load nearly every call would open a new TCP connection. As
	// many may be open as are kept idle: with more open than kept, a burst
	// (256 reactions at once) dialed connections that were closed again as
	// soon as they were idle, over and over: 8% fewer check-ins a second
	// (docs/benchmarks.md). A call past the cap waits for a connection.
	a.httpc = &http.Client{Timeout: 75 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, MaxIdleConns: 256, MaxIdleConnsPerHost: botAPIConns, MaxConnsPerHost: botAPIConns,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true}}
	a.API, err = bot.NewClient(cfg.Env.APIURL, cfg.Env.Token, a.httpc, a.Log, a.Metrics)
	if err != nil {
		return nil, err
	}
	a.buildOutbox()
	a.Auth = bot.NewAuth(a.Sender, cfg.File.Admins)
	a.registerStoreMetrics()
	return a, nil
}

// botAPIConns is how many connections the bot keeps to the Bot API.
const botAPIConns = 128

// InboxOwner names the inbox this process takes updates into.
func (a *App) InboxOwner() string {
	if a.Cfg.Env.WebhookURL != "" {
		return a.Instance
	}
	return store.InboxPoll
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
	if err := a.seedConfigChats(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("config department and leaders' chats: %w", err)
	}
	if err := a.seedApprovals(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("config approvals: %w", err)
	}
	if len(cfg.File.Admins) == 0 {
		a.Log.Warn("no deployment admins configured: nobody can approve village groups, /bind departments or read county figures; " +
			"add `admins: [<your Telegram user id>]` to the config file")
	}
	// Problems finished before the index of finished problems existed
	// are indexed once; a failure costs digests those old items, not the
	// start.
	if n, err := a.DB.IndexFinished(ctx); err != nil {
		a.Log.Warn("index of finished problems not built", "err", err)
	} else if n > 0 {
		a.Log.Info("indexed finished problems", "count", n)
	}
	if a.dash, err = a.buildDashboard(); err != nil {
		ln.Close()
		return err
	}
	a.routes = a.buildRoutes()
	a.Router = bot.NewRouter(bot.RouterConfig{BotUsername: a.Me.Username, BotID: a.Me.ID, Lang: cfg.File.Language,
		Location: cfg.Location, FloodCommands: cfg.File.Flood.Commands, FloodWindow: cfg.File.Flood.Window.Duration, Now: a.Clock.Now,
		Busy: func(chat int64) bool { return a.dispatch != nil && a.dispatch.Busy(chat) }},
		a.routes, a.DB, a.Sender, a.Texts, a.Auth, a.Log, a.Metrics)
	if err := bot.SetCommands(ctx, a.API, a.routes.Menu, a.Texts, cfg.File.Language); err != nil {
		a.Log.Warn("command menu not published", "err", err)
	}

	// Handlers run under work, which is cancelled only after the grace
	// period, so an update in flight at SIGTERM still completes.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	owner := a.InboxOwner()
	journal := bot.NewJournal(a.DB, owner, a.Log)
	a.dispatch = bot.NewDispatcher(a.Router.Handle, bot.InboxLoader(a.DB, owner, a.Log), a.Log, a.Metrics)
	a.dispatch.MaxHeld, a.dispatch.MaxChat = cfg.File.Limits.UpdatesInMemory, cfg.File.Limits.UpdatesPerChat
	jctx, stopJournal := context.WithCancel(context.WithoutCancel(ctx))
	journalDone := make(chan struct{})
	go func() {
		defer close(journalDone)
		journal.Run(jctx)
	}()

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
	if cfg.Env.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/dash/", a.dash.Handler())

	var wg sync.WaitGroup
	var hook *bot.Webhook
	if cfg.Env.WebhookURL != "" {
		if hook, err = a.startWebhook(ctx, work, mux, &wg, journal); err != nil {
			ln.Close()
			stopJournal()
			return err
		}
	} else {
		if err := a.API.DeleteWebhook(ctx); err != nil {
			a.Log.Warn("deleteWebhook", "err", err)
		}
		poller := bot.NewPoller(a.API, a.DB, journal, a.dispatch, a.Log, a.Metrics)
		poller.Prepare = a.Router.Prepare
		a.runLeader(ctx, work, &wg, poller)
		a.Log.Info("long polling")
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "err", err)
		}
	}()

	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Courier.Stats(ctx)
	}()
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
	// Only now is every finished update known; the journal's last flush
	// forgets them, and whatever is left is handled by the next start.
	stopJournal()
	<-journalDone
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if hook != nil {
		if err := hook.Leave(sctx); err != nil {
			a.Log.Warn("webhook: leave", "err", err)
		}
	}
	_ = srv.Shutdown(sctx)
	if a.closeLease != nil {
		_ = a.closeLease()
	}
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
		me, err := a.API.GetMe(ctx)
		if err == nil {
			a.Me = *me
			return nil
		}
		if bot.IsUnauthorized(err) {
			return fmt.Errorf("the bot token was refused: %w", err)
		}
		a.Log.Warn("getMe failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
