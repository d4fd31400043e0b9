// Package telegramtest is an in-memory fake of the Telegram Bot API.
//
// It speaks the real wire protocol (multipart, JSON and urlencoded requests,
// {"ok":...} envelopes, error codes and descriptions copied from Telegram) so
// the unmodified go-telegram/bot client and hand-written pollers can run
// against it. Tests drive it by acting as users (SendText, Press, ...) and
// inspect what the bot did (Calls, Sent, Transcript). The playground uses the
// same API to put a browser in front of the bot, so nothing here may depend on
// package testing.
package telegramtest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// DefaultBot is the bot identity answered by getMe unless WithBotUser is used.
var DefaultBot = models.User{
	ID:                      100000,
	IsBot:                   true,
	FirstName:               "cadrebot",
	Username:                "cadrebot_bot",
	CanJoinGroups:           true,
	CanReadAllGroupMessages: true,
}

// Server is the fake Bot API. Create it with New, then either Start it or
// mount Handler in another server. All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to pass to tgbot.WithServerURL; set by Start.
	URL string

	cfg    config
	epoch  time.Time
	ts     *httptest.Server
	closed chan struct{}
	once   sync.Once

	tokMu  sync.Mutex
	tokens []string

	reg    registry
	q      queue
	rec    recorder
	files  fileStore
	faults faultTable
	lim    limiter
	cmds   commandStore
	hub    hub
	cbs    callbackStore
}

type config struct {
	bot             models.User
	clock           func() time.Time
	limits          *Limits
	recordLimit     int
	token           string
	privacy         bool
	webhookAttempts int
	webhookBackoff  time.Duration
	handOut         func(chat int64, msg int, at time.Time)
}

// Option configures a Server.
type Option func(*config)

// WithBotUser replaces the identity returned by getMe and used as the author
// of the bot's messages.
func WithBotUser(u models.User) Option {
	return func(c *config) { u.IsBot = true; c.bot = u }
}

// WithHandOut calls h for every message update getUpdates hands to the
// bot (again if it is handed out again), just before the answer is
// written: a load tool times the bot from there, without the time the
// update waited in the queue.
func WithHandOut(h func(chat int64, msg int, at time.Time)) Option {
	return func(c *config) { c.handOut = h }
}

// WithTelegramLimits makes the server enforce flood limits with 429 answers.
// Without it the server still measures rates (see Stats) but never refuses.
func WithTelegramLimits(l Limits) Option {
	return func(c *config) { c.limits = &l }
}

// WithRecordLimit keeps only the last n calls (and roughly the last
// max(n,1000) messages per chat) so long benchmarks run in bounded memory.
// 0 means unlimited.
func WithRecordLimit(n int) Option {
	return func(c *config) { c.recordLimit = n }
}

// WithClock sets the clock used for message dates (unix seconds). Rate
// limiting always uses the real monotonic clock, because the client's
// retry_after sleeps are real.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithToken makes every other token answer 401 Unauthorized, to test that the
// bot is configured with the right one. By default any token is accepted.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithPrivacyMode mimics group privacy mode: in groups where the bot is not an
// administrator it only receives commands, replies to its own messages,
// mentions of its username and service messages.
func WithPrivacyMode(on bool) Option {
	return func(c *config) { c.privacy = on }
}

// WithWebhookRetry bounds webhook redelivery: each update is POSTed at most
// attempts times, waiting backoff, 2*backoff, ... (capped at 1s) in between,
// and then dropped with the error kept in getWebhookInfo.
func WithWebhookRetry(attempts int, backoff time.Duration) Option {
	return func(c *config) { c.webhookAttempts, c.webhookBackoff = attempts, backoff }
}

