package digest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/chart"
	"cadrebot/config"
	"cadrebot/i18n"
)

// Texts renders catalog messages (i18n.Catalog).
type Texts interface {
	T(lang, id string, args ...i18n.Args) string
}

// Composer writes reports in a group's language.
type Composer struct {
	Texts Texts
	Cal   *calendar.Calendar
	Cfg   *config.File
}

// Mode says what a report is: the scheduled digest, or /stats.
type Mode int

// The modes only change the heading.
const (
	Digest Mode = iota
	Stats
)

// Report is one composed digest: HTML text (escaped; the sender splits it
// when long) and the chart that goes with it.
type Report struct {
	Text  string
	Chart chart.Input
	// Empty is set when there is nothing to report; such a report is not
	// sent (docs/digests.md, "Empty groups").
	Empty bool
	// Attachment, when set, goes with the report as a workbook named
	// AttachmentName, captioned AttachmentText: the whole league table of
	// a unit whose villages are too many for a message.
	Attachment     []Table
	AttachmentName string
	AttachmentText string
}

// Render draws the report's chart as PNG.
func (r Report) Render() ([]byte, error) { return chart.Render(r.Chart) }

// maxIDs bounds a list of #N in a digest; the rest is counted.
const maxIDs = 20

func (c *Composer) t(lang, id string, args ...i18n.Args) string { return c.Texts.T(lang, id, args...) }

// heading renders the first line of a report.
func (c *Composer) heading(lang, id, name string, p Period, m Mode) string {
	what := "dg_what_digest"
	if m == Stats {
		what = "dg_what_stats"
	}
	return c.t(lang, id, i18n.Args{"Name": name, "What": c.t(lang, what), "Range": i18n.HTML(c.Range(lang, p))})
}

// Range is "11月23日至11月29日" / "Nov 23 to Nov 29".
func (c *Composer) Range(lang string, p Period) string {
	if p.From == p.To {
		return c.date(lang, p.From)
	}
	return c.t(lang, "dg_range", i18n.Args{"From": i18n.HTML(c.date(lang, p.From)), "To": i18n.HTML(c.date(lang, p.To))})
}

func (c *Composer) date(lang string, d calendar.Date) string {
	return c.t(lang, "dg_date", i18n.Args{"Y": d.Year, "M": int(d.Month), "D": d.Day, "Mon": d.Month.String()[:3]})
}

// shortDate is "11-24": compact enough for lists of days.
func (c *Composer) shortDate(lang string, d calendar.Date) string {
	return c.t(lang, "dg_short_date", i18n.Args{"M": int(d.Month), "D": d.Day})
}

// ids renders "#3 #10 #13", at most maxIDs of them, then "and N more".
func (c *Composer) ids(lang string, s Set) string {
	var b strings.Builder
	for i, p := range s {
		if i == maxIDs {
			b.WriteString(" " + c.t(lang, "dg_more", i18n.Args{"N": len(s) - maxIDs}))
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("#" + strconv.FormatInt(p.ID, 10))
	}
	return b.String()
}

// days shows a duration in days with one decimal.
func days(d time.Duration) string { return oneDecimal(d.Hours() / 24) }

// oneDecimal rounds half away from zero, as spreadsheets do, so a CSV,
// a workbook and a digest show the same figure.
func oneDecimal(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64) }

// ageDays is how many whole days ago t was.
func ageDays(t, now time.Time) int {
	if now.Before(t) {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}

// median is the median time to resolve of f, "—" over nothing.
func (c *Composer) median(lang string, f cadrebot.Figures) string {
	if f.Resolved == 0 {
		return cadrebot.NoFigure
	}
	return c.t(lang, "dg_days", i18n.Args{"N": days(f.MedianToFix)})
}

// trend renders the comparison of a resolution rate with the period
// before.
func (c *Composer) trend(lang string, a Activity) string {
	dir, ok := a.Trend()
	if !ok {
		if a.HasPrev && a.Prev.Total == 0 {
			return c.t(lang, "dg_trend_none")
		}
		return ""
	}
	id := map[int]string{1: "dg_trend_up", -1: "dg_trend_down", 0: "dg_trend_flat"}[dir]
	return c.t(lang, id, i18n.Args{"Prev": a.Prev.ResolutionRate()})
}

// resolution renders the resolution-rate line with its trend.
func (c *Composer) resolution(lang string, a Activity) string {
	if a.Fig.Total == 0 {
		s := c.t(lang, "dg_resolution_none")
		if tr := c.trend(lang, a); tr != "" && a.HasPrev && a.Prev.Total > 0 {
			s += " · " + c.t(lang, "dg_prev_only", i18n.Args{"Prev": a.Prev.ResolutionRate()})
		}
		return s
	}
	s := c.t(lang, "dg_resolution", i18n.Args{"Rate": a.Fig.ResolutionRate(), "Done": a.Fig.Done, "Total": a.Fig.Total})
	if tr := c.trend(lang, a); tr != "" {
		s += " · " + tr
	}
	return s + " · " + c.satisfaction(lang, a.Fig)
}

// deptName is a department's name in lang.
func (c *Composer) deptName(lang, id string) string {
	d, ok := c.Cfg.Department(id)
	switch {
	case id == "":
		return c.t(lang, "dg_no_dept")
	case !ok:
		return id
	case lang == "en" && d.NameEn != "":
		return d.NameEn
	}
	return d.Name
}

// catName is a category's name in lang.
func (c *Composer) catName(lang, id string) string {
	cat, ok := c.Cfg.Category(id)
	switch {
	case id == "":
		return c.t(lang, "dg_no_category")
	case !ok:
		return id
	case lang == "en" && cat.NameEn != "":
		return cat.NameEn
	}
	return cat.Name
}

// snippet is the start of a problem's text on one line, at most n
// characters.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// chartDays builds chart columns from per-day rates and problem counts,
// unlabelled (chartInput labels them). rate returns NaN where nothing was
// expected.
func chartDays(p Period, cal *calendar.Calendar, rate func(i int) float64, opened, resolved Set) []chart.Day {
	n := p.Days()
	out := make([]chart.Day, n)
	for i := range out {
		d := p.From.AddDays(i)
		out[i] = chart.Day{Workday: cal.IsWorkday(d), Rate: rate(i)}
	}
	at := func(t time.Time) int {
		return calendar.DaysBetween(p.From, calendar.DateOf(t.In(p.Loc)))
	}
	for _, q := range opened {
		if i := at(q.Created); i >= 0 && i < n {
			out[i].Opened++
		}
	}
	for _, q := range resolved {
		if i := at(q.ResolvedAt); i >= 0 && i < n {
			out[i].Resolved++
		}
	}
	return out
}

func noRate(int) float64 { return math.NaN() }

// holidays names the statutory holidays within p, for the rate line.
func (c *Composer) holidays(p Period) string {
	var names []string
	seen := map[string]bool{}
	for d := p.From; !d.After(p.To); d = d.AddDays(1) {
		if n := c.Cal.HolidayName(d); n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, "、")
}

func itoa(n int) string { return fmt.Sprint(n) }
