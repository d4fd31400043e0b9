package digest

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// Data is what the reports of one period read. For a digest run it holds
// the whole deployment, loaded once for every group; for /stats in one
// group, that group's part. It is read-only once built and safe to share
// between goroutines.
type Data struct {
	Period Period
	// Now is when the figures are taken: open and overdue items are
	// counted as of Now.
	Now time.Time
	// Checkins holds the check-in flags, rosters and leave of village
	// groups over Period (store.CheckinPeriods).
	Checkins map[int64]*attendance.Period
	// Problems are every problem the reports may mention: reported in
	// Period or Period.Prev(), open now, or resolved in Period
	// (store.DigestProblems). Extra problems do no harm.
	Problems []cadrebot.Problem
	// History holds the histories of the problems reported in
	// Period.Prev(), for the trend of the resolution rate; without it the
	// trend is left out.
	History map[int64][]cadrebot.Entry
	// Projects are the village projects the reports may mention (all of
	// the deployment's, or a village's); see projects.go.
	Projects []cadrebot.Project
	// UnitOf names the unit (town) a village group counts under in the
	// leaders' digest; nil counts each project under the town it
	// recorded.
	UnitOf func(village int64) string

	once      sync.Once
	byVillage map[int64][]*cadrebot.Problem
	byDept    map[string][]*cadrebot.Problem

	// The county digest needs every village's and department's figures,
	// which their own digests of the same run computed already.
	mu       sync.Mutex
	villages map[int64]Village
	depts    map[string]Department
	units    map[string]UnitFigures
}

func (d *Data) index() {
	d.once.Do(func() {
		d.byVillage = map[int64][]*cadrebot.Problem{}
		d.byDept = map[string][]*cadrebot.Problem{}
		for i := range d.Problems {
			p := &d.Problems[i]
			d.byVillage[p.VillageChat] = append(d.byVillage[p.VillageChat], p)
			d.byDept[p.Dept] = append(d.byDept[p.Dept], p)
		}
	})
}

// Set is a selection of problems with the figures over it.
type Set []*cadrebot.Problem

// Values copies the problems, for cadrebot.ComputeFigures.
func (s Set) Values() []cadrebot.Problem {
	out := make([]cadrebot.Problem, len(s))
	for i, p := range s {
		out[i] = *p
	}
	return out
}

// IDs lists the problems' numbers in order.
func (s Set) IDs() []int64 {
	out := make([]int64, len(s))
	for i, p := range s {
		out[i] = p.ID
	}
	return out
}

// Figures computes the set's figures at now with the problems' own
// function.
func (s Set) Figures(now time.Time) cadrebot.Figures { return cadrebot.ComputeFigures(s.Values(), now) }

