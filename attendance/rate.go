package attendance

import (
	"cadrebot"
	"cadrebot/calendar"
)

// MemberRate is one member's attendance over a period. Only workdays
// count: a check-in on a weekend or a holiday is recorded but counts for
// nothing.
type MemberRate struct {
	Member    cadrebot.Member
	Workdays  int // workdays in the period
	Present   int // checked in, or on a business trip (出差)
	CheckedIn int // workdays with a check-in
	Trip      int // 出差 workdays without a check-in (present)
	Leave     int // 请假 workdays without a check-in (left out of the rate)
	Outing    int // 外出 workdays without a check-in (absent)
	Absent    int // workdays neither present nor excused, 外出 included
	OffSite   int // workday check-ins marked off-site
}

// Expected is the rate's denominator: workdays minus days on leave.
func (r MemberRate) Expected() int { return r.Workdays - r.Leave }

// Rate is Present/Expected; ok is false when nothing was expected (a
// period of holidays, or all of it on leave).
func (r MemberRate) Rate() (rate float64, ok bool) { return ratio(r.Present, r.Expected()) }

// Percent is the rate with one decimal, or "—".
func (r MemberRate) Percent() string { return Percent(r.Present, r.Expected()) }

// DayRate is the group's attendance on one day, for charts.
type DayRate struct {
	Date     calendar.Date
	Workday  bool
	Present  int
	Expected int // roster minus members on leave (请假)
}

// Rate is Present/Expected; ok is false on non-workdays and when nobody
// was expected.
func (d DayRate) Rate() (float64, bool) {
	if !d.Workday {
		return 0, false
	}
	return ratio(d.Present, d.Expected)
}

// GroupRate is a group's attendance over a period.
type GroupRate struct {
	Chat     int64
	From, To calendar.Date
	Workdays int
	Members  []MemberRate // in roster order
	Days     []DayRate    // every day of the period, ascending
	Present  int          // sum over members
	Expected int          // sum over members
}

// Rate is the group's rate: all members' present days over all their
// expected days, so a member on leave for the week weighs nothing rather
// than dragging the group down or up.
func (g GroupRate) Rate() (float64, bool) { return ratio(g.Present, g.Expected) }

// Percent is the group rate with one decimal, or "—".
func (g GroupRate) Percent() string { return Percent(g.Present, g.Expected) }

// Rates computes the check-in rate of every roster member and of the
// group over [p.From, p.To]. It is the one definition of the rate that
// /today, /stats and the digests share: workdays only (China's calendar
// with 调休 and the deployment's overrides), 请假 days out of the
// denominator, 出差 counted present, 外出 not present. Callers pass a
// period that ends no later than today: a day to come is not an absence.
func Rates(cal *calendar.Calendar, p *Period) GroupRate {
	g := GroupRate{Chat: p.Chat, From: p.From, To: p.To}
	n := calendar.DaysBetween(p.From, p.To) + 1
	if n < 0 {
		n = 0
	}
	g.Days = make([]DayRate, n)
	for i := range g.Days {
		d := p.From.AddDays(i)
		g.Days[i] = DayRate{Date: d, Workday: cal.IsWorkday(d)}
		if g.Days[i].Workday {
			g.Workdays++
		}
	}
	g.Members = make([]MemberRate, 0, len(p.Roster))
	for _, m := range p.Roster {
		row := p.Row(m)
		mr := MemberRate{Member: m, Workdays: g.Workdays}
		for i := range g.Days {
			day := &g.Days[i]
			if !day.Workday {
				continue
			}
			st := row.workdayStatus(day.Date)
			checked := st == Present && row.Checked(day.Date)
			switch st {
			case Present:
				mr.Present++
				day.Present++
				day.Expected++
				if checked {
					mr.CheckedIn++
					if row.OffSite(day.Date) {
						mr.OffSite++
					}
				} else {
					mr.Trip++
				}
			case Excused:
				mr.Leave++
			case Absent:
				mr.Absent++
				day.Expected++
				if k, ok := row.Leaves.On(day.Date); ok && k == cadrebot.LeaveOuting {
					mr.Outing++
				}
			}
		}
		g.Present += mr.Present
		g.Expected += mr.Expected()
		g.Members = append(g.Members, mr)
	}
	return g
}

func ratio(num, den int) (float64, bool) {
	if den <= 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// Percent formats num/den like every other rate the bot shows
// (cadrebot.Percent): one decimal, never 100% short of complete, "—" over
// nothing, so no digest ever prints NaN%.
func Percent(num, den int) string { return cadrebot.Percent(num, den) }
