package dashboard

import (
	"context"
	"slices"
	"strconv"
)

// column is one figure of the league table. Adding a figure is one line
// in the lists below, plus its heading dash_col_<id> in the catalogs.
type column struct {
	id   string // sort key; its heading is the catalog's "dash_col_<id>"
	cell func(Row) cellView
}

// areaColumns are the figures of villages, units and the deployment.
var areaColumns = []column{
	rate("checkin", func(r Row) Ratio { return r.Checkin }),
	rate("resolution", func(r Row) Ratio { return Ratio{r.Fig.Done, r.Fig.Total} }),
	rate("ontime", func(r Row) Ratio { return r.OnTime }),
	rate("satisfaction", func(r Row) Ratio { return r.Satisfaction }),
	count("reported", func(r Row) int { return r.Fig.Total }),
	count("open", func(r Row) int { return r.Open }),
	count("overdue", func(r Row) int { return r.Overdue }),
}

// deptColumns are the figures of departments: an area's without the
// check-in rate, since departments have no check-ins.
var deptColumns = areaColumns[1:]

// cellView is one cell: its text and the value it sorts by ("" sorts
// last whichever way the column is sorted: a rate over nothing is no
// rate).
type cellView struct {
	Text, Sort, Title string
	Class             string
}

func rate(id string, get func(Row) Ratio) column {
	return column{id: id, cell: func(r Row) cellView {
		x := get(r)
		c := cellView{Text: x.Percent(), Class: "num"}
		if v, ok := x.Value(); ok {
			c.Sort = strconv.FormatFloat(v, 'f', 6, 64)
			c.Title = strconv.Itoa(x.Num) + "/" + strconv.Itoa(x.Den)
		}
		return c
	}}
}

func count(id string, get func(Row) int) column {
	return column{id: id, cell: func(r Row) cellView {
		n := get(r)
		c := cellView{Text: strconv.Itoa(n), Sort: strconv.Itoa(n), Class: "num"}
		if id == "overdue" && n > 0 {
			c.Class = "num bad"
		}
		return c
	}}
}

// leagueView is a league table and the unit's own line above it.
type leagueView struct {
	Summary []summaryView
	Levels  []link // the units below, or every village: where units lie below
	Heads   []headView
	Rows    []rowView
	Empty   string // the message when there is nothing below
}

type headView struct{ ID, Text string }

type summaryView struct{ Label, Value, Title string }

type rowView struct {
	Name, URL string
	Cells     []cellView
	Overdue   bool
}

func (s *Server) heads(lang string, cols []column) []headView {
	out := make([]headView, len(cols))
	for i, c := range cols {
		out[i] = headView{ID: c.id, Text: s.t(lang, "dash_col_"+c.id)}
	}
	return out
}

func (s *Server) summary(lang string, cols []column, r Row) []summaryView {
	out := make([]summaryView, len(cols))
	for i, c := range cols {
		cv := c.cell(r)
		out[i] = summaryView{Label: s.t(lang, "dash_col_"+c.id), Value: cv.Text, Title: cv.Title}
	}
	return out
}

// rows renders units' figures as table rows linking to each unit.
func (s *Server) rows(q *req, cols []column, rs []Row) []rowView {
	out := make([]rowView, len(rs))
	for i, r := range rs {
		cells := make([]cellView, len(cols))
		for j, c := range cols {
			cells[j] = c.cell(r)
		}
		out[i] = rowView{Name: s.unitName(q.lang, r.Unit), URL: q.url("league", "u", r.Unit.Key(), "level", ""),
			Cells: cells, Overdue: r.Overdue > 0}
		if r.Unit.Kind == KindDept {
			out[i].URL = q.url("problems", "u", r.Unit.Key())
		}
	}
	return out
}

// league is the league table below the viewer's unit, ranked as the
// unit's leaders' digest ranks it: the units and village groups directly
// below, or with level=village every village group of its subtree (the
// default for a unit with no units below, a town, or with just one).
// Sorting and filtering happen in the page.
func (s *Server) league(ctx context.Context, q *req, d *pageData) (string, error) {
	cols := areaColumns
	if q.unit.Kind == KindDept {
		cols = deptColumns
	}
	level := q.Query().Get("level")
	area := q.unit.Kind == KindDeployment || q.unit.Kind == KindUnit
	hasUnits := false
	if area {
		below, err := s.Units.Below(ctx, q.unit)
		if err != nil {
			return "", err
		}
		below = slices.DeleteFunc(below, func(u Unit) bool { return u.Kind == KindDept })
		hasUnits = slices.ContainsFunc(below, func(u Unit) bool { return u.Kind == KindUnit })
		switch {
		// One unit below ranks nothing: its villages do.
		case !hasUnits, level == "" && len(below) == 1:
			level = "village"
		case level != "village":
			level = "units"
		}
	}
	own, rs, err := s.Figures.League(ctx, q.unit, level == "village", q.per)
	if err != nil {
		return "", err
	}
	v := &leagueView{Summary: s.summary(q.lang, cols, own), Heads: s.heads(q.lang, cols), Rows: s.rows(q, cols, rs)}
	if hasUnits {
		for _, l := range []string{"units", "village"} {
			v.Levels = append(v.Levels, link{Text: s.t(q.lang, "dash_level_"+l), URL: q.url("league", "level", l), Active: l == level})
		}
	}
	if area && len(rs) == 0 {
		v.Empty = s.t(q.lang, "dash_no_below", map[string]any{"Name": s.unitName(q.lang, q.unit)})
	}
	d.League = v
	return "league", nil
}

// depts ranks the departments below the unit (the deployment's), with
// their on-time rate as their digests compute it.
func (s *Server) depts(ctx context.Context, q *req, d *pageData) (string, error) {
	below, err := s.Units.Below(ctx, q.unit)
	if err != nil {
		return "", err
	}
	var units []Unit
	for _, u := range below {
		if u.Kind == KindDept {
			units = append(units, u)
		}
	}
	rs, err := s.Figures.Rows(ctx, units, q.per)
	if err != nil {
		return "", err
	}
	v := &leagueView{Heads: s.heads(q.lang, deptColumns), Rows: s.rows(q, deptColumns, rs)}
	if len(units) == 0 {
		v.Empty = s.t(q.lang, "dash_no_depts")
	}
	d.League = v
	return "league", nil
}

// below lists the units of kind want below u, at whatever depth: the
// village groups of a unit's subtree, say. Departments have their own
// tab.
func (s *Server) below(ctx context.Context, u Unit, want Kind) ([]Unit, error) {
	next, err := s.Units.Below(ctx, u)
	if err != nil {
		return nil, err
	}
	var out []Unit
	for _, c := range next {
		switch {
		case c.Kind == KindDept:
		case c.Kind == want:
			out = append(out, c)
		default:
			deeper, err := s.below(ctx, c, want)
			if err != nil {
				return nil, err
			}
			out = append(out, deeper...)
		}
	}
	return out, nil
}
