// Package attendance holds the attendance rules of cadrebot: the bit
// layout of check-in flags, leave ranges, streaks and check-in rates. It is
// pure: the store loads the data, this package decides what it means, so
// /today, the board, reminders, /stats and the digests all count the same
// way.
//
// # Layout
//
// A group's check-ins of one year are one bitmap. Every roster index (the
// stable index store gives each member) owns a row of RowBits bits, and
// the bit of day d is at index*RowBits + DayOfYear(d). RowBits is 368, not
// 366, so that rows start on byte boundaries: one member's year is exactly
// RowBytes bytes, readable with one GETRANGE. Bits follow Redis' SETBIT
// order (bit 0 is the most significant bit of byte 0). Off-site marks use
// the same layout in a second bitmap.
//
// # Reuse
//
//   - Rates(cal, period) is THE check-in rate: per member and per group,
//     per day too (for charts), over any period. Load the period with
//     store.DB.CheckinPeriods, which reads many groups in a bounded
//     number of pipelined round trips.
//   - Streak(cal, row, day) is the streak shown on the board and used for
//     milestones.
//   - Row.Status(cal, day) classifies one member's day; everything above
//     is built on it.
//   - Percent formats a rate with one decimal and never prints NaN.
package attendance

import (
	"cadrebot"
	"cadrebot/calendar"
)

// RowBits is the number of bits a member's year takes in a group bitmap.
const RowBits = 368

// RowBytes is RowBits in bytes.
const RowBytes = RowBits / 8

// DayOfYear returns the 0-based day of d within its year.
func DayOfYear(d calendar.Date) int {
	return calendar.DaysBetween(calendar.Date{Year: d.Year, Month: 1, Day: 1}, d)
}

// BitOffset is the offset, for SETBIT, of the flag of roster index on d.
func BitOffset(index int, d calendar.Date) int64 {
	return int64(index)*RowBits + int64(DayOfYear(d))
}

func bitAt(bm []byte, off int) bool {
	i := off >> 3
	return i < len(bm) && bm[i]&(0x80>>(off&7)) != 0
}

// Status is what one workday was for one member.
type Status uint8

// The statuses; rates and streaks are sums over them.
const (
	NotWorkday Status = iota // weekends and holidays count for nothing
	Present                  // checked in, or on a business trip (出差)
	Absent                   // no check-in; 外出 without a check-in too
	Excused                  // on leave (请假) without a check-in: out of the rate
)

// Row is one member's check-ins and leave over the loaded years.
type Row struct {
	bits, off map[int][]byte
	index     int
	Leaves    Leaves
}

// NewRow views the member with roster index in year bitmaps bits and
// off (year -> bitmap). A year present in bits counts as loaded even when
// its bitmap is empty. Pass index 0 with single-row slices, as the
// check-in script returns them.
func NewRow(bits, off map[int][]byte, index int, leaves Leaves) Row {
	return Row{bits: bits, off: off, index: index, Leaves: leaves}
}

// Loaded reports whether the flags of year are in the row.
func (r Row) Loaded(year int) bool {
	_, ok := r.bits[year]
	return ok
}

// Checked reports whether the member checked in on d.
func (r Row) Checked(d calendar.Date) bool {
	return bitAt(r.bits[d.Year], r.index*RowBits+DayOfYear(d))
}

// OffSite reports whether the member's check-in on d was off-site.
func (r Row) OffSite(d calendar.Date) bool {
	return bitAt(r.off[d.Year], r.index*RowBits+DayOfYear(d))
}

// Status classifies the member's day d. A check-in always counts, leave
// or not: a cadre who came in anyway was present.
func (r Row) Status(cal *calendar.Calendar, d calendar.Date) Status {
	if !cal.IsWorkday(d) {
		return NotWorkday
	}
	return r.workdayStatus(d)
}

// workdayStatus is Status for a day known to be a workday.
func (r Row) workdayStatus(d calendar.Date) Status {
	if r.Checked(d) {
		return Present
	}
	if k, ok := r.Leaves.On(d); ok {
		switch {
		case k.CountsPresent():
			return Present
		case k.Excused():
			return Excused
		}
	}
	return Absent
}

// Period is what the store loads for one group over [From, To]: the
// roster and former members, their periods of service, the year bitmaps
// the period touches, and leave.
type Period struct {
	Chat     int64
	From, To calendar.Date
	Roster   []cadrebot.Member
	// Former are members who left the roster and have service records,
	// with the index their rows keep.
	Former []cadrebot.Member
	// Service holds each member's periods of service (Served reads it).
	Service map[int64]Services
	// Created is the day the bot first saw the group, the start of
	// service of a roster member who has no periods (see Served).
	Created calendar.Date
	Bits    map[int][]byte // year -> check-in bitmap
	Off     map[int][]byte // year -> off-site bitmap
	Leaves  map[int64]Leaves
}

// Row returns a member's row.
func (p *Period) Row(m cadrebot.Member) Row {
	return NewRow(p.Bits, p.Off, m.Index, p.Leaves[m.UserID])
}

// Streak counts the consecutive workdays up to day (or up to the last
// workday before it, when day is not one) on which the member was
// present. Days on leave (请假) are skipped without breaking the streak,
// business trips (出差) count as present, as they do in rates. complete is
// false when the count ran into a year that is not loaded: the caller
// loads earlier years and asks again.
func Streak(cal *calendar.Calendar, r Row, day calendar.Date) (n int, complete bool) {
	d := day
	if !cal.IsWorkday(d) {
		d = cal.PrevWorkday(d)
	}
	for !d.IsZero() {
		if !r.Loaded(d.Year) {
			return n, false
		}
		switch r.Status(cal, d) {
		case Present:
			n++
		case Absent:
			return n, true
		}
		d = cal.PrevWorkday(d)
	}
	return n, true
}
