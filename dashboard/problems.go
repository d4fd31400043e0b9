package dashboard

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cadrebot"
)

// pageSize is how many problems the list shows at once.
const pageSize = 50

// listView is the list of open problems with its filters.
type listView struct {
	Total, Matched int
	Depts          []option
	Places         []option
	Statuses       []option
	Overdue        bool
	Query          string
	Hidden         []option // the form's fixed parameters (the unit)
	Rows           []problemRow
	Prev, Next     string
	PageText       string
}

type option struct {
	Value, Text string
	Selected    bool
}

type problemRow struct {
	ID                 int64
	URL                string
	Status, StatusTone string
	Age                int
	Dept, Village      string
	Category, Text     string
	Due                string
	Overdue            bool
}

// problemList lists the unit's open problems, oldest first, filtered by
// department, place below the unit, status, overdue and text.
func (s *Server) problemList(ctx context.Context, q *req, d *pageData) (string, error) {
	all, err := s.Problems.Open(ctx, q.unit)
	if err != nil {
		return "", err
	}
	f := q.Query()
	dept, place, status, text := f.Get("dept"), f.Get("place"), f.Get("status"), strings.TrimSpace(f.Get("q"))
	overdue := f.Get("overdue") == "1"
	v := &listView{Total: len(all), Overdue: overdue, Query: text, Hidden: []option{{Value: q.unit.Key(), Text: "u"}}}
	v.Depts = append(v.Depts, option{Value: "", Text: s.t(q.lang, "dash_f_all")})
	for _, dep := range s.Cfg.Departments {
		v.Depts = append(v.Depts, option{Value: dep.ID, Text: s.deptName(q.lang, dep.ID), Selected: dep.ID == dept})
	}
	v.Statuses = append(v.Statuses, option{Value: "", Text: s.t(q.lang, "dash_f_all")})
	for _, st := range []cadrebot.Status{cadrebot.StatusNew, cadrebot.StatusAccepted, cadrebot.StatusReopened, cadrebot.StatusReturned} {
		v.Statuses = append(v.Statuses, option{Value: string(st), Text: s.t(q.lang, "pr_status_"+string(st)), Selected: string(st) == status})
	}
	// Places: the units and village groups right below the unit.
	var placeUnit *Unit
	if q.unit.Kind == KindDeployment || q.unit.Kind == KindUnit {
		below, err := s.Units.Below(ctx, q.unit)
		if err != nil {
			return "", err
		}
		v.Places = append(v.Places, option{Value: "", Text: s.t(q.lang, "dash_f_all")})
		for _, u := range below {
			if u.Kind == KindDept {
				continue
			}
			v.Places = append(v.Places, option{Value: u.Key(), Text: s.unitName(q.lang, u), Selected: u.Key() == place})
			if u.Key() == place {
				placeUnit = &u
			}
		}
	}
	now := s.Now()
	var rows []problemRow
	for i := range all {
		p := &all[i]
		switch {
		case dept != "" && p.Dept != dept,
			status != "" && string(p.Status) != status,
			overdue && !p.Overdue(now),
			text != "" && !strings.Contains(p.Text+" "+p.Address+" "+p.Village, text):
			continue
		}
		if placeUnit != nil {
			ok, err := s.Units.Holds(ctx, *placeUnit, p)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
		}
		rows = append(rows, s.problemRow(q, p, now))
	}
	// Oldest first: what has waited longest is what a leader chases.
	slices.SortStableFunc(rows, func(a, b problemRow) int {
		if a.Age != b.Age {
			return b.Age - a.Age
		}
		return int(a.ID - b.ID)
	})
	v.Matched = len(rows)
	page, _ := strconv.Atoi(f.Get("page"))
	pages := max(1, (len(rows)+pageSize-1)/pageSize)
	page = min(max(page, 1), pages)
	v.Rows = rows[(page-1)*pageSize : min(page*pageSize, len(rows))]
	keep := []string{"dept", dept, "place", place, "status", status, "q", text}
	if overdue {
		keep = append(keep, "overdue", "1")
	}
	if page > 1 {
		v.Prev = q.url("problems", append(keep, "page", strconv.Itoa(page-1))...)
	}
	if page < pages {
		v.Next = q.url("problems", append(keep, "page", strconv.Itoa(page+1))...)
	}
	v.PageText = s.t(q.lang, "dash_page", map[string]any{"N": page, "Of": pages})
	d.List = v
	return "problems", nil
}

func (s *Server) problemRow(q *req, p *cadrebot.Problem, now time.Time) problemRow {
	return problemRow{ID: p.ID, URL: q.url("problem/" + strconv.FormatInt(p.ID, 10)), Status: s.t(q.lang, "pr_status_"+string(p.Status)),
		StatusTone: statusTone(p, now), Age: ageDays(p.Created, now), Dept: s.deptName(q.lang, p.Dept), Village: p.Village,
		Category: s.catName(q.lang, p.Category), Text: snippet(p.Text, 40), Due: s.timeText(p.Due), Overdue: p.Overdue(now)}
}

// statusTone colours a status: overdue, waiting on a department, with
// the reporter, done.
func statusTone(p *cadrebot.Problem, now time.Time) string {
	switch {
	case p.Overdue(now):
		return "overdue"
	case p.Status.Held():
		return "held"
	case p.Status == cadrebot.StatusReturned:
		return "returned"
	}
	return "done"
}

