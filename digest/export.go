package digest

import (
	"slices"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
)

// ExportData is what an export reads: the village groups in scope with
// their check-ins over Period, and the problems reported in Period with
// their histories.
type ExportData struct {
	Period   Period
	Now      time.Time
	Villages []VillageRef
	Checkins map[int64]*attendance.Period
	Details  map[int64]map[calendar.Date]map[int64]cadrebot.Checkin
	Problems []cadrebot.Problem
	History  map[int64][]cadrebot.Entry
}

// Table is one sheet of a workbook, or one CSV file.
type Table struct {
	Name   string // sheet name
	File   string // CSV file name, ASCII
	Header []string
	Rows   [][]any // string, int, int64, float64 or Pct
	// Widths are column widths in characters (XLSX only); 0 keeps the
	// default.
	Widths []float64
}

// Pct is a rate: a number in [0, 1] shown with one decimal in a
// workbook, and Text ("87.5%", or "—" when OK is false) in CSV.
type Pct struct {
	V    float64
	OK   bool
	Text string
}

// Days is a duration in days, shown with one decimal; OK false shows "—".
type Days struct {
	V  float64
	OK bool
}

// MaxCheckinRows bounds the Check-ins table: a million rows is near an
// Excel sheet's limit and tens of megabytes, near Telegram's 50 MB for a
// bot's upload. Beyond it the table carries one row saying so, and the
// Summary, which is what an assessment needs, is still complete.
var MaxCheckinRows = 1_000_000

// CheckinsFit reports whether the Check-ins table stays within
// MaxCheckinRows, so the caller loads the check-in details only then.
func (c *Composer) CheckinsFit(x *ExportData) bool { return c.checkinRows(x) <= MaxCheckinRows }

// checkinRows estimates the Check-ins table's rows: every member on every
// workday (days off appear only with a check-in).
func (c *Composer) checkinRows(x *ExportData) int {
	n := 0
	for _, v := range x.Villages {
		if p := x.Checkins[v.Chat]; p != nil {
			n += len(p.Roster)
		}
	}
	return n * (c.Cal.CountWorkdays(x.Period.From, x.Period.To) + 1)
}

// Tables builds the four tables of an export: Problems (every field and
// the history), Check-ins (one row per member per workday, and per day off
// with a check-in), Summary (per member over the range: days present,
// check-in rate, items reported, median time to resolve, overdue items)
// and Leave (every range of leave, trip or outing touching the range, with
// who recorded it and when, and who approved it: the audit trail of the
// days the rate leaves out or counts present).
func (c *Composer) Tables(x *ExportData, lang string) []Table {
	return []Table{c.problemTable(x, lang), c.checkinTable(x, lang), c.summaryTable(x, lang), c.leaveTable(x, lang)}
}

func (c *Composer) leaveTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_leave")), File: "leave.csv",
		Header: c.header(lang, "village", "village_chat", "member", "user_id", "kind", "from", "to", "workdays",
			"recorded_by", "recorded_by_id", "recorded_at", "approved_by", "approved_by_id", "approved_at"),
		Widths: []float64{12, 16, 12, 12, 8, 11, 11, 8, 12, 12, 17, 12, 12, 17}}
	loc := x.Period.Loc
	at := func(unix int64) string {
		if unix == 0 {
			return ""
		}
		return c.stamp(time.Unix(unix, 0), loc)
	}
	id := func(n int64) any {
		if n == 0 {
			return ""
		}
		return n
	}
	for _, v := range x.Villages {
		p := x.Checkins[v.Chat]
		if p == nil {
			continue
		}
		// Roster order, then anyone who left the roster since.
		names := map[int64]string{}
		var users []int64
		for _, m := range p.Roster {
			names[m.UserID] = m.Name
			users = append(users, m.UserID)
		}
		var gone []int64
		for u := range p.Leaves {
			if _, ok := names[u]; !ok {
				gone = append(gone, u)
			}
		}
		slices.Sort(gone)
		for _, u := range append(users, gone...) {
			for _, l := range p.Leaves[u] {
				if l.To.Before(x.Period.From) || l.From.After(x.Period.To) {
					continue
				}
				t.Rows = append(t.Rows, []any{v.Name, v.Chat, names[u], u, plain(c.t(lang, "leave_kind_"+string(l.Kind))),
					l.From.String(), l.To.String(), c.Cal.CountWorkdays(l.From, l.To),
					l.ByName, id(l.By), at(l.At), l.OKByName, id(l.OKBy), at(l.OKAt)})
			}
		}
	}
	return t
}

