package digest

import (
	"cmp"
	"slices"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/units"
)

// UnitFigures are the figures of a unit of the hierarchy over a period:
// those of its villages, each computed once with Data.Village, summed. The
// check-in rate is every cadre's present days over every cadre's expected
// days (as a village's is over its members), so a big village weighs more
// than a small one; problem figures are over the problems of its
// villages. Digests, /stats, exports and the leaders' dashboard all take
// a unit's figures from here.
type UnitFigures struct {
	Unit *units.Unit
	// Villages are every village of the unit's subtree.
	Villages []Village
	// Rates sums the villages' rates: Present, Expected and the per-day
	// counts (for the chart); Workdays is the period's. Members is nil.
	Rates attendance.GroupRate
	// Cadres counts the cadres with days of service in the period.
	Cadres int
	Activity
}

// Unit computes the figures of unit id ("" is the whole deployment) of
// tree t, once per Data: every call on one Data must pass the same tree.
// The root's problems are every problem of the deployment, also those of
// groups that are no longer villages.
func (d *Data) Unit(t *units.Tree, id string, cal *calendar.Calendar) UnitFigures {
	d.mu.Lock()
	f, ok := d.units[id]
	d.mu.Unlock()
	if ok {
		return f
	}
	f = d.unit(t, id, cal)
	d.mu.Lock()
	if d.units == nil {
		d.units = map[string]UnitFigures{}
	}
	d.units[id] = f
	d.mu.Unlock()
	return f
}

func (d *Data) unit(t *units.Tree, id string, cal *calendar.Calendar) UnitFigures {
	d.index()
	f := UnitFigures{Unit: t.Unit(id)}
	f.Rates = attendance.GroupRate{From: d.Period.From, To: d.Period.To, Days: make([]attendance.DayRate, d.Period.Days())}
	for i := range f.Rates.Days {
		day := d.Period.From.AddDays(i)
		f.Rates.Days[i] = attendance.DayRate{Date: day, Workday: cal.IsWorkday(day)}
		if f.Rates.Days[i].Workday {
			f.Rates.Workdays++
		}
	}
	var ps Set
	for _, ref := range t.Villages(id) {
		v := d.Village(ref.Chat, ref.Name, cal)
		f.Villages = append(f.Villages, v)
		f.Rates.Present += v.Rates.Present
		f.Rates.Expected += v.Rates.Expected
		f.Cadres += len(v.Rates.Members)
		for j, day := range v.Rates.Days {
			if j < len(f.Rates.Days) {
				f.Rates.Days[j].Present += day.Present
				f.Rates.Days[j].Expected += day.Expected
			}
		}
		if id != "" {
			ps = append(ps, d.byVillage[ref.Chat]...)
		}
	}
	if id == "" {
		ps = make(Set, len(d.Problems))
		for i := range d.Problems {
			ps[i] = &d.Problems[i]
		}
	}
	f.Activity = d.activity(ps)
	return f
}

// Children computes the figures of the units directly below id.
func (d *Data) Children(t *units.Tree, id string, cal *calendar.Calendar) []UnitFigures {
	cs := t.Children(id)
	out := make([]UnitFigures, len(cs))
	for i, c := range cs {
		out[i] = d.Unit(t, c.ID, cal)
	}
	return out
}

// OldestOpenIn is the n open problems of unit id's villages reported
// longest ago ("" is the whole deployment).
func (d *Data) OldestOpenIn(t *units.Tree, id string, n int) Set {
	if id == "" {
		return d.OldestOpen(n)
	}
	var open Set
	for i := range d.Problems {
		p := &d.Problems[i]
		if p.Status.Open() && p.Created.Before(d.cutoff()) && t.Contains(id, p.VillageChat) {
			open = append(open, p)
		}
	}
	sortOldest(open)
	return open[:min(n, len(open))]
}

func sortOldest(s Set) {
	slices.SortFunc(s, func(a, b *cadrebot.Problem) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// RankUnits orders units by check-in rate, highest first, then by
// resolution rate; units without a rate go last, then by name.
func RankUnits(us []UnitFigures) []UnitFigures {
	out := slices.Clone(us)
	slices.SortStableFunc(out, func(a, b UnitFigures) int {
		if c := cmpRatio(b.Rates.Present, b.Rates.Expected, a.Rates.Present, a.Rates.Expected); c != 0 {
			return c
		}
		return cmpRatio(b.Fig.Done, b.Fig.Total, a.Fig.Done, a.Fig.Total)
	})
	return out
}

// RankVillages orders villages by check-in rate, highest first, then by
// resolution rate; villages without a rate go last, then by name.
func RankVillages(vs []Village) []Village { return rankVillages(vs) }
