package chart

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The two panels (the check-in rate by day, problems reported and
// resolved by day) and the day labels under them.

func (r *renderer) drawRatePanel() {
	area := r.top
	hy := r.header(area, r.lab.Rate)
	hasOff := false
	for _, d := range r.days {
		hasOff = hasOff || !d.work
	}
	if hasOff {
		r.legend(area.Max.X, hy, []legendItem{{r.lab.DayOff, func(c *draw.Canvas, b vg.Rectangle) {
			hatch(c, b)
			c.StrokeLines(draw.LineStyle{Color: colOffHatch, Width: 1}, []vg.Point{b.Min, {X: b.Min.X, Y: b.Max.Y}, b.Max, {X: b.Max.X, Y: b.Min.Y}, b.Min})
		}}})
	}

	r.drawOff(area)

	val := r.style(fontBold, sizeValue, colInk, text.XCenter, text.YBottom)
	valH := lineHeight(val)
	y := r.yAxis(area, r.lab.RateAxis, 1, []float64{0, 0.25, 0.5, 0.75, 1},
		func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }, valH+valuePad)

	// Print values horizontally when the widest one fits its column,
	// rotated when only the text height does (month view), else not at all.
	const (
		labelNone = iota
		labelFlat
		labelRotated
	)
	mode := labelNone
	switch widest := val.Width("100.0%"); {
	case widest <= r.slot*0.96:
		mode = labelFlat
	case valH <= r.slot*0.9:
		mode = labelRotated
	}

	// Capped so a one- or two-day chart does not turn into a wall of blue.
	barW := min(r.slot*0.64, 90)
	off := r.style(r.regular, sizeOff, colMuted, text.XCenter, text.YBottom)
	anyRate := false
	for i, d := range r.days {
		cx := r.slotCenter(i)
		if !d.work {
			if off.Width(r.lab.Off) <= r.slot*0.95 {
				r.c.FillText(off, vg.Point{X: cx, Y: area.Min.Y + 4}, r.lab.Off)
			}
			continue
		}
		if math.IsNaN(d.rate) {
			continue
		}
		anyRate = true
		top := y(d.rate)
		// A 0% day still gets a sliver so it reads as "measured, zero"
		// rather than as missing.
		top = max(top, area.Min.Y+1.5)
		fillRect(&r.c, vg.Rectangle{Min: vg.Point{X: cx - barW/2, Y: area.Min.Y}, Max: vg.Point{X: cx + barW/2, Y: top}}, colRate)

		s := fmt.Sprintf("%.1f%%", d.rate*100)
		switch mode {
		case labelFlat:
			r.c.FillText(val, vg.Point{X: cx, Y: top + valuePad}, s)
		case labelRotated:
			rs := val
			rs.Rotation = math.Pi / 2
			rs.YAlign = text.YCenter
			w := val.Width(s)
			if top-area.Min.Y >= w+2*valuePad {
				rs.XAlign = text.XRight
				rs.Color = color.White
				r.c.FillText(rs, vg.Point{X: cx, Y: top - valuePad}, s)
			} else {
				rs.XAlign = text.XLeft
				r.c.FillText(rs, vg.Point{X: cx, Y: top + valuePad}, s)
			}
		}
	}
	hline(&r.c, area.Min.X, area.Max.X, area.Min.Y, colBaseline, 1.5)

	switch {
	case r.n() == 0:
		r.note(area, r.lab.NoData)
	case !anyRate:
		r.note(area, r.lab.NoRate)
	}
}

func (r *renderer) drawCountPanel() {
	area := r.bot
	hy := r.header(area, r.lab.Problems)
	r.legend(area.Max.X, hy, []legendItem{
		{r.lab.Opened, solid(colOpened)},
		{r.lab.Resolved, solid(colResolved)},
	})

	r.drawOff(area)

	cnt := r.style(fontBold, sizeCount, colInk, text.XCenter, text.YBottom)
	cntH := lineHeight(cnt)
	var ticks []float64
	for v := 0; v <= r.countMax; v += r.countStep {
		ticks = append(ticks, float64(v))
	}
	y := r.yAxis(area, r.lab.ProblemsAxis, float64(r.countMax), ticks,
		func(v float64) string { return fmt.Sprint(int(v)) }, cntH+valuePad)

	// The gap inside a pair is much smaller than between days so that in
	// a month view the eye still groups each day's two bars together.
	group := min(r.slot*0.72, 150)
	gap := min(group*0.04, 3)
	barW := (group - gap) / 2
	showCounts := cnt.Width(fmt.Sprint(r.countMax)) <= barW+gap

	for i, d := range r.days {
		cx := r.slotCenter(i)
		for j, b := range [...]struct {
			v   int
			col color.Color
		}{{d.opened, colOpened}, {d.resolved, colResolved}} {
			x0 := cx - group/2 + vg.Length(j)*(barW+gap)
			top := y(float64(b.v))
			if b.v > 0 {
				fillRect(&r.c, vg.Rectangle{Min: vg.Point{X: x0, Y: area.Min.Y}, Max: vg.Point{X: x0 + barW, Y: top}}, b.col)
			}
			if showCounts {
				r.c.FillText(cnt, vg.Point{X: x0 + barW/2, Y: top + valuePad}, fmt.Sprint(b.v))
			}
		}
	}
	hline(&r.c, area.Min.X, area.Max.X, area.Min.Y, colBaseline, 1.5)

	if r.n() == 0 {
		r.note(area, r.lab.NoData)
	}
}

func (r *renderer) drawXLabels() {
	sty := r.style(r.regular, sizeTick, colInk, text.XCenter, text.YTop)
	W := pxToPt(Width)
	for i, d := range r.days {
		if i%r.xLabelStep != 0 {
			continue
		}
		s := sty
		if !d.work {
			s.Color = colMuted
		}
		// Thinned labels are wider than their column; keep the last one
		// from running off the right edge of the image.
		x := min(r.slotCenter(i), W-4-s.Width(r.xLabels[i])/2)
		r.c.FillText(s, vg.Point{X: x, Y: r.bot.Min.Y - gapXLabel}, r.xLabels[i])
	}
}
