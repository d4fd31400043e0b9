package digest

import (
	"slices"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
	"cadrebot/units"
)

// ExportData is what an export reads: the village groups in scope with
// their check-ins and service records over Period, and the problems
// reported in Period with their histories.
type ExportData struct {
	Period   Period
	Now      time.Time
	Villages []VillageRef
	Checkins map[int64]*attendance.Period
	Details  map[int64]map[calendar.Date]map[int64]cadrebot.Checkin
	Problems []cadrebot.Problem
	History  map[int64][]cadrebot.Entry
	// Projects of the villages in scope, with their histories (notes and
	// their photos), for the 项目 sheet.
	Projects       []cadrebot.Project
	ProjectHistory map[int64][]cadrebot.ProjectEntry

	// Tree places the villages in the hierarchy: the town columns and the
	// summary's units. Nil: no hierarchy (a department's export).
	Tree *units.Tree
	// Unit is the subtree the export covers when it covers one ("" with
	// Whole: the deployment): the summary then has a row per unit of it.
	// Otherwise the summary has a row per village.
	Unit  string
	Whole bool

	data *Data
}

// figures is the export's data as digests compute figures from it, built
// once: the summary's units and villages use the same code as every
// digest.
func (x *ExportData) figures() *Data {
	if x.data == nil {
		x.data = &Data{Period: x.Period, Now: x.Now, Checkins: x.Checkins, Problems: x.Problems}
	}
	return x.data
}

