// Package calendar is China's workday calendar: Monday to Friday, minus the
// State Council's statutory holidays, plus their 调休 make-up working days,
// adjusted by per-deployment overrides.
//
// The statutory arrangement comes from github.com/6tail/lunar-go's
// HolidayUtil, which carries the official data from 2001-12-29 onwards. It is
// read once per process; a Calendar is immutable after New and safe for
// concurrent use.
package calendar

import (
	"cmp"
	"fmt"
	"time"
)

// Date is a civil date, independent of time zone.
//
// Check-ins and attendance are counted per calendar day in a group's own
// zone, so the calendar never sees instants: callers convert with DateOf
// after moving the time.Time into the group's location. Dates compare with
// ==; methods assume a valid date (see Valid), as ParseDate and DateOf
// produce.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location. Convert t with In first:
// 23:30 in Shanghai is still the previous day in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a strict "2006-01-02" date. It is hand-rolled rather than
// built on time.Parse so the error can say exactly what is wrong with a
// value typed into a YAML file or a chat command.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("calendar: bad date %q: want YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("calendar: bad date %q: want YYYY-MM-DD", s)
	}
	if m < 1 || m > 12 {
		return Date{}, fmt.Errorf("calendar: bad date %q: month %d out of range", s, m)
	}
	if n := daysIn(y, time.Month(m)); d < 1 || d > n {
		return Date{}, fmt.Errorf("calendar: bad date %q: %s %d has %d days", s, time.Month(m), y, n)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// MustParseDate is ParseDate for constants in code and tests.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isLeap(y int) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// String formats d as "2006-01-02", the same form ParseDate accepts.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText lets Date sit directly in JSON/YAML documents and log fields.
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText accepts only what ParseDate accepts.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Valid reports whether d names a real day of the proleptic Gregorian
// calendar; the arithmetic below silently normalises invalid dates the way
// time.Date does, which would hide typos in overrides.
func (d Date) Valid() bool {
	return d.Month >= time.January && d.Month <= time.December &&
		d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// IsZero reports whether d is the zero Date, which PrevWorkday and
// NextWorkday return when their bounded search finds nothing.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns d moved by n days (n may be negative).
func (d Date) AddDays(n int) Date { return fromDays(d.days() + n) }

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Compare returns -1, 0 or +1 like cmp.Compare, for slices.SortFunc.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp.Compare(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp.Compare(int(d.Month), int(o.Month))
	default:
		return cmp.Compare(d.Day, o.Day)
	}
}

// Weekday is computed arithmetically because it sits on the IsWorkday hot
// path, where building a time.Time would dominate the cost.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.days()) }

// Time returns midnight at the start of d in loc. Where a DST jump skips
// midnight, time.Date's normalisation applies.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Compact returns d as YYYYMMDD (20260217): sortable and short, for Redis
// keys and hash fields.
func (d Date) Compact() int {
	return d.Year*10000 + int(d.Month)*100 + d.Day
}

// DaysBetween returns b - a in days: 1 when b is the day after a.
func DaysBetween(a, b Date) int { return b.days() - a.days() }

// days returns the number of days since 1970-01-01 (negative before it),
// using Howard Hinnant's days_from_civil. An out-of-range month is folded
// into the year first and Day enters linearly, which matches time.Date's
// normalisation.
func (d Date) days() int {
	y, m := d.Year, int(d.Month)-1
	y += floorDiv(m, 12)
	m -= floorDiv(m, 12) * 12
	m++ // 1..12
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                      // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + d.Day - 1 // day of the March-based year
	doe := yoe*365 + yoe/4 - yoe/100 + doy  // day of the 400-year era
	return era*146097 + doe - 719468
}

// fromDays is the inverse of days (Hinnant's civil_from_days).
func fromDays(z int) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{Year: y, Month: time.Month(m), Day: day}
}

// weekdayOf maps a day number to its weekday; 1970-01-01 was a Thursday.
func weekdayOf(n int) time.Weekday {
	return time.Weekday(n + 4 - floorDiv(n+4, 7)*7)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