func (c *Composer) header(lang string, ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = plain(c.t(lang, "xl_col_"+id))
	}
	return out
}

// plain turns catalog output into a spreadsheet cell's text.
func plain(s string) string { return i18n.Plain(s) }

func (c *Composer) stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func (c *Composer) problemTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_problems")), File: "problems.csv",
		Header: c.header(lang, "id", "status", "village", "village_chat", "reporter", "reporter_id", "category", "dept",
			"text", "address", "lat", "lon", "photos", "metoo", "created", "due", "sla_hours", "resolved_at", "closed_at",
			"asked_at", "handler", "note", "reason", "days_to_resolve", "overdue", "stage", "undeliverable", "history"),
		Widths: []float64{7, 10, 12, 16, 12, 12, 14, 16, 40, 20, 11, 11, 7, 7, 17, 17, 9, 17, 17, 17, 12, 30, 30, 10, 8, 7, 9, 70}}
	loc := x.Period.Loc
	for i := range x.Problems {
		p := &x.Problems[i]
		lat, lon := any(""), any("")
		if p.HasLoc {
			lat, lon = p.Lat, p.Lon
		}
		fix := Days{}
		if p.Status.Done() && !p.ResolvedAt.IsZero() {
			fix = Days{V: p.ResolvedAt.Sub(p.Created).Hours() / 24, OK: true}
		}
		t.Rows = append(t.Rows, []any{p.ID, plain(c.t(lang, "pr_status_"+string(p.Status))), p.Village, p.VillageChat,
			p.ReporterName, p.Reporter, c.catName(lang, p.Category), c.deptName(lang, p.Dept), p.Text, p.Address,
			lat, lon, len(p.Photos), p.MeToo, c.stamp(p.Created, loc), c.stamp(p.Due, loc), int64(p.SLA / time.Hour),
			c.stamp(p.ResolvedAt, loc), c.stamp(p.ClosedAt, loc), c.stamp(p.AskedAt, loc), p.Handler, p.Note, p.Reason,
			fix, c.yes(lang, p.Overdue(x.Now)), p.Stage, c.yes(lang, p.Undeliverable), c.history(lang, x.History[p.ID], loc)})
	}
	return t
}

func (c *Composer) yes(lang string, b bool) string {
	if b {
		return plain(c.t(lang, "xl_yes"))
	}
	return ""
}

