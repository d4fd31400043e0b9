package dashboard

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"cadrebot/calendar"
	"cadrebot/digest"
	"cadrebot/i18n"
)

// link is a labelled URL of a page.
type link struct {
	Text, URL string
	Active    bool
}

// pageData is what a page's template gets; each tab fills its part.
type pageData struct {
	s           *Server
	Lang, Title string
	MiniApp     bool
	Tab         string
	UnitName    string
	Crumbs      []link
	Roots       []link
	Tabs        []link
	Periods     []link
	Prev, Next  string
	PeriodText  string
	ExportURL   string
	DownloadURL string // the Mini App asks it for a one-time export link
	Updated     string
	Message     template.HTML

	League  *leagueView
	List    *listView
	Problem *problemView
	Map     *mapView
	Trend   *trendView
	Login   *loginView
}

// T renders a catalog message in the page's language, for templates.
func (d *pageData) T(id string) string { return d.s.t(d.Lang, id) }

// TA is T with arguments given as name, value pairs.
func (d *pageData) TA(id string, kv ...any) string {
	args := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			args[k] = kv[i+1]
		}
	}
	return d.s.t(d.Lang, id, args)
}

// req is an authenticated request for a unit's page.
type req struct {
	*http.Request
	v     viewer
	lang  string
	path  []Unit
	roots []Unit
	unit  Unit
	// per is the period the page's figures cover: perKind ("week",
	// "month", "quarter") off periods back from the current one, which
	// ends today.
	per     digest.Period
	perKind string
	off     int
}

// Query is the request's query string.
func (q *req) Query() url.Values { return q.URL.Query() }

// url is the address of tab with the request's unit and period, changed
// by key/value pairs ("" drops a parameter).
func (q *req) url(tab string, kv ...string) string {
	v := url.Values{}
	v.Set("u", q.unit.Key())
	if q.perKind != "week" {
		v.Set("per", q.perKind)
	}
	if q.off != 0 {
		v.Set("off", strconv.Itoa(q.off))
	}
	if l := q.Query().Get("level"); l != "" && tab == "league" {
		v.Set("level", l)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return "/dash/" + tab + "?" + v.Encode()
}

// maxOff bounds how far back the period selector goes: two years of
// weeks.
const maxOff = 104

// period reads ?per= and ?off=: the current week, month or quarter cut
// at today (as /stats cuts it), or one off periods before.
func (s *Server) period(r *http.Request) (digest.Period, string, int, error) {
	kind := r.URL.Query().Get("per")
	if kind == "" {
		kind = "week"
	}
	off := 0
	if o := r.URL.Query().Get("off"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 || n > maxOff {
			return digest.Period{}, "", 0, badRequest("off %q", o)
		}
		off = n
	}
	today := calendar.DateOf(s.Now().In(s.Loc))
	var p digest.Period
	switch kind {
	case "week":
		p = digest.WeekOf(today, s.Loc)
	case "month":
		p = digest.MonthOf(today.Year, today.Month, s.Loc)
	case "quarter":
		p = digest.QuarterOf(today.Year, (int(today.Month)-1)/3+1, s.Loc)
	default:
		return digest.Period{}, "", 0, badRequest("per %q", kind)
	}
	for range off {
		p = p.Prev()
	}
	p, _ = p.Upto(today)
	return p, kind, off, nil
}

// unitTabs are the tabs of a unit's pages; departments only for the
// deployment, where they sit below.
var unitTabs = []string{"league", "depts", "problems", "map", "trend"}

// request authenticates r and resolves and checks the unit it asks for.
// On an error q still names the viewer, for the answer.
func (s *Server) request(r *http.Request) (*req, error) {
	v, err := s.viewer(r)
	q := &req{Request: r, v: v}
	if err != nil {
		return q, err
	}
	q.lang = v.Lang
	if q.path, q.roots, err = s.scope(r.Context(), v, r.URL.Query().Get("u")); err != nil {
		return q, err
	}
	q.unit = q.path[len(q.path)-1]
	return q, nil
}

// page wraps a tab: authenticate, resolve and check the unit, read the
// period, let fn fill the page, render it.
func (s *Server) page(fn func(ctx context.Context, q *req, d *pageData) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := s.request(r)
		v := q.v
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		if q.per, q.perKind, q.off, err = s.period(r); err != nil {
			s.fail(w, r, v, err)
			return
		}
		d := s.frame(q)
		tmpl, err := fn(r.Context(), q, d)
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		var b bytes.Buffer
		if err := s.render(&b, tmpl, d); err != nil {
			s.fail(w, r, v, err)
			return
		}
		s.headers(w, false)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	}
}

// home sends a viewer to their first unit's league table.
func (s *Server) home(_ context.Context, q *req, d *pageData) (string, error) {
	return s.league(q.Context(), q, d)
}