func ageDays(t, now time.Time) int {
	if t.IsZero() || now.Before(t) {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func (s *Server) deptName(lang, id string) string {
	d, ok := s.Cfg.Department(id)
	switch {
	case id == "":
		return s.t(lang, "dg_no_dept")
	case !ok:
		return id
	case lang == "en" && d.NameEn != "":
		return d.NameEn
	}
	return d.Name
}

func (s *Server) catName(lang, id string) string {
	c, ok := s.Cfg.Category(id)
	switch {
	case id == "":
		return s.t(lang, "dg_no_category")
	case !ok:
		return id
	case lang == "en" && c.NameEn != "":
		return c.NameEn
	}
	return c.Name
}

// problemView is one problem in full.
type problemView struct {
	problemRow
	Text                      string
	Reporter, Created         string
	Resolved, Closed, Asked   string
	Address, Location, MapURL string
	Handler, Note, Reason     string
	MeToo, Stage              int
	Undeliverable             bool
	Photos                    []string
	Cards                     []cardView
	History                   []historyView
	Back                      string
}

type cardView struct{ Dept, Msg, Link string }

type historyView struct{ At, Name, Action, Change, Dept, Note string }

// loadProblem loads problem id if the request's unit holds it; a problem
// outside the unit is not found, so its number says nothing.
func (s *Server) loadProblem(ctx context.Context, q *req, idText string) (cadrebot.Problem, []cadrebot.Entry, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return cadrebot.Problem{}, nil, cadrebot.ErrNotFound
	}
	p, hist, err := s.Problems.Problem(ctx, id)
	if err != nil {
		return p, nil, err
	}
	ok, err := s.Units.Holds(ctx, q.unit, &p)
	if err != nil {
		return p, nil, err
	}
	if !ok {
		return p, nil, cadrebot.ErrNotFound
	}
	return p, hist, nil
}

// problemPage shows a problem: its fields, photos (through photo), where
// its card is and what happened to it.
func (s *Server) problemPage(ctx context.Context, q *req, d *pageData) (string, error) {
	p, hist, err := s.loadProblem(ctx, q, q.PathValue("id"))
	if err != nil {
		return "", err
	}
	now := s.Now()
	v := &problemView{problemRow: s.problemRow(q, &p, now), Text: p.Text, Reporter: p.ReporterName, Created: s.timeText(p.Created),
		Resolved: s.timeText(p.ResolvedAt), Closed: s.timeText(p.ClosedAt), Asked: s.timeText(p.AskedAt), Address: p.Address,
		Handler: p.Handler, Note: p.Note, Reason: p.Reason, MeToo: p.MeToo, Stage: max(p.StageAt(now), 0),
		Undeliverable: p.Undeliverable, Back: q.url("problems")}
	if p.Status.Done() {
		v.Stage = 0
	}
	if p.HasLoc {
		v.Location = strconv.FormatFloat(p.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(p.Lon, 'f', 5, 64)
		v.MapURL = q.url("map", "focus", strconv.FormatInt(p.ID, 10))
	}
	for i := range p.Photos {
		v.Photos = append(v.Photos, "/dash/photo/"+strconv.FormatInt(p.ID, 10)+"/"+strconv.Itoa(i)+"?u="+q.unit.Key())
	}
	chats := make([]int64, 0, len(p.Cards))
	for c := range p.Cards {
		chats = append(chats, c)
	}
	slices.Sort(chats)
	for _, c := range chats {
		v.Cards = append(v.Cards, cardView{Dept: s.deptName(q.lang, p.CardDepts[c]), Msg: strconv.Itoa(p.Cards[c]), Link: messageLink(c, p.Cards[c])})
	}
	for _, e := range hist {
		h := historyView{At: s.timeText(e.At), Name: e.Name, Action: s.t(q.lang, "pr_hist_"+string(e.Action)), Note: e.Note}
		if e.From != "" && e.To != "" && e.From != e.To {
			h.Change = s.t(q.lang, "pr_status_"+string(e.From)) + " → " + s.t(q.lang, "pr_status_"+string(e.To))
		}
		if e.Dept != "" {
			h.Dept = s.deptName(q.lang, e.Dept)
		}
		v.History = append(v.History, h)
	}
	d.Problem = v
	d.Title = s.t(q.lang, "dash_p_title", map[string]any{"ID": p.ID}) + " · " + d.UnitName
	return "problem", nil
}

// messageLink opens a message of a supergroup in Telegram for its
// members (t.me/c/<id>/<message>). Supergroup ids are -100 followed by
// the channel id (at or below -10¹²); basic groups have no such link.
func messageLink(chat int64, msg int) string {
	const supergroup = -1_000_000_000_000
	if chat > supergroup || msg <= 0 {
		return ""
	}
	return "https://t.me/c/" + strconv.FormatInt(supergroup-chat, 10) + "/" + strconv.Itoa(msg)
}

// maxPhoto bounds a photo the page relays: Telegram lets bots download
// files of up to 20 MB.
const maxPhoto = 20 << 20

// photo relays a problem's photo from Telegram, after the same checks as
// the problem's page: the file id and the token-bearing URL stay on the
// server.
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	q, err := s.request(r)
	v := q.v
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	p, _, err := s.loadProblem(r.Context(), q, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(p.Photos) {
		s.fail(w, r, v, cadrebot.ErrNotFound)
		return
	}
	var b bytes.Buffer
	ct, err := s.Files.Fetch(r.Context(), p.Photos[n], &limited{w: &b, n: maxPhoto})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	s.headers(w, false)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(b.Bytes())
}

// limited fails a write past n bytes.
type limited struct {
	w interface{ Write([]byte) (int, error) }
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errTooBig
	}
	l.n -= len(p)
	return l.w.Write(p)
}

var errTooBig = badRequest("file larger than %d bytes", maxPhoto)
