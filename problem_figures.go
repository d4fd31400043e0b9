package cadrebot

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Figures are the headline numbers of a set of problems: the resolution
// rate (办结率), the on-time rate and how long resolution takes. Digests
// compute them per village group, per department and for the deployment.
type Figures struct {
	Total   int // problems in the set
	Done    int // resolved or closed: the numerator of the resolution rate
	Open    int // not resolved or closed
	Overdue int // held by a department past its deadline at the time asked

	// OnTime of OnTimeOf problems whose timeliness is known were resolved
	// by their deadline. Known means resolved, or still unresolved after
	// the deadline: sitting on an overdue item counts against the rate at
	// once instead of only when it is finally resolved.
	OnTime, OnTimeOf int

	// Resolved problems (with a resolution time) and the mean and median
	// time from report to their latest resolution.
	Resolved    int
	MeanToFix   time.Duration
	MedianToFix time.Duration

	// Rated problems have a reporter's rating; Satisfied of them are
	// rated satisfied or basically satisfied (满意 + 基本满意), the
	// numerator of the satisfaction rate (满意率). Unsatisfied counts
	// the rest.
	Rated, Satisfied, Unsatisfied int
}

// ComputeFigures computes the figures of ps at now. Withdrawn reports
// (closed without a resolution) count as done, as the resolution rate is
// defined as resolved or closed over all; they have no time to resolve.
// Timeliness is judged against the current deadline, which a
// reassignment or a reopening restarts; time to resolve runs from the
// report to the latest resolution.
func ComputeFigures(ps []Problem, now time.Time) Figures {
	var f Figures
	var fix []time.Duration
	for i := range ps {
		p := &ps[i]
		f.Total++
		if p.Status.Done() {
			f.Done++
		} else {
			f.Open++
		}
		if p.Overdue(now) {
			f.Overdue++
		}
		switch {
		case !p.ResolvedAt.IsZero() && p.Status.Done():
			fix = append(fix, p.ResolvedAt.Sub(p.Created))
			f.OnTimeOf++
			if p.Due.IsZero() || !p.ResolvedAt.After(p.Due) {
				f.OnTime++
			}
		case p.Status.Open() && !p.Due.IsZero() && now.After(p.Due):
			f.OnTimeOf++
		}
		if p.Rating.Valid() {
			f.Rated++
			if p.Rating.Satisfied() {
				f.Satisfied++
			} else {
				f.Unsatisfied++
			}
		}
	}
	f.Resolved = len(fix)
	if len(fix) > 0 {
		var sum time.Duration
		for _, d := range fix {
			sum += d
		}
		f.MeanToFix = sum / time.Duration(len(fix))
		slices.Sort(fix)
		if n := len(fix); n%2 == 1 {
			f.MedianToFix = fix[n/2]
		} else {
			f.MedianToFix = (fix[n/2-1] + fix[n/2]) / 2
		}
	}
	return f
}

// FiguresBy computes figures per key, for example per village chat or
// per department.
func FiguresBy[K comparable](ps []Problem, now time.Time, key func(*Problem) K) map[K]Figures {
	groups := map[K][]Problem{}
	for i := range ps {
		k := key(&ps[i])
		groups[k] = append(groups[k], ps[i])
	}
	out := make(map[K]Figures, len(groups))
	for k, g := range groups {
		out[k] = ComputeFigures(g, now)
	}
	return out
}

// CreatedIn keeps the problems reported in [from, to): the set whose
// resolution rate a period reports.
func CreatedIn(ps []Problem, from, to time.Time) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Created.Before(from) && p.Created.Before(to) {
			out = append(out, p)
		}
	}
	return out
}

// ResolutionRate is Done over Total as Percent shows it.
func (f Figures) ResolutionRate() string { return Percent(f.Done, f.Total) }

// OnTimeRate is OnTime over OnTimeOf as Percent shows it.
func (f Figures) OnTimeRate() string { return Percent(f.OnTime, f.OnTimeOf) }

// SatisfactionRate (满意率) is Satisfied over Rated as Percent shows it:
// satisfied and basically satisfied over every rated problem of the set.
// A problem nobody rated counts neither way, as a 12345 hotline counts
// only the callers it reached.
func (f Figures) SatisfactionRate() string { return Percent(f.Satisfied, f.Rated) }

// NoFigure is shown instead of a rate over nothing.
const NoFigure = "—"

// Percent formats num/den with one decimal, as in "98.9%". A rate over
// nothing is NoFigure, never NaN. Rounding never reaches "100.0%" unless
// every item counts, nor "0.0%" unless none does: 9,999 of 10,000 shows
// as "99.9%", because a coordinator reads 100% as "all of them".
func Percent(num, den int) string {
	if den <= 0 {
		return NoFigure
	}
	v := math.Round(float64(num)*1000/float64(den)) / 10
	switch {
	case v >= 100 && num < den:
		v = 99.9
	case v <= 0 && num > 0:
		v = 0.1
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}
