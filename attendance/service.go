package attendance

import (
	"slices"

	"cadrebot"
	"cadrebot/calendar"
)

// Service is one period of a cadre's service in a village: from the day
// they joined (/join, being added to the group, a hand-over) to the day
// they left (leaving the group, an admin's removal, a hand-over), with
// the batch (批次) they came with, the unit that sent them (派出单位) and
// their title (驻村指导员, 第一书记). A cadre who comes back gets a new
// period; the old ones stay, so the records show who served when.
//
// Rates count a cadre only on the days of their periods: a day before
// they joined or after they left is nobody's absence.
type Service struct {
	// From is the first day of service; zero means "since before the bot
	// kept periods" and covers every earlier day.
	From calendar.Date
	// To is the last day of service, zero while serving. A period that
	// ended before it began (joined and left the same day without
	// checking in) covers no day at all.
	To    calendar.Date
	Batch string // 批次, as given: "第19批"
	Home  string // 派出单位
	Title string // 驻村指导员, 第一书记; "" for the deployment's default
	// Ended says why the period ended: EndLeft, EndRemoved or
	// EndHandover; "" while serving.
	Ended string
}

// Why a period ended.
const (
	EndLeft     = "left"     // the cadre left the group
	EndRemoved  = "removed"  // an admin removed them
	EndHandover = "handover" // /handover passed the post to a successor
)

// Serving reports whether the period is still open.
func (s Service) Serving() bool { return s.To.IsZero() }

// Covers reports whether d is a day of the period.
func (s Service) Covers(d calendar.Date) bool {
	if !s.From.IsZero() && d.Before(s.From) {
		return false
	}
	return s.To.IsZero() || !d.After(s.To)
}

// Overlaps reports whether the period has a day in [from, to].
func (s Service) Overlaps(from, to calendar.Date) bool {
	if !s.To.IsZero() && s.To.Before(s.From) {
		return false // empty
	}
	if !s.To.IsZero() && s.To.Before(from) {
		return false
	}
	return s.From.IsZero() || !s.From.After(to)
}

// Clip is the part of [from, to] the period covers; ok is false when it
// covers none of it.
func (s Service) Clip(from, to calendar.Date) (calendar.Date, calendar.Date, bool) {
	if !s.Overlaps(from, to) {
		return from, to, false
	}
	if !s.From.IsZero() && s.From.After(from) {
		from = s.From
	}
	if !s.To.IsZero() && s.To.Before(to) {
		to = s.To
	}
	return from, to, !to.Before(from)
}

// Services are one cadre's periods in one group, oldest first.
type Services []Service

// Covers reports whether any period covers d.
func (ss Services) Covers(d calendar.Date) bool {
	for _, s := range ss {
		if s.Covers(d) {
			return true
		}
	}
	return false
}

// Overlaps reports whether any period has a day in [from, to].
func (ss Services) Overlaps(from, to calendar.Date) bool {
	for _, s := range ss {
		if s.Overlaps(from, to) {
			return true
		}
	}
	return false
}

// Current is the open period, if there is one.
func (ss Services) Current() (Service, bool) {
	if n := len(ss); n > 0 && ss[n-1].Serving() {
		return ss[n-1], true
	}
	return Service{}, false
}

// Cadre is a member of a village group with their periods of service:
// someone on the roster now, or someone who served and left.
type Cadre struct {
	cadrebot.Member
	Services Services
	// OnRoster is false for someone who left the group.
	OnRoster bool
}

// Served returns m's periods of service in the group. A member on the
// roster without any (a roster kept before service periods were) has
// one, from the group's creation on: that is when the bot started to
// expect their check-ins.
func (p *Period) Served(m cadrebot.Member) Services {
	if ss := p.Service[m.UserID]; len(ss) > 0 {
		return ss
	}
	return Services{{From: p.Created}}
}

// Cadres lists everyone who served in the group during [From, To]: the
// roster in roster order, then former members whose service overlaps the
// period, by roster index. Their rows and rates come from the same
// bitmaps: a member's index is kept when they leave.
func (p *Period) Cadres() []Cadre {
	out := make([]Cadre, 0, len(p.Roster)+len(p.Former))
	for _, m := range p.Roster {
		ss := p.Served(m)
		if ss.Overlaps(p.From, p.To) {
			out = append(out, Cadre{Member: m, Services: ss, OnRoster: true})
		}
	}
	former := slices.Clone(p.Former)
	slices.SortFunc(former, func(a, b cadrebot.Member) int { return a.Index - b.Index })
	for _, m := range former {
		if ss := p.Service[m.UserID]; ss.Overlaps(p.From, p.To) {
			out = append(out, Cadre{Member: m, Services: ss})
		}
	}
	return out
}

// Everyone lists everyone the group has service records of, whatever the
// period: the roster and former members (for /roster all and exports).
func (p *Period) Everyone() []Cadre {
	out := make([]Cadre, 0, len(p.Roster)+len(p.Former))
	for _, m := range p.Roster {
		out = append(out, Cadre{Member: m, Services: p.Served(m), OnRoster: true})
	}
	former := slices.Clone(p.Former)
	slices.SortFunc(former, func(a, b cadrebot.Member) int { return a.Index - b.Index })
	for _, m := range former {
		if ss := p.Service[m.UserID]; len(ss) > 0 {
			out = append(out, Cadre{Member: m, Services: ss})
		}
	}
	return out
}
