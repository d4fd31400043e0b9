// Package dashboard serves the leaders' dashboard at /dash: a league table
// of the units and villages below the leader's unit, the open problems
// with their details and a map, twelve weeks of trends and the /export
// workbook, as server-rendered HTML with a little JavaScript for sorting
// and filtering. It opens as a Telegram Mini App, whose signed launch
// data every request carries, or in a browser through a one-time link
// that /dashboard sends and that starts a session cookie. Every figure
// comes from the code of the digests and /stats (package digest,
// attendance.Rates, cadrebot.ComputeFigures) through the Figures
// interface; what a viewer may see comes from Hierarchy. Deployment
// (source.go) implements both over the digests' unit tree (package
// units) and its leaders' groups.
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/store"
)

//go:embed assets
var assets embed.FS

// LinkTTL is how long a one-time link from /dashboard stays valid.
const LinkTTL = 15 * time.Minute

// downloadTTL is how long a Mini App's export download link stays valid.
const downloadTTL = 5 * time.Minute

// telegramWeb is where Telegram's web clients (Web K and Web A) frame a
// Mini App; the Mini App's pages allow it, no other page allows framing.
const telegramWeb = "https://web.telegram.org"

// initHeader carries Telegram.WebApp.initData on every Mini App request.
const initHeader = "X-Telegram-Init-Data"

// cookieName is the browser session's cookie.
const cookieName = "cadrebot_dash"

// Sessions stores one-time link uses and browser sessions (store.DB).
type Sessions interface {
	UseDashLink(ctx context.Context, nonce string, ttl time.Duration) (bool, error)
	SaveDashSession(ctx context.Context, id string, s store.DashSession, ttl time.Duration) error
	DashSession(ctx context.Context, id string) (store.DashSession, error)
	DeleteDashSession(ctx context.Context, id string) error
}

// Files fetches a file Telegram holds (a problem's photo) for the viewer;
// the bot token in Telegram's file URL never reaches the page.
type Files interface {
	Fetch(ctx context.Context, fileID string, w io.Writer) (contentType string, err error)
}

// Texts renders catalog messages (i18n.Catalog).
type Texts interface {
	T(lang, id string, args ...i18n.Args) string
}

// Server is the dashboard.
type Server struct {
	Units    Hierarchy
	Figures  Figures
	Problems Problems
	Export   Exporter
	Files    Files
	Sessions Sessions
	Texts    Texts
	Cfg      *config.File // names of departments and categories, the map tiles
	// Token is the bot token: the key of Mini App data and, derived, of
	// one-time links. It is never logged nor shown.
	Token string
	// PublicURL is CADREBOT_PUBLIC_URL; without it no link can be made.
	PublicURL  string
	Loc        *time.Location
	Now        func() time.Time
	Log        *slog.Logger
	SessionTTL time.Duration
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Public reports whether the dashboard has an address to send people to.
func (s *Server) Public() bool { return s.PublicURL != "" }

// secure reports whether the public address is https: the session cookie
// is Secure then, and Telegram accepts the Mini App.
func (s *Server) secure() bool { return strings.HasPrefix(strings.ToLower(s.PublicURL), "https://") }

// AppURL is the Mini App's address, opening on unit (a unit key, "" the
// viewer's first), or "" when Telegram would refuse it (it opens only
// https pages).
func (s *Server) AppURL(unit string) string {
	if !s.secure() {
		return ""
	}
	if unit == "" {
		return s.PublicURL + "/dash/app"
	}
	return s.PublicURL + "/dash/app?" + url.Values{"u": {unit}}.Encode()
}

// Focus is the unit a group stands for, as a unit key, when user may see
// it: the unit whose leaders' group chat is, or chat's department. ""
// otherwise: /dashboard from that group opens the viewer's first unit.
func (s *Server) Focus(ctx context.Context, user, chat int64) (string, error) {
	u, ok, err := s.Units.OfChat(ctx, chat)
	if err != nil || !ok {
		return "", err
	}
	if _, _, err := s.scope(ctx, viewer{User: user}, u.Key()); errors.Is(err, errForbidden) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return u.Key(), nil
}

// Viewable names, in lang, the units user may see; none means no access.
func (s *Server) Viewable(ctx context.Context, user int64, lang string) ([]string, error) {
	roots, err := s.Units.Roots(ctx, user)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(roots))
	for i, u := range roots {
		names[i] = s.unitName(lang, u)
	}
	return names, nil
}