func (s Set) filter(keep func(*cadrebot.Problem) bool) Set {
	var out Set
	for _, p := range s {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

func byID(s Set) Set {
	slices.SortFunc(s, func(a, b *cadrebot.Problem) int { return cmp.Compare(a.ID, b.ID) })
	return s
}

// resolvedIn reports whether p counts as resolved during per: done now
// and resolved (for the last time) within it.
func resolvedIn(p *cadrebot.Problem, per Period) bool {
	return p.Status.Done() && per.Contains(p.ResolvedAt)
}

// cutoff is the end of what a report covers: now, or the end of a past
// period. Open and overdue items are those reported before it that are
// still open now, so the statistics of November do not list a problem
// reported in December.
func (d *Data) cutoff() time.Time {
	if end := d.Period.End(); end.Before(d.Now) {
		return end
	}
	return d.Now
}

// Activity is the problem side of a village, a department or the
// deployment over a period.
type Activity struct {
	Reported Set // reported during the period
	Resolved Set // resolved during the period, whenever reported
	Open     Set // reported before the period's end, not resolved or closed as of Now
	Overdue  Set // of Open, held by a department past the deadline as of Now
	// Fig is over Reported: the period's resolution rate (办结率) is
	// resolved or closed over everything reported in it.
	Fig cadrebot.Figures
	// Prev is the resolution rate of the period before as it stood at
	// its end; HasPrev is false without its history.
	Prev    cadrebot.Figures
	HasPrev bool
}

// activity computes the activity of ps, a village's or department's share
// of d.Problems.
func (d *Data) activity(ps Set) Activity {
	var a Activity
	prev := d.Period.Prev()
	var before Set
	for _, p := range ps {
		switch {
		case d.Period.Contains(p.Created):
			a.Reported = append(a.Reported, p)
		case prev.Contains(p.Created):
			before = append(before, p)
		}
		if resolvedIn(p, d.Period) {
			a.Resolved = append(a.Resolved, p)
		}
		if p.Status.Open() && p.Created.Before(d.cutoff()) {
			a.Open = append(a.Open, p)
			if p.Overdue(d.Now) {
				a.Overdue = append(a.Overdue, p)
			}
		}
	}
	byID(a.Reported)
	byID(a.Resolved)
	byID(a.Open)
	byID(a.Overdue)
	a.Fig = a.Reported.Figures(d.Now)
	if d.History != nil {
		a.Prev, a.HasPrev = asOf(before, d.History, prev.End()), true
	}
	return a
}

// asOf is the figures of ps as they stood at t: each problem takes the
// status its history gave it last before t, so the trend compares with
// what the previous digest said rather than with how the previous week's
// reports fared since.
func asOf(ps Set, hist map[int64][]cadrebot.Entry, t time.Time) cadrebot.Figures {
	then := make([]cadrebot.Problem, 0, len(ps))
	for _, p := range ps {
		q := *p
		for _, e := range hist[p.ID] {
			// Entries are in the order they were written; one stamped
			// after t (a reminder, say) does not end the search, since
			// an import or a replay may append older ones after it.
			if e.To != "" && !e.At.After(t) {
				q.Status = e.To
			}
		}
		then = append(then, q)
	}
	return cadrebot.ComputeFigures(then, t)
}

// Trend compares the resolution rates of a period and the one before:
// +1 up, -1 down, 0 level; ok is false when either has nothing reported.
// It compares the ratios exactly, by cross-multiplying, so it agrees with
// the percentages shown.
func (a Activity) Trend() (dir int, ok bool) {
	if !a.HasPrev || a.Fig.Total == 0 || a.Prev.Total == 0 {
		return 0, false
	}
	l, r := a.Fig.Done*a.Prev.Total, a.Prev.Done*a.Fig.Total
	switch {
	case l > r:
		return 1, true
	case l < r:
		return -1, true
	}
	return 0, true
}

// Village is one village group's figures.
type Village struct {
	Chat  int64
	Name  string
	Rates attendance.GroupRate
	// Roster is false when the group has nobody on its roster.
	Roster bool
	Activity
	period *attendance.Period
}

// Village computes a village group's figures (once per Data).
func (d *Data) Village(chat int64, name string, cal *calendar.Calendar) Village {
	d.mu.Lock()
	v, ok := d.villages[chat]
	d.mu.Unlock()
	if ok {
		v.Name = name
		return v
	}
	v = d.village(chat, name, cal)
	d.mu.Lock()
	if d.villages == nil {
		d.villages = map[int64]Village{}
	}
	d.villages[chat] = v
	d.mu.Unlock()
	return v
}

func (d *Data) village(chat int64, name string, cal *calendar.Calendar) Village {
	d.index()
	v := Village{Chat: chat, Name: name}
	if p := d.Checkins[chat]; p != nil {
		v.Rates = attendance.Rates(cal, p)
		v.Roster, v.period = len(p.Roster) > 0 || len(v.Rates.Members) > 0, p
	} else {
		v.Rates = attendance.Rates(cal, &attendance.Period{Chat: chat, From: d.Period.From, To: d.Period.To})
	}
	v.Activity = d.activity(d.byVillage[chat])
	return v
}

// Department is one department's figures.
type Department struct {
	ID    string
	Queue Set // new, accepted or reopened: waiting on the department
	Activity
	// Work is over Resolved and Queue together: the median time to
	// resolve of what was resolved in the period, and the on-time rate of
	// that and of what sits overdue in the queue.
	Work cadrebot.Figures
}

// Department computes a department's figures (once per Data).
func (d *Data) Department(id string) Department {
	d.mu.Lock()
	dep, ok := d.depts[id]
	d.mu.Unlock()
	if ok {
		return dep
	}
	dep = d.department(id)
	d.mu.Lock()
	if d.depts == nil {
		d.depts = map[string]Department{}
	}
	d.depts[id] = dep
	d.mu.Unlock()
	return dep
}

func (d *Data) department(id string) Department {
	d.index()
	ps := d.byDept[id]
	dep := Department{ID: id, Activity: d.activity(ps)}
	dep.Queue = dep.Open.filter(func(p *cadrebot.Problem) bool { return p.Status.Held() })
	set := append(append(Set{}, dep.Resolved...), dep.Queue...)
	dep.Work = set.Figures(d.Now)
	return dep
}

// OldestOpen is the n open problems reported longest ago.
func (d *Data) OldestOpen(n int) Set {
	var open Set
	for i := range d.Problems {
		if p := &d.Problems[i]; p.Status.Open() && p.Created.Before(d.cutoff()) {
			open = append(open, p)
		}
	}
	sortOldest(open)
	return open[:min(n, len(open))]
}

// Deployment is the whole deployment's activity.
func (d *Data) Deployment() Activity {
	all := make(Set, len(d.Problems))
	for i := range d.Problems {
		all[i] = &d.Problems[i]
	}
	return d.activity(all)
}

// PrevReported lists the problems reported in Period.Prev(), whose
// histories the trend needs.
func PrevReported(ps []cadrebot.Problem, per Period) []int64 {
	prev := per.Prev()
	var ids []int64
	for i := range ps {
		if prev.Contains(ps[i].Created) {
			ids = append(ids, ps[i].ID)
		}
	}
	return ids
}
