package calendar

import (
	"errors"
	"fmt"
	"time"
)

// DayKind classifies a day for reminders and attendance.
type DayKind uint8

// The zero DayKind is deliberately not a kind, so an unfilled table slot
// could never pass for a real answer.
const (
	Workday       DayKind = iota + 1 // an ordinary working day
	Weekend                          // a day off by the weekly pattern
	Holiday                          // a statutory or configured day off
	MakeupWorkday                    // 调休上班: working on a day the weekly pattern leaves off
)

// IsWorkday reports whether cadres are expected to check in on a day of
// kind k.
func (k DayKind) IsWorkday() bool { return k == Workday || k == MakeupWorkday }

func (k DayKind) String() string {
	switch k {
	case Workday:
		return "workday"
	case Weekend:
		return "weekend"
	case Holiday:
		return "holiday"
	case MakeupWorkday:
		return "makeup workday"
	}
	return fmt.Sprintf("DayKind(%d)", uint8(k))
}

// Overrides are a deployment's changes to the statutory calendar.
type Overrides struct {
	Weekdays []time.Weekday // the normal working weekdays; empty means Mon..Fri
	Workdays []Date         // forced working days (extra 调休 days of a deployment)
	Holidays []Date         // forced days off
}

// ParseOverrides builds Overrides from the config file's plain values
// (weekdays as 0=Sunday..6=Saturday, dates as "2006-01-02"), rejecting
// anything New would otherwise have to ignore.
func ParseOverrides(weekdays []int, workdays, holidays []string) (Overrides, error) {
	var o Overrides
	var errs []error
	for _, w := range weekdays {
		if w < int(time.Sunday) || w > int(time.Saturday) {
			errs = append(errs, fmt.Errorf("calendar: bad weekday %d: want 0 (Sunday) to 6 (Saturday)", w))
			continue
		}
		o.Weekdays = append(o.Weekdays, time.Weekday(w))
	}
	parse := func(ss []string) []Date {
		var out []Date
		for _, s := range ss {
			d, err := ParseDate(s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, d)
		}
		return out
	}
	o.Workdays = parse(workdays)
	o.Holidays = parse(holidays)
	if len(errs) > 0 {
		return Overrides{}, errors.Join(errs...)
	}
	return o, nil
}

// Calendar answers workday questions. It is immutable after New, so one
// value can serve every goroutine without locking.
type Calendar struct {
	workWeek uint8 // bit w set when time.Weekday(w) is a normal working day

	// kinds holds the answer for every day from base on, so the hot path
	// is arithmetic plus one slice index. It spans the statutory data plus
	// tableTailYears, which keeps a bot that outlives its lunar-go version
	// on the fast path too.
	base  int
	kinds []DayKind

	// Days outside the table can only differ from the weekly pattern
	// through overrides; these are usually empty.
	forcedWork map[int]bool
	forcedOff  map[int]bool

	stat *statutoryData
}

const tableTailYears = 10

// MaxSearchDays bounds PrevWorkday and NextWorkday. The longest statutory
// break is 9 days; the bound only stops a misconfigured calendar (say, a
// whole year of forced holidays) from turning a streak computation into an
// unbounded scan.
const MaxSearchDays = 60

// New builds a Calendar from the statutory data and o. Precedence, highest
// first: o.Holidays, o.Workdays, the statutory arrangement, o.Weekdays.
// Weekdays outside Sunday..Saturday are ignored and invalid dates are
// normalised like time.Date; use ParseOverrides to reject both.
func New(o Overrides) *Calendar {
	c := &Calendar{stat: officialData()}
	if len(o.Weekdays) == 0 {
		c.workWeek = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	}
	for _, w := range o.Weekdays {
		if w >= time.Sunday && w <= time.Saturday {
			c.workWeek |= 1 << w
		}
	}

	first := Date{Year: fromDays(c.stat.firstDay).Year, Month: time.January, Day: 1}
	last := Date{Year: fromDays(c.stat.lastDay).Year + tableTailYears, Month: time.December, Day: 31}
	c.base = first.days()
	c.kinds = make([]DayKind, last.days()-c.base+1)
	for i := range c.kinds {
		if c.normallyWorks(c.base + i) {
			c.kinds[i] = Workday
		} else {
			c.kinds[i] = Weekend
		}
	}
	for n, e := range c.stat.days {
		if e.work {
			c.kinds[n-c.base] = c.workingKind(n)
		} else {
			c.kinds[n-c.base] = Holiday
		}
	}
	// Overrides are applied after the data, workdays before holidays, so
	// that the later write wins exactly as the precedence says.
	for _, d := range o.Workdays {
		n := d.days()
		if i := n - c.base; i >= 0 && i < len(c.kinds) {
			c.kinds[i] = c.workingKind(n)
			continue
		}
		if c.forcedWork == nil {
			c.forcedWork = make(map[int]bool)
		}
		c.forcedWork[n] = true
	}
	for _, d := range o.Holidays {
		n := d.days()
		if i := n - c.base; i >= 0 && i < len(c.kinds) {
			c.kinds[i] = Holiday
			continue
		}
		if c.forcedOff == nil {
			c.forcedOff = make(map[int]bool)
		}
		c.forcedOff[n] = true
	}
	return c
}

