package playground

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"cadrebot/dashboard"
	"cadrebot/telegramtest"
)

//go:embed assets
var assets embed.FS

var pageTmpl = template.Must(template.New("").Funcs(template.FuncMap{"samples": func() any { return Samples }}).
	ParseFS(assets, "assets/*.html"))

// sample returns a bundled sample photo, or nil.
func sample(name string) []byte {
	if path.Base(name) != name {
		return nil
	}
	b, err := assets.ReadFile("assets/samples/" + name)
	if err != nil {
		return nil
	}
	return b
}

// Samples are the bundled photos the page offers, with their labels.
var Samples = []struct{ File, Label string }{
	{"parking.jpg", "园区门口乱停车"},
	{"pothole.jpg", "桥面坑洞积水"},
	{"garbage.jpg", "垃圾点满溢"},
}

func (p *Playground) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.HandleFunc("GET /{$}", p.page)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /events", p.events)
	mux.HandleFunc("GET /chat/{id}", p.chatFragment)
	mux.HandleFunc("GET /file/{id}", p.file)
	mux.HandleFunc("POST /act/send", p.act(p.actSend))
	mux.HandleFunc("POST /act/press", p.act(p.actPress))
	mux.HandleFunc("POST /act/location", p.act(p.actLocation))
	mux.HandleFunc("POST /act/photo", p.act(p.actPhoto))
	mux.HandleFunc("POST /act/clock", p.actClock)
	mux.Handle("/telegram/", http.StripPrefix("/telegram", p.TG.Handler()))
	for _, path := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "/dash/"} {
		mux.HandleFunc(path, p.proxyApp)
	}
	mux.HandleFunc("GET /dashboard", p.dashboard)
	mux.HandleFunc("GET /dashboard/app", p.dashboardApp)
	// The page has no login: at least stop other sites from driving it
	// from a visitor's browser.
	return http.NewCrossOriginProtection().Handler(mux)
}

