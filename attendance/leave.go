package attendance

import (
	"slices"
	"time"

	"cadrebot"
	"cadrebot/calendar"
)

// Leave is one range of days off, both ends included, with who recorded
// it and when, and who approved it where leave needs approval. Leave
// stored before the audit fields existed has them zero: "not recorded".
type Leave struct {
	From calendar.Date      `json:"f"`
	To   calendar.Date      `json:"t"`
	Kind cadrebot.LeaveKind `json:"k"`
	// By recorded it (the member, or an admin for them), at At (unix).
	By     int64  `json:"by,omitempty"`
	ByName string `json:"bn,omitempty"`
	At     int64  `json:"at,omitempty"`
	// OKBy approved the member's request, at OKAt (unix).
	OKBy     int64  `json:"ob,omitempty"`
	OKByName string `json:"on,omitempty"`
	OKAt     int64  `json:"oa,omitempty"`
}

// span returns l over [from, to], keeping its kind and record.
func (l Leave) span(from, to calendar.Date) Leave {
	l.From, l.To = from, to
	return l
}

// Covers reports whether d is in the range.
func (l Leave) Covers(d calendar.Date) bool { return !d.Before(l.From) && !d.After(l.To) }

// MaxLeaveDays bounds one /leave range, so a typo in a year cannot mark a
// cadre away for a decade.
const MaxLeaveDays = 366

// Leaves are one member's leave ranges, sorted and not overlapping.
type Leaves []Leave

// On returns the kind of leave on d, if any.
func (ls Leaves) On(d calendar.Date) (cadrebot.LeaveKind, bool) {
	for _, l := range ls {
		if l.Covers(d) {
			return l.Kind, true
		}
	}
	return "", false
}

// Set returns ls with n in place: days n covers take n's kind, whatever
// they had before, so a trip booked over a leave replaces it for those
// days only.
func (ls Leaves) Set(n Leave) Leaves {
	out := make(Leaves, 0, len(ls)+2)
	for _, l := range ls {
		if l.To.Before(n.From) || l.From.After(n.To) {
			out = append(out, l)
			continue
		}
		if l.From.Before(n.From) {
			out = append(out, l.span(l.From, n.From.AddDays(-1)))
		}
		if l.To.After(n.To) {
			out = append(out, l.span(n.To.AddDays(1), l.To))
		}
	}
	out = append(out, n)
	slices.SortFunc(out, func(a, b Leave) int { return a.From.Compare(b.From) })
	return out
}

// Cancel drops leave from day on: ranges that start on or after day go,
// a range under way ends the day before. Past days stay on record, so
// cancelling cannot turn an approved absence into a missed check-in.
// changed is false when there was nothing to cancel.
func (ls Leaves) Cancel(day calendar.Date) (out Leaves, changed bool) {
	out = make(Leaves, 0, len(ls))
	for _, l := range ls {
		switch {
		case l.To.Before(day):
			out = append(out, l)
		case l.From.Before(day):
			out = append(out, l.span(l.From, day.AddDays(-1)))
			changed = true
		default:
			changed = true
		}
	}
	return out, changed
}

// Prune drops ranges that ended before day; leave is kept as long as the
// check-in bitmaps it explains.
func (ls Leaves) Prune(day calendar.Date) Leaves {
	out := ls[:0:0]
	for _, l := range ls {
		if !l.To.Before(day) {
			out = append(out, l)
		}
	}
	return out
}

// From returns the ranges that end on or after day: current and future
// leave, for display.
func (ls Leaves) From(day calendar.Date) Leaves { return ls.Prune(day) }

// OutingDays counts the workdays of year/month on 外出 leave, the unit of
// the monthly cap.
func (ls Leaves) OutingDays(cal *calendar.Calendar, year int, month time.Month) int {
	first := calendar.Date{Year: year, Month: month, Day: 1}
	last := first.AddDays(32)
	last = calendar.Date{Year: last.Year, Month: last.Month, Day: 1}.AddDays(-1)
	n := 0
	for _, l := range ls {
		if l.Kind != cadrebot.LeaveOuting || l.To.Before(first) || l.From.After(last) {
			continue
		}
		from, to := l.From, l.To
		if from.Before(first) {
			from = first
		}
		if to.After(last) {
			to = last
		}
		n += cal.CountWorkdays(from, to)
	}
	return n
}

// OverOutingCap checks the monthly cap of 外出 after ls was changed to
// contain n: it returns the first month n touches whose 外出 workdays
// exceed limit, with that count; ok when none does.
func (ls Leaves) OverOutingCap(cal *calendar.Calendar, n Leave, limit int) (year int, month time.Month, used int, ok bool) {
	if n.Kind != cadrebot.LeaveOuting {
		return 0, 0, 0, true
	}
	for d := (calendar.Date{Year: n.From.Year, Month: n.From.Month, Day: 1}); !d.After(n.To); {
		if used := ls.OutingDays(cal, d.Year, d.Month); used > limit {
			return d.Year, d.Month, used, false
		}
		next := d.AddDays(32)
		d = calendar.Date{Year: next.Year, Month: next.Month, Day: 1}
	}
	return 0, 0, 0, true
}

// Request is a member's leave waiting for a group admin's approval (the
// leave_approval switch). Until approved it is not leave: it lives apart
// from Leaves, so no rate, reminder or streak ever sees it.
type Request struct {
	ID    string `json:"id"`
	Chat  int64  `json:"c"` // the village group whose admins decide
	User  int64  `json:"u"`
	Name  string `json:"n"`
	Leave Leave  `json:"l"`
	// Msg is the request's message in Chat, the one with Approve and
	// Reject: the only message whose buttons may decide it.
	Msg int `json:"m"`
	// Origin and OriginMsg are where the member asked (the group, or
	// their private chat): the outcome is told there, as a reply.
	Origin    int64  `json:"o"`
	OriginMsg int    `json:"om"`
	Lang      string `json:"lg,omitempty"` // the member's language there
}