// town is the town (or street) of a village in lang, or "".
func (x *ExportData) town(chat int64, lang string) string {
	if x.Tree == nil {
		return ""
	}
	if u := x.Tree.Town(chat); u != nil {
		return u.Label(lang)
	}
	return ""
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
// people and summary sheets, which are what an assessment needs, are
// still complete.
var MaxCheckinRows = 1_000_000

// CheckinsFit reports whether the Check-ins table stays within
// MaxCheckinRows, so the caller loads the check-in details only then.
func (c *Composer) CheckinsFit(x *ExportData) bool { return c.checkinRows(x) <= MaxCheckinRows }

// checkinRows estimates the Check-ins table's rows: every cadre on every
// workday (days off appear only with a check-in).
func (c *Composer) checkinRows(x *ExportData) int {
	n := 0
	for _, v := range x.Villages {
		if p := x.Checkins[v.Chat]; p != nil {
			n += len(p.Cadres())
		}
	}
	return n * (c.Cal.CountWorkdays(x.Period.From, x.Period.To) + 1)
}

// Sheet builds one sheet of an export.
type Sheet func(c *Composer, x *ExportData, lang string) Table

// ExportSheets are the sheets of an export (考核), in order: one function
// each, so a new sheet is one more line here.
//
//   - 人员 People: a row per period of service, with its town, village,
//     batch, home unit, dates, workdays in service, check-ins and rate,
//     days in the village, leave by kind, problems found and their
//     resolution rate.
//   - 打卡 Check-ins: the daily log, per cadre per day of service.
//   - 问题 Problems: every field, the current state, the localized history.
//   - 汇总 Summary: per unit of the hierarchy (or per village).
//   - 请假登记 Leave: every range of leave, trip or outing, with who
//     recorded and who approved it.
//   - 项目 Projects: every project of the villages, its milestones and notes.
//   - 部门 Departments: each department's led and supported work.
var ExportSheets = []Sheet{
	(*Composer).peopleTable,
	(*Composer).checkinTable,
	(*Composer).problemTable,
	(*Composer).summaryTable,
	(*Composer).leaveTable,
	(*Composer).projectTable,
	(*Composer).departmentTable,
}

// Tables builds the sheets of an export (ExportSheets).
func (c *Composer) Tables(x *ExportData, lang string) []Table {
	out := make([]Table, len(ExportSheets))
	for i, s := range ExportSheets {
		out[i] = s(c, x, lang)
	}
	return out
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

func (c *Composer) yes(lang string, b bool) string {
	if b {
		return plain(c.t(lang, "xl_yes"))
	}
	return ""
}

func dateCell(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func pct(num, den int) Pct {
	r, ok := ratio(num, den)
	return Pct{V: r, OK: ok, Text: cadrebot.Percent(num, den)}
}

// peopleTable has a row per period of service that touches the range, in
// each village: the cadre's record for the assessment (考核).
func (c *Composer) peopleTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_people")), File: "people.csv",
		Header: c.header(lang, "town", "village", "village_chat", "member", "user_id", "title", "batch", "home_unit",
			"service_from", "service_to", "service_end", "service_workdays", "present", "checked_in_days", "rate", "days_in_village",
			"leave", "trip", "outing", "absent", "found", "found_resolved", "resolution_rate"),
		Widths: []float64{12, 12, 16, 10, 12, 12, 9, 20, 11, 11, 8, 9, 9, 9, 8, 9, 8, 8, 8, 8, 9, 9, 9}}
	loc := x.Period.Loc
	type key struct{ chat, user int64 }
	found := map[key][]cadrebot.Problem{}
	for _, p := range x.Problems {
		k := key{p.VillageChat, p.FinderID()}
		found[k] = append(found[k], p)
	}
	for _, v := range x.Villages {
		p := x.Checkins[v.Chat]
		if p == nil {
			continue
		}
		town := x.town(v.Chat, lang)
		for _, cd := range p.Cadres() {
			for _, s := range cd.Services {
				if !s.Overlaps(x.Period.From, x.Period.To) {
					continue
				}
				mr := attendance.ServiceRate(c.Cal, p, cd.Member, s)
				// Problems found while serving: reported on a day of this
				// period, within the range.
				var mine []cadrebot.Problem
				for _, q := range found[key{v.Chat, cd.UserID}] {
					if s.Covers(calendar.DateOf(q.Created.In(loc))) {
						mine = append(mine, q)
					}
				}
				f := cadrebot.ComputeFigures(mine, x.Now)
				title := s.Title
				if title == "" {
					title = plain(c.t(lang, "xl_title_default")) // the deployment's cadre_title
				}
				from := s.From
				if from.IsZero() {
					from = p.Created
				}
				end := ""
				if s.Ended != "" {
					end = plain(c.t(lang, "roster_ended_"+s.Ended))
				}
				t.Rows = append(t.Rows, []any{town, v.Name, v.Chat, cd.Name, cd.UserID, title, s.Batch, s.Home,
					dateCell(from), dateCell(s.To), end, mr.Workdays, mr.Present, mr.CheckedIn, pct(mr.Present, mr.Expected()),
					mr.InVillage, mr.Leave, mr.Trip, mr.Outing, mr.Absent, f.Total, f.Done, pct(f.Done, f.Total)})
			}
		}
	}
	return t
}

// checkinTable is the daily log: a row per cadre per workday of their
// service in the range, and per day off with a check-in.
func (c *Composer) checkinTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_checkins")), File: "checkins.csv",
		Header: c.header(lang, "town", "village", "village_chat", "date", "weekday", "day_type", "member", "user_id", "status",
			"checked_in", "time", "checkin_note", "lat", "lon", "offsite"),
		Widths: []float64{12, 12, 16, 11, 8, 14, 12, 12, 10, 8, 7, 30, 11, 11, 8}}
	if n := c.checkinRows(x); n > MaxCheckinRows {
		t.Rows = [][]any{{plain(c.t(lang, "xl_too_many_rows", i18n.Args{"N": n, "Max": MaxCheckinRows}))}}
		return t
	}
	for _, v := range x.Villages {
		p := x.Checkins[v.Chat]
		if p == nil {
			continue
		}
		town := x.town(v.Chat, lang)
		for _, cd := range p.Cadres() {
			row := p.Row(cd.Member)
			for d := x.Period.From; !d.After(x.Period.To); d = d.AddDays(1) {
				if !cd.Services.Covers(d) {
					continue // not theirs to answer for
				}
				checked := row.Checked(d)
				if !checked && !c.Cal.IsWorkday(d) {
					continue // a day off without a check-in says nothing
				}
				det, hasDet := x.Details[v.Chat][d][cd.UserID]
				tm, note, lat, lon := "", "", any(""), any("")
				if hasDet {
					tm, note = det.Clock(), det.Note
					if det.Where != nil {
						lat, lon = det.Where.Lat, det.Where.Lon
					}
				}
				t.Rows = append(t.Rows, []any{town, v.Name, v.Chat, d.String(), plain(c.t(lang, "xl_wd_"+itoa(int(d.Weekday())))),
					c.dayType(lang, d), cd.Name, cd.UserID, c.status(lang, row, d), c.yes(lang, checked), tm, note, lat, lon,
					c.yes(lang, checked && row.OffSite(d))})
			}
		}
	}
	return t
}

