package dashboard

import (
	"context"
	"strconv"
	"strings"

	"cadrebot/calendar"
	"cadrebot/digest"
	"cadrebot/i18n"
)

// trendWeeks is how many weeks the trend covers, this one included.
const trendWeeks = 12

// The trend chart's drawing area and margins, in SVG units.
const (
	trendW, trendH     = 800, 300
	trendL, trendR     = 48, 16
	trendTop, trendBot = 16, 40
)

// trendView is twelve weeks of the unit's check-in and resolution rates:
// a line chart and the same figures as a table.
type trendView struct {
	W, H        int
	Grid        []gridView
	Series      []seriesView
	Weeks       []weekView
	Left, Right int
	Bottom      int
}

type gridView struct {
	Y     float64
	Label string
}

type seriesView struct {
	Name, Tone string
	Path       string
	Points     []dotView
}

type dotView struct {
	X, Y  float64
	Title string
}

type weekView struct {
	ID, Label, Range    string
	X                   float64
	Checkin, Resolution string
	CheckinTitle        string
	ResolutionTitle     string
}

// weeks are the trend's weeks: this one so far and the ones before.
func (s *Server) weeks() []digest.Period {
	today := calendar.DateOf(s.Now().In(s.Loc))
	out := make([]digest.Period, trendWeeks)
	w := digest.WeekOf(today, s.Loc)
	for i := trendWeeks - 1; i >= 0; i-- {
		out[i], _ = w.Upto(today)
		w = w.Prev()
	}
	return out
}

// trend draws the unit's weekly check-in rate and resolution rate.
func (s *Server) trend(ctx context.Context, q *req, d *pageData) (string, error) {
	weeks := s.weeks()
	rows, err := s.Figures.Trend(ctx, q.unit, weeks)
	if err != nil {
		return "", err
	}
	v := &trendView{W: trendW, H: trendH, Left: trendL, Right: trendW - trendR, Bottom: trendH - trendBot}
	plotH := float64(trendH - trendTop - trendBot)
	y := func(r float64) float64 { return round1(trendTop + (1-r)*plotH) }
	for _, g := range []float64{0, 0.25, 0.5, 0.75, 1} {
		v.Grid = append(v.Grid, gridView{Y: y(g), Label: strconv.Itoa(int(g*100)) + "%"})
	}
	step := float64(trendW-trendL-trendR) / float64(max(len(weeks)-1, 1))
	c := &digest.Composer{Texts: s.Texts}
	series := []struct {
		id  string
		get func(Row) Ratio
	}{
		{"checkin", func(r Row) Ratio { return r.Checkin }},
		{"resolution", func(r Row) Ratio { return Ratio{r.Fig.Done, r.Fig.Total} }},
	}
	if q.unit.Kind == KindDept {
		series = series[1:] // a department has no check-ins
	}
	for _, sr := range series {
		sv := seriesView{Name: s.t(q.lang, "dash_col_"+sr.id), Tone: sr.id}
		var path strings.Builder
		pen := false
		for i, r := range rows {
			x := round1(trendL + float64(i)*step)
			ratio := sr.get(r)
			val, ok := ratio.Value()
			if !ok {
				pen = false // a week without a rate breaks the line
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			path.WriteString(cmd + strconv.FormatFloat(x, 'f', 1, 64) + " " + strconv.FormatFloat(y(val), 'f', 1, 64) + " ")
			pen = true
			sv.Points = append(sv.Points, dotView{X: x, Y: y(val), Title: weeks[i].ID() + " " + sv.Name + " " + ratio.Percent() +
				" (" + strconv.Itoa(ratio.Num) + "/" + strconv.Itoa(ratio.Den) + ")"})
		}
		sv.Path = strings.TrimSpace(path.String())
		v.Series = append(v.Series, sv)
	}
	for i, r := range rows {
		w := weeks[i]
		wv := weekView{ID: w.ID(), Range: i18n.Plain(c.Range(q.lang, w)), X: round1(trendL + float64(i)*step),
			Checkin: r.Checkin.Percent(), Resolution: Ratio{r.Fig.Done, r.Fig.Total}.Percent()}
		wv.Label = strconv.Itoa(int(w.From.Month)) + "/" + strconv.Itoa(w.From.Day)
		if r.Checkin.Den > 0 {
			wv.CheckinTitle = strconv.Itoa(r.Checkin.Num) + "/" + strconv.Itoa(r.Checkin.Den)
		}
		if r.Fig.Total > 0 {
			wv.ResolutionTitle = strconv.Itoa(r.Fig.Done) + "/" + strconv.Itoa(r.Fig.Total)
		}
		if q.unit.Kind == KindDept {
			wv.Checkin = ""
		}
		v.Weeks = append(v.Weeks, wv)
	}
	d.Trend = v
	return "trend", nil
}