// history renders a problem's history as lines of one cell.
func (c *Composer) history(lang string, es []cadrebot.Entry, loc *time.Location) string {
	lines := make([]string, 0, len(es))
	for _, e := range es {
		s := c.stamp(e.At, loc) + " " + plain(c.t(lang, "pr_hist_"+string(e.Action)))
		if e.Name != "" {
			s += " · " + e.Name
		}
		if e.From != "" && e.To != "" && e.From != e.To {
			s += " · " + plain(c.t(lang, "pr_status_"+string(e.From))) + " → " + plain(c.t(lang, "pr_status_"+string(e.To)))
		}
		if e.Dept != "" {
			s += " · " + c.deptName(lang, e.Dept)
		}
		if e.Note != "" {
			s += " · " + e.Note
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// dayType names a day's kind: workday, make-up workday, rest day or the
// holiday.
func (c *Composer) dayType(lang string, d calendar.Date) string {
	switch c.Cal.Kind(d) {
	case calendar.Workday:
		return plain(c.t(lang, "xl_day_workday"))
	case calendar.MakeupWorkday:
		return plain(c.t(lang, "xl_day_makeup"))
	case calendar.Holiday:
		if n := c.Cal.HolidayName(d); n != "" {
			return plain(c.t(lang, "xl_day_holiday_named", i18n.Args{"Name": n}))
		}
		return plain(c.t(lang, "xl_day_holiday"))
	}
	return plain(c.t(lang, "xl_day_rest"))
}

func (c *Composer) checkinTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_checkins")), File: "checkins.csv",
		Header: c.header(lang, "village", "village_chat", "date", "weekday", "day_type", "member", "user_id", "status",
			"checked_in", "time", "note", "lat", "lon", "offsite"),
		Widths: []float64{12, 16, 11, 8, 14, 12, 12, 10, 8, 7, 30, 11, 11, 8}}
	if n := c.checkinRows(x); n > MaxCheckinRows {
		t.Rows = [][]any{{plain(c.t(lang, "xl_too_many_rows", i18n.Args{"N": n, "Max": MaxCheckinRows}))}}
		return t
	}
	for _, v := range x.Villages {
		p := x.Checkins[v.Chat]
		if p == nil {
			continue
		}
		for _, m := range p.Roster {
			row := p.Row(m)
			for d := x.Period.From; !d.After(x.Period.To); d = d.AddDays(1) {
				checked := row.Checked(d)
				if !checked && !c.Cal.IsWorkday(d) {
					continue // a day off without a check-in says nothing
				}
				det, hasDet := x.Details[v.Chat][d][m.UserID]
				tm, note, lat, lon := "", "", any(""), any("")
				if hasDet {
					tm, note = det.Clock(), det.Note
					if det.Where != nil {
						lat, lon = det.Where.Lat, det.Where.Lon
					}
				}
				t.Rows = append(t.Rows, []any{v.Name, v.Chat, d.String(), plain(c.t(lang, "xl_wd_"+itoa(int(d.Weekday())))),
					c.dayType(lang, d), m.Name, m.UserID, c.status(lang, row, d), c.yes(lang, checked), tm, note, lat, lon,
					c.yes(lang, checked && row.OffSite(d))})
			}
		}
	}
	return t
}

// status names a member's day as the rate counts it.
func (c *Composer) status(lang string, row attendance.Row, d calendar.Date) string {
	id := "xl_st_off"
	switch row.Status(c.Cal, d) {
	case attendance.Present:
		id = "xl_st_present"
		if k, ok := row.Leaves.On(d); ok && !row.Checked(d) && k.CountsPresent() {
			id = "xl_st_trip"
		}
	case attendance.Excused:
		id = "xl_st_leave"
	case attendance.Absent:
		id = "xl_st_absent"
		if k, ok := row.Leaves.On(d); ok && k == cadrebot.LeaveOuting {
			id = "xl_st_outing"
		}
	}
	return plain(c.t(lang, id))
}

func (c *Composer) summaryTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_summary")), File: "summary.csv",
		Header: c.header(lang, "village", "village_chat", "member", "user_id", "workdays", "present", "checked_in_days",
			"trip", "leave", "outing", "absent", "offsite_days", "rate", "reported", "resolved", "median_days", "overdue"),
		Widths: []float64{12, 16, 12, 12, 9, 9, 9, 7, 7, 7, 7, 9, 9, 9, 9, 10, 8}}
	type key struct{ chat, user int64 }
	mine := map[key][]cadrebot.Problem{}
	for _, p := range x.Problems {
		k := key{p.VillageChat, p.Reporter}
		mine[k] = append(mine[k], p)
	}
	for _, v := range x.Villages {
		p := x.Checkins[v.Chat]
		if p == nil {
			continue
		}
		g := attendance.Rates(c.Cal, p)
		for _, mr := range g.Members {
			f := cadrebot.ComputeFigures(mine[key{v.Chat, mr.Member.UserID}], x.Now)
			r, ok := mr.Rate()
			med := Days{}
			if f.Resolved > 0 {
				med = Days{V: f.MedianToFix.Hours() / 24, OK: true}
			}
			t.Rows = append(t.Rows, []any{v.Name, v.Chat, mr.Member.Name, mr.Member.UserID, mr.Workdays, mr.Present,
				mr.CheckedIn, mr.Trip, mr.Leave, mr.Outing, mr.Absent, mr.OffSite, Pct{V: r, OK: ok, Text: mr.Percent()},
				f.Total, f.Done, med, f.Overdue})
		}
	}
	return t
}