// problemTable has every problem reported in the range with every field,
// as it stands now, and its whole history in one cell.
func (c *Composer) problemTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_problems")), File: "problems.csv",
		Header: c.header(lang, "id", "status", "town", "village", "village_chat", "reporter", "reporter_id", "finder", "category", "dept",
			"text", "address", "lat", "lon", "photos", "metoo", "created", "due", "sla_hours", "resolved_at", "closed_at",
			"asked_at", "handler", "note", "reason", "days_to_resolve", "overdue", "stage", "undeliverable", "history"),
		Widths: []float64{7, 10, 12, 12, 16, 12, 12, 12, 14, 16, 40, 20, 11, 11, 7, 7, 17, 17, 9, 17, 17, 17, 12, 30, 30, 10, 8, 7, 9, 70,
			20, 20, 10, 10, 17, 40, 40}}
	t.Header = append(t.Header, c.header(lang, problemJointCols...)...)
	loc := x.Period.Loc
	for i := range x.Problems {
		p := &x.Problems[i]
		lat, lon := any(""), any("")
		if p.HasLoc {
			lat, lon = p.Lat, p.Lon
		}
		// The row is the problem's current state: a reopened problem
		// has no resolution time or note until it is resolved again (the
		// earlier ones are in its history).
		fix, resolvedAt, note := Days{}, time.Time{}, ""
		if p.Status.Done() && !p.ResolvedAt.IsZero() {
			fix = Days{V: p.ResolvedAt.Sub(p.Created).Hours() / 24, OK: true}
			resolvedAt, note = p.ResolvedAt, p.Note
		}
		t.Rows = append(t.Rows, []any{p.ID, plain(c.t(lang, "pr_status_"+string(p.Status))), x.town(p.VillageChat, lang),
			p.Village, p.VillageChat, p.ReporterName, p.Reporter, p.FinderName(), c.catName(lang, p.Category), c.deptName(lang, p.Dept),
			p.Text, p.Address, lat, lon, len(p.Photos), p.MeToo, c.stamp(p.Created, loc), c.stamp(p.Due, loc),
			int64(p.SLA / time.Hour), c.stamp(resolvedAt, loc), c.stamp(p.ClosedAt, loc), c.stamp(p.AskedAt, loc), p.Handler,
			note, p.Reason, fix, c.yes(lang, p.Overdue(x.Now)), p.Stage, c.yes(lang, p.Undeliverable),
			c.history(lang, x.History[p.ID], loc)})
		t.Rows[len(t.Rows)-1] = append(t.Rows[len(t.Rows)-1], c.problemJoint(lang, p, x)...)
	}
	return t
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

// summaryTable is per unit of the hierarchy the export covers, each with
// every village below it (UnitsTable, as the leaders' digests attach it),
// or per village when the export is a village's or a department's.
func (c *Composer) summaryTable(x *ExportData, lang string) Table {
	d := x.figures()
	if x.Whole && x.Tree != nil {
		t := c.UnitsTable(d, x.Tree, x.Unit, lang)
		t.Name, t.File = plain(c.t(lang, "xl_sheet_summary")), "summary.csv"
		return t
	}
	t := c.unitsHead(lang)
	t.Name, t.File = plain(c.t(lang, "xl_sheet_summary")), "summary.csv"
	for _, ref := range x.Villages {
		v := d.Village(ref.Chat, ref.Name, c.Cal)
		parent := x.town(ref.Chat, lang)
		t.Rows = append(t.Rows, []any{plain(c.t(lang, "xl_level_village")), v.Name, parent, 1, len(v.Rates.Members),
			v.Rates.Present, v.Rates.Expected, pct(v.Rates.Present, v.Rates.Expected), len(v.Reported), v.Fig.Done,
			pct(v.Fig.Done, v.Fig.Total), len(v.Open), len(v.Overdue)})
	}
	return t
}

// leaveTable has every range of leave, trip or outing that touches the
// range, with who recorded it and when, and who approved it: the audit
// trail of the days the rate leaves out or counts present.
func (c *Composer) leaveTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_leave")), File: "leave.csv",
		Header: c.header(lang, "town", "village", "village_chat", "member", "user_id", "kind", "from", "to", "workdays",
			"recorded_by", "recorded_by_id", "recorded_at", "approved_by", "approved_by_id", "approved_at"),
		Widths: []float64{12, 12, 16, 12, 12, 8, 11, 11, 8, 12, 12, 17, 12, 12, 17}}
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
		// Everyone with records (the roster first), then anyone else
		// with leave.
		names := map[int64]string{}
		var users []int64
		for _, cd := range p.Everyone() {
			names[cd.UserID] = cd.Name
			users = append(users, cd.UserID)
		}
		var gone []int64
		for u := range p.Leaves {
			if _, ok := names[u]; !ok {
				gone = append(gone, u)
			}
		}
		slices.Sort(gone)
		town := x.town(v.Chat, lang)
		for _, u := range append(users, gone...) {
			for _, l := range p.Leaves[u] {
				if l.To.Before(x.Period.From) || l.From.After(x.Period.To) {
					continue
				}
				t.Rows = append(t.Rows, []any{town, v.Name, v.Chat, names[u], u, plain(c.t(lang, "leave_kind_"+string(l.Kind))),
					l.From.String(), l.To.String(), c.Cal.CountWorkdays(l.From, l.To),
					l.ByName, id(l.By), at(l.At), l.OKByName, id(l.OKBy), at(l.OKAt)})
			}
		}
	}
	return t
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