// dashboard signs the visitor in to the leaders' dashboard as the demo
// county's deployment admin (陈主任), as /dashboard in his private chat
// would: a fresh one-time link, then its page.
func (p *Playground) dashboard(w http.ResponseWriter, r *http.Request) {
	link, err := p.App.Dashboard().Link(r.Context(), Chen.User.ID, Chen.User.LanguageCode, "")
	if err != nil {
		http.Error(w, "dashboard: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	u, err := url.Parse(link)
	if err != nil {
		http.Error(w, "dashboard link", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// dashboardApp opens the dashboard as Telegram opens its Mini App for
// 陈主任: launch data signed with the demo bot's token in the URL's
// fragment. Real Telegram does this signing; here the playground plays
// Telegram.
func (p *Playground) dashboardApp(w http.ResponseWriter, r *http.Request) {
	data := dashboard.SignInitData(Token, Chen.User.ID, Chen.User.FirstName, Chen.User.LanguageCode, p.Clock.Now())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dash/app#tgWebAppData="+url.QueryEscape(data)+"&tgWebAppVersion=8.0&tgWebAppPlatform=web", http.StatusSeeOther)
}

// proxyApp forwards the app's own endpoints, which listen on a private
// loopback port, so `cadrebot healthcheck` and Prometheus work against the
// playground's address too.
func (p *Playground) proxyApp(w http.ResponseWriter, r *http.Request) {
	rp := p.appProxy.Load()
	if rp == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	rp.ServeHTTP(w, r)
}

func (p *Playground) setAppProxy(addr string) {
	p.appProxy.Store(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr}))
}

// pane is one chat column's content.
type pane struct {
	ID      int64
	Title   string
	Short   string
	Owner   string // person key, for private chats
	Private bool
	Msgs    []msgView
}

type pageData struct {
	People      []Person
	Villages    []pane
	Departments []pane
	Privates    []pane
	Commands    []models.BotCommand
	Zone        string
	NowMillis   int64
	Bot         string
}

func (p *Playground) page(w http.ResponseWriter, r *http.Request) {
	d := pageData{People: People, Zone: p.Cfg.Location.String(),
		NowMillis: p.Clock.Now().UnixMilli(), Commands: p.TG.Commands("", p.Cfg.File.Language), Bot: displayName(p.TG.Bot())}
	for _, c := range Villages {
		d.Villages = append(d.Villages, p.pane(c.ID, c.Title, c.Short, ""))
	}
	for _, c := range Departments {
		d.Departments = append(d.Departments, p.pane(c.ID, c.Title, c.Short, ""))
	}
	for _, who := range People {
		d.Privates = append(d.Privates, p.pane(who.User.ID, "与 cadrebot 的私聊", who.User.FirstName, who.Key))
	}
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, "index.html", d); err != nil {
		p.Log.Error("playground page", "err", err)
		http.Error(w, "page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

func (p *Playground) pane(id int64, title, short, owner string) pane {
	pn := pane{ID: id, Title: title, Short: short, Owner: owner, Private: owner != ""}
	for _, e := range p.TG.Transcript(id) {
		pn.Msgs = append(pn.Msgs, view(e, p.Cfg.Location))
	}
	return pn
}

// chatFragment re-renders one chat, for the page to catch up after a
// dropped event stream.
func (p *Playground) chatFragment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || !p.known(id) {
		http.NotFound(w, r)
		return
	}
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, "msgs", p.pane(id, "", "", "").Msgs); err != nil {
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// file serves a file the bot or a user sent; ?download=NAME makes it an
// attachment.
func (p *Playground) file(w http.ResponseWriter, r *http.Request) {
	f, ok := p.TG.File(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := f.MIME
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if name := r.URL.Query().Get("download"); name != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	}
	_, _ = w.Write(f.Data)
}

func (p *Playground) known(id int64) bool {
	for _, c := range append(append([]ChatInfo(nil), Villages...), Departments...) {
		if c.ID == id {
			return true
		}
	}
	return slices.ContainsFunc(People, func(who Person) bool { return who.User.ID == id })
}

// actor is who does what where, from a form.
type actor struct {
	who  Person
	chat models.Chat
}

var errBadForm = errors.New("bad form")

// act wraps a user action: it resolves the person and the chat, and
// refuses a private chat that is not the person's own.
func (p *Playground) act(fn func(a actor, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := PersonByKey(r.FormValue("user"))
		if !ok {
			http.Error(w, "unknown user", http.StatusBadRequest)
			return
		}
		id, err := strconv.ParseInt(r.FormValue("chat"), 10, 64)
		if err != nil || !p.known(id) || (id > 0 && id != who.User.ID) {
			http.Error(w, "unknown chat", http.StatusBadRequest)
			return
		}
		c, _ := p.TG.Chat(id)
		if err := fn(actor{who: who, chat: c}, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (p *Playground) actSend(a actor, r *http.Request) error {
	text := strings.TrimSpace(r.FormValue("text"))
	if text == "" || !utf8.ValidString(text) {
		return fmt.Errorf("%w: empty message", errBadForm)
	}
	if utf8.RuneCountInString(text) > 4096 {
		return fmt.Errorf("%w: Telegram messages are at most 4096 characters", errBadForm)
	}
	var opts []telegramtest.MsgOpt
	if id, err := strconv.Atoi(r.FormValue("reply")); err == nil && id > 0 {
		if _, live := p.TG.Message(a.chat.ID, id); live {
			opts = append(opts, telegramtest.ReplyTo(id))
		}
	}
	p.TG.SendText(a.chat, a.who.User, text, opts...)
	return nil
}

func (p *Playground) actPress(a actor, r *http.Request) error {
	id, err := strconv.Atoi(r.FormValue("msg"))
	data := r.FormValue("data")
	if err != nil || data == "" {
		return fmt.Errorf("%w: msg and data are required", errBadForm)
	}
	p.TG.Press(a.chat, a.who.User, id, data)
	return nil
}

func (p *Playground) actLocation(a actor, r *http.Request) error {
	pl := placeFor(a.chat.ID, r.FormValue("place"))
	p.TG.SendLocation(a.chat, a.who.User, pl.Lat, pl.Lon)
	return nil
}

func (p *Playground) actPhoto(a actor, r *http.Request) error {
	data := sample(r.FormValue("sample"))
	if data == nil {
		return fmt.Errorf("%w: no such sample photo", errBadForm)
	}
	p.TG.SendPhoto(a.chat, a.who.User, data, strings.TrimSpace(r.FormValue("caption")))
	return nil
}

// actClock moves the fake clock: the scheduler sees the jump and runs
// whatever became due, as after a real night or weekend.
func (p *Playground) actClock(w http.ResponseWriter, r *http.Request) {
	var to time.Time
	switch r.FormValue("to") {
	case "tomorrow10":
		to = p.Clock.Tomorrow10()
	case "monday9":
		to = p.Clock.NextMonday9()
	case "hour":
		to = p.Clock.Now().Add(time.Hour)
	default:
		http.Error(w, "to must be tomorrow10, monday9 or hour", http.StatusBadRequest)
		return
	}
	// The jobs run after the answer, in the playground's context: a
	// digest for every group takes a moment, and the page follows along
	// through the event stream anyway.
	from := p.Clock.Now()
	p.Clock.Set(to)
	go p.runDue(p.ctx, from)
	w.WriteHeader(http.StatusNoContent)
}