// New creates a server that does not listen yet.
func New(opts ...Option) *Server {
	cfg := config{
		bot:             DefaultBot,
		clock:           time.Now,
		webhookAttempts: 5,
		webhookBackoff:  20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.webhookAttempts < 1 {
		cfg.webhookAttempts = 1
	}
	s := &Server{cfg: cfg, epoch: time.Now(), closed: make(chan struct{})}
	s.reg.init()
	s.q.init()
	s.rec.init(cfg.recordLimit)
	s.files.init()
	s.cmds.m = map[string][]models.BotCommand{}
	s.cbs.m = map[string]*callbackRef{}
	return s
}

// Handler serves /bot<token>/<method> and /file/bot<token>/<path>. Mount it
// with http.StripPrefix if it does not live at the root.
func (s *Server) Handler() http.Handler { return s }

// Start listens on a loopback port and sets URL.
func (s *Server) Start() *Server {
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Close stops the listener, ends long polls and webhook delivery, and closes
// the channels handed out by Subscribe. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.q.mu.Lock()
		if h := s.q.hook; h != nil {
			s.q.hook = nil
			close(h.stop)
		}
		s.q.mu.Unlock()
		if s.ts != nil {
			// Long polls see s.closed and return, so this does not block
			// for a whole poll timeout.
			s.ts.Close()
		}
		s.hub.closeAll()
	})
}

// Bot returns the bot's own user.
func (s *Server) Bot() models.User { return s.cfg.bot }

// Tokens lists the distinct bot tokens seen so far, in order of first use.
func (s *Server) Tokens() []string {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	return append([]string(nil), s.tokens...)
}

func (s *Server) noteToken(tok string) {
	s.tokMu.Lock()
	// The list is tiny (usually one token), a scan beats a map here.
	for _, t := range s.tokens {
		if t == tok {
			s.tokMu.Unlock()
			return
		}
	}
	s.tokens = append(s.tokens, tok)
	s.tokMu.Unlock()
}

func (s *Server) now() int { return int(s.cfg.clock().Unix()) }

// mono is the monotonic time used for rate windows.
func (s *Server) mono() int64 { return int64(time.Since(s.epoch)) }

// ServeHTTP makes the Server its own http.Handler; see Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(p, "/bot")
	slash := strings.IndexByte(rest, '/')
	if !ok || slash <= 0 || slash == len(rest)-1 {
		writeError(w, &apiError{code: 404, desc: "Not Found"})
		return
	}
	s.serveMethod(w, r, rest[:slash], rest[slash+1:])
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, token, name string) {
	s.noteToken(token)
	m := lookupMethod(name)
	method := name
	if m != nil {
		method = m.name
	}
	req, aerr := parseRequest(w, r)
	call := Call{Method: method, Params: req.params, At: time.Now()}
	if s.cfg.token != "" && token != s.cfg.token {
		aerr = &apiError{code: 401, desc: "Unauthorized"}
	}
	if aerr == nil && m == nil {
		aerr = &apiError{code: 404, desc: "Not Found: method not found"}
	}
	var fault *Fault
	if aerr == nil {
		call.Files = req.fileValues()
		fault = s.faults.match(call)
		if fault != nil && fault.Drop {
			call.Status, call.Err = 0, "connection dropped"
			s.rec.add(call)
			// The standard way to make net/http cut the connection
			// without an answer and without logging a stack trace.
			panic(http.ErrAbortHandler)
		}
		if fault != nil && fault.Page {
			code := cmp.Or(fault.Code, http.StatusNotFound)
			call.Status, call.Err = code, "html page"
			s.rec.add(call)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1><p>The requested URL %s was not found on this server.</p></body></html>",
				code, http.StatusText(code), r.URL.Path)
			return
		}
		if fault != nil && !fault.Applied {
			aerr = fault.apiError()
		}
	}
	var result []byte
	if aerr == nil {
		var res any
		res, aerr = m.fn(s, r, req)
		if aerr == nil {
			result, aerr = marshalResult(res)
		}
		if fault != nil {
			// Applied faults model a lost answer: the effect happened,
			// the client still sees a failure.
			result, aerr = nil, fault.apiError()
		}
	}
	if len(req.files) > 0 {
		call.Files = req.fileValues()
	}
	if aerr != nil {
		call.Status, call.Err = aerr.code, aerr.desc
	} else {
		call.Status, call.Result = http.StatusOK, result
	}
	s.rec.add(call)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeOK(w, result)
}