// Link makes a one-time link that signs user in, in a browser, for
// LinkTTL, and opens unit (a unit key; "" the viewer's first).
func (s *Server) Link(ctx context.Context, user int64, lang, unit string) (string, error) {
	if !s.Public() {
		return "", errors.New("dashboard: CADREBOT_PUBLIC_URL is not set")
	}
	tok := newSigner(s.Token).sign(claims{Use: useLogin, User: user, Lang: lang, Unit: unit,
		Exp: s.Now().Add(LinkTTL).Unix(), Nonce: randomID(16)})
	return s.PublicURL + "/dash/login/" + tok, nil
}

// Handler serves /dash/. Its POSTs (sign-in, sign-out, download links)
// are refused when another site's page sends them.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /dash/static/", s.static())
	mux.HandleFunc("GET /dash/{$}", s.page(s.home))
	mux.HandleFunc("GET /dash/league", s.page(s.league))
	mux.HandleFunc("GET /dash/depts", s.page(s.depts))
	mux.HandleFunc("GET /dash/problems", s.page(s.problemList))
	mux.HandleFunc("GET /dash/problem/{id}", s.page(s.problemPage))
	mux.HandleFunc("GET /dash/map", s.page(s.mapPage))
	mux.HandleFunc("GET /dash/trend", s.page(s.trend))
	mux.HandleFunc("GET /dash/photo/{id}/{n}", s.photo)
	mux.HandleFunc("GET /dash/export", s.exportFile)
	mux.HandleFunc("POST /dash/download", s.downloadLink)
	mux.HandleFunc("GET /dash/download/{token}", s.download)
	mux.HandleFunc("GET /dash/app", s.miniApp)
	mux.HandleFunc("GET /dash/login/{token}", s.loginForm)
	mux.HandleFunc("POST /dash/login/{token}", s.login)
	mux.HandleFunc("POST /dash/logout", s.logout)
	return http.NewCrossOriginProtection().Handler(mux)
}

// viewer is who a request comes from.
type viewer struct {
	User    int64
	Lang    string
	MiniApp bool // authenticated by Mini App data, not a session
}

// viewer authenticates a request: Mini App data in its header, else the
// session cookie. The error says why not, for the log; the page only
// says "sign in".
func (s *Server) viewer(r *http.Request) (viewer, error) {
	if raw := r.Header.Get(initHeader); raw != "" {
		d, err := ValidateInitData(raw, s.Token, s.Now(), InitDataMaxAge)
		if err != nil {
			return viewer{}, err
		}
		return viewer{User: d.User, Lang: s.lang(d.Lang), MiniApp: true}, nil
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return viewer{}, errNoAuth
	}
	sess, err := s.Sessions.DashSession(r.Context(), c.Value)
	if errors.Is(err, cadrebot.ErrNotFound) {
		return viewer{}, errNoSession
	}
	if err != nil {
		return viewer{}, err
	}
	return viewer{User: sess.User, Lang: s.lang(sess.Lang)}, nil
}

// lang is a supported language for l, else the deployment's.
func (s *Server) lang(l string) string {
	if n := i18n.Normalize(l); n != "" {
		return n
	}
	if s.Cfg != nil && s.Cfg.Language != "" {
		return s.Cfg.Language
	}
	return "zh"
}

// errForbidden is a unit outside everything the viewer may see.
var errForbidden = errors.New("unit outside the viewer's units")

