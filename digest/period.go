// Package report composes what cadrebot tells coordinators without being
// asked, and what they ask for: the weekly digests of village groups,
// department groups and the county leaders' chat, /stats, and the
// /export workbooks. It computes nothing of its own: check-in rates come
// from attendance.Rates, problem figures from cadrebot.ComputeFigures, so
// a digest, /today, /problems and an export never disagree. The store
// loads the data (Data) in a bounded number of pipelined round trips; this
// package only reads it.
package digest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/calendar"
)

// Kind is what a Period spans.
type Kind int

// The kinds of period.
const (
	Week    Kind = iota // Monday to Sunday
	Month               // a calendar month
	Range               // any days, for exports
	Quarter             // a calendar quarter: January to March, ...
	Year                // a calendar year
)

// Period is a reporting window of whole days, both ends included, in a
// time zone: a problem belongs to it when it was reported between
// midnight of From and midnight after To in Loc.
type Period struct {
	Kind     Kind
	From, To calendar.Date
	Loc      *time.Location
}

// Start is midnight at the start of From.
func (p Period) Start() time.Time { return p.From.Time(p.Loc) }

// End is midnight after To: the period is [Start, End).
func (p Period) End() time.Time { return p.To.AddDays(1).Time(p.Loc) }

// Days is the number of days in the period.
func (p Period) Days() int { return calendar.DaysBetween(p.From, p.To) + 1 }

// Contains reports whether t falls in [Start, End).
func (p Period) Contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(p.Start()) && t.Before(p.End())
}

// WeekOf is the Monday-to-Sunday week containing d.
func WeekOf(d calendar.Date, loc *time.Location) Period {
	mon := d.AddDays(-((int(d.Weekday()) + 6) % 7))
	return Period{Kind: Week, From: mon, To: mon.AddDays(6), Loc: loc}
}

// LastWeek is the last complete week before at, in loc: what a digest
// fired at at covers. Fired on Monday 09:00 it is the week that ended the
// night before; fired on any later day of a week, still that same week.
func LastWeek(at time.Time, loc *time.Location) Period {
	return WeekOf(calendar.DateOf(at.In(loc)).AddDays(-7), loc)
}

// MonthOf is a calendar month.
func MonthOf(year int, month time.Month, loc *time.Location) Period {
	from := calendar.Date{Year: year, Month: month, Day: 1}
	to := calendar.DateOf(time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC))
	return Period{Kind: Month, From: from, To: to, Loc: loc}
}

// QuarterOf is calendar quarter q (1-4) of year.
func QuarterOf(year, q int, loc *time.Location) Period {
	from := calendar.Date{Year: year, Month: time.Month(3*q - 2), Day: 1}
	to := calendar.DateOf(time.Date(year, time.Month(3*q+1), 0, 0, 0, 0, 0, time.UTC))
	return Period{Kind: Quarter, From: from, To: to, Loc: loc}
}

// YearOf is a calendar year.
func YearOf(year int, loc *time.Location) Period {
	return Period{Kind: Year, From: calendar.Date{Year: year, Month: 1, Day: 1}, To: calendar.Date{Year: year, Month: 12, Day: 31}, Loc: loc}
}

// Prev is the period of the same kind just before p: the week, month,
// quarter or year before, or as many days before a range. A period cut
// short at today (see Upto) compares with the whole period before it.
func (p Period) Prev() Period {
	switch p.Kind {
	case Week:
		return WeekOf(p.From.AddDays(-7), p.Loc)
	case Month:
		t := time.Date(p.From.Year, p.From.Month-1, 1, 0, 0, 0, 0, time.UTC)
		return MonthOf(t.Year(), t.Month(), p.Loc)
	case Quarter:
		q := (int(p.From.Month)-1)/3 + 1
		if q == 1 {
			return QuarterOf(p.From.Year-1, 4, p.Loc)
		}
		return QuarterOf(p.From.Year, q-1, p.Loc)
	case Year:
		return YearOf(p.From.Year-1, p.Loc)
	}
	n := p.Days()
	return Period{Kind: Range, From: p.From.AddDays(-n), To: p.From.AddDays(-1), Loc: p.Loc}
}

// Upto cuts p at day: a day still to come is not an absence. ok is false
// when p starts after day.
func (p Period) Upto(day calendar.Date) (Period, bool) {
	if p.From.After(day) {
		return p, false
	}
	if p.To.After(day) {
		p.To = day
	}
	return p, true
}