// frame fills what every tab shows: where the unit sits, the tabs, the
// period selector and the export.
func (s *Server) frame(q *req) *pageData {
	tab := strings.TrimPrefix(q.URL.Path, "/dash/")
	if i := strings.IndexByte(tab, '/'); i >= 0 {
		tab = tab[:i]
	}
	if tab == "" {
		tab = "league"
	}
	d := &pageData{s: s, Lang: q.lang, MiniApp: q.v.MiniApp, Tab: tab, UnitName: s.unitName(q.lang, q.unit),
		Updated: s.timeText(s.Now())}
	d.Title = s.t(q.lang, "dash_title") + " · " + d.UnitName
	// The path is shown from the highest unit the viewer may see.
	seen := false
	for _, u := range q.path {
		for _, r := range q.roots {
			seen = seen || r.Key() == u.Key()
		}
		if seen {
			qq := *q
			qq.unit = u
			d.Crumbs = append(d.Crumbs, link{Text: s.unitName(q.lang, u), URL: qq.url("league", "level", ""), Active: u.Key() == q.unit.Key()})
		}
	}
	if len(q.roots) > 1 {
		for _, u := range q.roots {
			qq := *q
			qq.unit = u
			in := slices.ContainsFunc(q.path, func(p Unit) bool { return p.Key() == u.Key() })
			d.Roots = append(d.Roots, link{Text: s.unitName(q.lang, u), URL: qq.url("league", "level", ""), Active: in})
		}
	}
	for _, t := range unitTabs {
		if t == "depts" && q.unit.Kind != KindDeployment {
			continue
		}
		d.Tabs = append(d.Tabs, link{Text: s.t(q.lang, "dash_tab_"+t), URL: q.url(t), Active: t == tab || (tab == "problem" && t == "problems")})
	}
	if tab == "league" || tab == "depts" {
		for _, k := range []string{"week", "month", "quarter"} {
			d.Periods = append(d.Periods, link{Text: s.t(q.lang, "dash_per_"+k), URL: q.url(tab, "per", k, "off", ""), Active: k == q.perKind})
		}
		if q.off < maxOff {
			d.Prev = q.url(tab, "off", strconv.Itoa(q.off+1))
		}
		if q.off > 0 {
			d.Next = q.url(tab, "off", strconv.Itoa(q.off-1))
		}
		c := &digest.Composer{Texts: s.Texts}
		d.PeriodText = i18n.Plain(c.Range(q.lang, q.per))
		exp := url.Values{"u": {q.unit.Key()}, "per": {q.perKind}, "off": {strconv.Itoa(q.off)}}
		d.ExportURL = "/dash/export?" + exp.Encode()
		d.DownloadURL = "/dash/download?" + exp.Encode()
	}
	return d
}

// t renders a catalog message as plain text (html/template escapes it
// again where it lands).
func (s *Server) t(lang, id string, args ...map[string]any) string {
	var a []i18n.Args
	if len(args) > 0 {
		a = append(a, i18n.Args(args[0]))
	}
	return i18n.Plain(s.Texts.T(lang, id, a...))
}

// html renders a catalog message as HTML: the catalogs escape their
// arguments and hold only the markup Telegram allows.
func (s *Server) html(lang, id string, args ...map[string]any) template.HTML {
	var a []i18n.Args
	if len(args) > 0 {
		a = append(a, i18n.Args(args[0]))
	}
	return template.HTML(strings.ReplaceAll(s.Texts.T(lang, id, a...), "\n", "<br>"))
}

// unitName is how a page names a unit in lang.
func (s *Server) unitName(lang string, u Unit) string {
	switch {
	case u.Kind == KindDeployment:
		return s.t(lang, "dg_deploy_name")
	case lang == "en" && u.NameEn != "":
		return u.NameEn
	}
	return u.Name
}

// The templates: a layout, and one file per page defining "content".
var (
	layout = template.Must(template.New("").Funcs(template.FuncMap{
		"inc": func(i int) int { return i + 1 },
	}).ParseFS(assets, "assets/layout.html"))
	pages = map[string]*template.Template{}
)

func init() {
	names, err := fs.Glob(assets, "assets/page_*.html")
	if err != nil || len(names) == 0 {
		panic("dashboard: no page templates")
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "assets/page_"), ".html")
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(assets, n))
	}
}

func (s *Server) render(w interface{ Write([]byte) (int, error) }, name string, d *pageData) error {
	d.s = s
	t, ok := pages[name]
	if !ok {
		return errors.New("dashboard: no template " + name)
	}
	return t.ExecuteTemplate(w, "layout", d)
}

// static serves the stylesheet and the script. They hold nothing
// personal, so browsers may keep them for an hour.
func (s *Server) static() http.Handler {
	sub, _ := fs.Sub(assets, "assets/static")
	fsrv := http.StripPrefix("/dash/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