// scope resolves the unit a request asks for (?u=, else the viewer's
// first) and checks that the viewer may see it: it must be one of their
// roots or lie below one. It returns the unit's path, top first, and the
// viewer's roots.
func (s *Server) scope(ctx context.Context, v viewer, key string) (path, roots []Unit, err error) {
	roots, err = s.Units.Roots(ctx, v.User)
	if err != nil {
		return nil, nil, err
	}
	if len(roots) == 0 {
		return nil, nil, errForbidden
	}
	if key == "" {
		key = roots[0].Key()
	}
	path, err = s.Units.Path(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range path {
		for _, r := range roots {
			if p.Key() == r.Key() {
				return path, roots, nil
			}
		}
	}
	return nil, nil, errForbidden
}

// headers sets what every dashboard answer carries. Only the Mini App's
// page may be framed, and only by Telegram's web clients; the rest deny
// framing outright (a signed-in page in someone else's frame is
// clickjacking). Pages with personal data are never stored by a cache.
func (s *Server) headers(w http.ResponseWriter, frame bool) {
	h := w.Header()
	img := "'self' data: blob:"
	if t := s.tilesOrigin(); t != "" {
		img += " " + t
	}
	ancestors := "'none'"
	if frame {
		ancestors = telegramWeb
		// Only old browsers read ALLOW-FROM; current ones ignore
		// X-Frame-Options when the CSP has frame-ancestors, which
		// names the same origin.
		h.Set("X-Frame-Options", "ALLOW-FROM "+telegramWeb)
	} else {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src "+img+
		"; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors "+ancestors)
	h.Set("X-Content-Type-Options", "nosniff")
	// Login links carry their token in the path.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// tilesOrigin is the scheme and host of the configured map tiles.
func (s *Server) tilesOrigin() string {
	if s.Cfg == nil || s.Cfg.Dashboard.MapTiles == "" {
		return ""
	}
	u, err := url.Parse(s.Cfg.Dashboard.MapTiles)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// fail answers a request that cannot be served with a short page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v viewer, err error) {
	code, msg := http.StatusInternalServerError, "dash_error"
	var bad errBadRequest
	switch {
	case errors.As(err, &bad):
		code, msg = http.StatusBadRequest, "dash_bad_request"
	case errors.Is(err, errForbidden):
		code, msg = http.StatusForbidden, "dash_forbidden"
	case errors.Is(err, cadrebot.ErrNotFound):
		code, msg = http.StatusNotFound, "dash_not_found"
	case isAuthErr(err):
		code, msg = http.StatusUnauthorized, "dash_need_login"
		if v.MiniApp || r.Header.Get(initHeader) != "" {
			msg = "dash_app_expired"
		}
	}
	// The route, not the path: a link's path is its token.
	if code == http.StatusInternalServerError {
		s.log().Error("dashboard", "route", r.Pattern, "err", err)
	} else {
		s.log().Info("dashboard refused", "route", r.Pattern, "status", code, "user", v.User, "why", err.Error())
	}
	lang := v.Lang
	if lang == "" {
		lang = s.lang("")
	}
	s.headers(w, false)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := s.render(w, "message", &pageData{Lang: lang, Title: s.t(lang, "dash_title"), Message: s.html(lang, msg)}); err != nil {
		s.log().Warn("dashboard: message page", "err", err)
	}
}

func isAuthErr(err error) bool {
	for _, e := range []error{errNoAuth, errBadInit, errForged, errStale, errNoSession} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// timeText formats a time for a page, in the deployment's zone.
func (s *Server) timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.Loc).Format("2006-01-02 15:04")
}

// errBadRequest is a malformed parameter.
type errBadRequest string

func (e errBadRequest) Error() string { return "bad request: " + string(e) }

func badRequest(format string, args ...any) error { return errBadRequest(fmt.Sprintf(format, args...)) }