// ID names the period in idempotency keys and file names: "2026-W48",
// "2026-11", "2026-Q4", "2026", "20261101-20261130".
func (p Period) ID() string {
	switch p.Kind {
	case Week:
		y, w := p.From.Time(time.UTC).ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Month:
		return fmt.Sprintf("%d-%02d", p.From.Year, int(p.From.Month))
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.From.Year, (int(p.From.Month)-1)/3+1)
	case Year:
		return strconv.Itoa(p.From.Year)
	}
	return strconv.Itoa(p.From.Compact()) + "-" + strconv.Itoa(p.To.Compact())
}

// MaxRangeDays bounds an export or /stats range: a year and a day, enough
// for the yearly assessment (考核) of a leap year.
const MaxRangeDays = 366

// ParseStats reads the argument of /stats: "" or "week" (this week so
// far), "month" (this month so far) or "YYYY-MM". today is the group's
// date. A malformed argument, or a month after this one, is a user error
// carrying the usage message.
func ParseStats(arg string, today calendar.Date, loc *time.Location) (Period, error) {
	arg = strings.ToLower(strings.TrimSpace(arg))
	var p Period
	switch arg {
	case "", "week", "周", "本周":
		p = WeekOf(today, loc)
	case "month", "月", "本月":
		p = MonthOf(today.Year, today.Month, loc)
	default:
		y, m, ok := parseMonth(arg)
		if !ok {
			return p, cadrebot.Errorf("stats_usage")
		}
		p = MonthOf(y, m, loc)
	}
	p, ok := p.Upto(today)
	if !ok {
		return p, cadrebot.Errorf("stats_future", "Period", p.ID())
	}
	return p, nil
}

// ParseExport reads the argument of /export: nothing (this month so
// far), a month "YYYY-MM", a quarter "YYYY-Q1".."YYYY-Q4", a year "YYYY",
// or "FROM TO" dates, in any order with "csv". The range may not pass
// MaxRangeDays and is cut at today.
func ParseExport(arg string, today calendar.Date, loc *time.Location) (p Period, csv bool, err error) {
	var rest []string
	for _, f := range strings.Fields(strings.ToLower(arg)) {
		if f == "csv" {
			csv = true
			continue
		}
		rest = append(rest, f)
	}
	switch len(rest) {
	case 0:
		p = MonthOf(today.Year, today.Month, loc)
	case 1:
		if y, m, ok := parseMonth(rest[0]); ok {
			p = MonthOf(y, m, loc)
		} else if y, q, ok := parseQuarter(rest[0]); ok {
			p = QuarterOf(y, q, loc)
		} else if y, ok := parseYear(rest[0]); ok {
			p = YearOf(y, loc)
		} else {
			return p, csv, cadrebot.Errorf("export_usage")
		}
	case 2:
		from, err1 := calendar.ParseDate(rest[0])
		to, err2 := calendar.ParseDate(rest[1])
		if err1 != nil || err2 != nil {
			return p, csv, cadrebot.Errorf("export_usage")
		}
		if to.Before(from) {
			return p, csv, cadrebot.Errorf("export_backwards", "From", from.String(), "To", to.String())
		}
		p = Period{Kind: Range, From: from, To: to, Loc: loc}
	default:
		return p, csv, cadrebot.Errorf("export_usage")
	}
	if p.Days() > MaxRangeDays {
		return p, csv, cadrebot.Errorf("export_too_long", "Days", p.Days(), "Max", MaxRangeDays)
	}
	p, ok := p.Upto(today)
	if !ok {
		return p, csv, cadrebot.Errorf("export_future", "From", p.From.String())
	}
	return p, csv, nil
}

// parseMonth reads "YYYY-MM".
func parseMonth(s string) (int, time.Month, bool) {
	if len(s) != 7 || s[4] != '-' {
		return 0, 0, false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || y < 2000 || y > 2200 || m < 1 || m > 12 {
		return 0, 0, false
	}
	return y, time.Month(m), true
}

// parseQuarter reads "YYYY-Q4" (any case, "YYYYQ4" too).
func parseQuarter(s string) (int, int, bool) {
	s = strings.ToUpper(s)
	y, q, ok := strings.Cut(s, "Q")
	y = strings.TrimSuffix(y, "-")
	if !ok || len(q) != 1 || q[0] < '1' || q[0] > '4' {
		return 0, 0, false
	}
	year, ok := parseYear(y)
	return year, int(q[0] - '0'), ok
}

// parseYear reads "YYYY".
func parseYear(s string) (int, bool) {
	if len(s) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 2200 {
		return 0, false
	}
	return y, true
}
