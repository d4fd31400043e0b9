package cadrebot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercent(t *testing.T) {
	tests := []struct {
		num, den int
		want     string
	}{
		{0, 0, "—"},
		{5, 0, "—"},
		{0, 10, "0.0%"},
		{10, 10, "100.0%"},
		{989, 1000, "98.9%"},
		{61318, 62000, "98.9%"},
		{1, 3, "33.3%"},
		{2, 3, "66.7%"},
		{9999, 10000, "99.9%"},
		{1, 100000, "0.1%"},
	}
	for _, tt := range tests {
		if got := Percent(tt.num, tt.den); got != tt.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestComputeFigures(t *testing.T) {
	h := time.Hour
	mk := func(st Status, created, due, resolved time.Duration) Problem {
		p := Problem{Status: st, Created: t0.Add(created), Due: t0.Add(due), SLA: due - created}
		if resolved > 0 {
			p.ResolvedAt = t0.Add(resolved)
		}
		return p
	}
	ps := []Problem{
		mk(StatusClosed, 0, 72*h, 10*h),                          // on time, 10h
		mk(StatusResolved, 0, 72*h, 100*h),                       // late, 100h
		mk(StatusClosed, 0, 72*h, 20*h),                          // on time, 20h
		mk(StatusAccepted, 0, 72*h, 0),                           // overdue at now
		mk(StatusNew, 90*h, 162*h, 0),                            // not yet due
		{Status: StatusClosed, Created: t0, Due: t0.Add(72 * h)}, // withdrawn
	}
	now := t0.Add(120 * h)
	got := ComputeFigures(ps, now)
	want := Figures{Total: 6, Done: 4, Open: 2, Overdue: 1, OnTime: 2, OnTimeOf: 4, Resolved: 3,
		MeanToFix: 130 * h / 3, MedianToFix: 20 * h}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ComputeFigures mismatch (-want +got):\n%s", diff)
	}
	if got.ResolutionRate() != "66.7%" || got.OnTimeRate() != "50.0%" {
		t.Errorf("rates %s %s, want 66.7%% 50.0%%", got.ResolutionRate(), got.OnTimeRate())
	}
	if z := ComputeFigures(nil, now); z.ResolutionRate() != NoFigure || z.OnTimeRate() != NoFigure || z.MeanToFix != 0 {
		t.Errorf("figures of nothing = %+v", z)
	}
	even := ComputeFigures(ps[:2], now)
	if even.MedianToFix != 55*h {
		t.Errorf("median of two = %v, want 55h", even.MedianToFix)
	}
}

func TestFiguresByAndPeriod(t *testing.T) {
	ps := []Problem{
		{VillageChat: -1, Dept: "a", Status: StatusClosed, Created: t0},
		{VillageChat: -1, Dept: "b", Status: StatusNew, Created: t0.Add(time.Hour)},
		{VillageChat: -2, Dept: "a", Status: StatusResolved, Created: t0.Add(48 * time.Hour)},
	}
	byV := FiguresBy(ps, t0, func(p *Problem) int64 { return p.VillageChat })
	if byV[-1].Total != 2 || byV[-1].Done != 1 || byV[-2].ResolutionRate() != "100.0%" {
		t.Errorf("FiguresBy village = %+v", byV)
	}
	byD := FiguresBy(ps, t0, func(p *Problem) string { return p.Dept })
	if byD["a"].ResolutionRate() != "100.0%" || byD["b"].ResolutionRate() != "0.0%" {
		t.Errorf("FiguresBy dept = %+v", byD)
	}
	if got := CreatedIn(ps, t0, t0.Add(24*time.Hour)); len(got) != 2 {
		t.Errorf("CreatedIn first day = %d problems, want 2", len(got))
	}
}