func (c *Calendar) normallyWorks(n int) bool {
	return c.workWeek&(1<<weekdayOf(n)) != 0
}

// workingKind tells a make-up day from an ordinary one by the weekly
// pattern rather than by where the day came from: lunar-go also lists a
// few plain weekdays (2012-05-02, 2012-10-08) as work days, and a
// deployment working Saturdays has no 调休 on a Saturday.
func (c *Calendar) workingKind(n int) DayKind {
	if c.normallyWorks(n) {
		return Workday
	}
	return MakeupWorkday
}

func (c *Calendar) kindAt(n int) DayKind {
	if i := n - c.base; i >= 0 && i < len(c.kinds) {
		return c.kinds[i]
	}
	switch {
	case c.forcedOff[n]:
		return Holiday
	case c.forcedWork[n]:
		return c.workingKind(n)
	case c.normallyWorks(n):
		return Workday
	}
	return Weekend
}

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d Date) bool { return c.kindAt(d.days()).IsWorkday() }

// Kind classifies d.
func (c *Calendar) Kind(d Date) DayKind { return c.kindAt(d.days()) }

// HolidayName returns the statutory festival d is a day off for, such as
// "春节" or "国庆中秋". It is "" for make-up working days, for days off
// that only an override created, and for statutory days an override turned
// into working days.
func (c *Calendar) HolidayName(d Date) string {
	n := d.days()
	if c.kindAt(n) != Holiday {
		return ""
	}
	if e, ok := c.stat.days[n]; ok && !e.work {
		return e.name
	}
	return ""
}

// Workdays returns the working days in [from, to], ascending; nil when
// to is before from.
func (c *Calendar) Workdays(from, to Date) []Date {
	lo, hi := from.days(), to.days()
	if hi < lo {
		return nil
	}
	// Five in seven is the usual share; a holiday-heavy range merely
	// leaves some capacity unused.
	out := make([]Date, 0, (hi-lo+1)*5/7+2)
	for n := lo; n <= hi; n++ {
		if c.kindAt(n).IsWorkday() {
			out = append(out, fromDays(n))
		}
	}
	return out
}

// CountWorkdays returns len(c.Workdays(from, to)) without allocating; it is
// the denominator of attendance rates.
func (c *Calendar) CountWorkdays(from, to Date) int {
	count := 0
	for n, hi := from.days(), to.days(); n <= hi; n++ {
		if c.kindAt(n).IsWorkday() {
			count++
		}
	}
	return count
}

// PrevWorkday returns the latest working day strictly before d, looking
// back at most MaxSearchDays days; it returns the zero Date when there is
// none in that window.
func (c *Calendar) PrevWorkday(d Date) Date { return c.step(d, -1) }

// NextWorkday returns the earliest working day strictly after d, looking
// ahead at most MaxSearchDays days; it returns the zero Date when there is
// none in that window.
func (c *Calendar) NextWorkday(d Date) Date { return c.step(d, 1) }

func (c *Calendar) step(d Date, dir int) Date {
	n := d.days()
	for i := 1; i <= MaxSearchDays; i++ {
		if m := n + dir*i; c.kindAt(m).IsWorkday() {
			return fromDays(m)
		}
	}
	return Date{}
}

// CoveredThrough returns the last year whose official arrangement is in the
// data. Later years fall back to the weekly pattern plus overrides, so ops
// should alert when the current year passes it and either upgrade lunar-go
// or configure the new arrangement as overrides.
func (c *Calendar) CoveredThrough() int { return c.stat.through }

// CoveredFrom returns the first year whose official arrangement is in the
// data.
func (c *Calendar) CoveredFrom() int { return c.stat.from }
