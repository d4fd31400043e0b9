package chart

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The renderer: fonts, sizes and the layout of the two panels on the
// canvas, and the drawing primitives they share.

// Colours. Okabe-Ito blue / vermillion / bluish green stay distinct for
// the common colour-vision deficiencies, which a red/green pair would not.
var (
	colInk      = color.RGBA{0x21, 0x21, 0x21, 0xff}
	colMuted    = color.RGBA{0x6b, 0x6b, 0x6b, 0xff}
	colGrid     = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	colBaseline = color.RGBA{0x8a, 0x8a, 0x8a, 0xff}
	colRate     = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	colOpened   = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	colResolved = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	colOffFill  = color.RGBA{0xf2, 0xf2, 0xf2, 0xff}
	colOffHatch = color.RGBA{0xd2, 0xd2, 0xd2, 0xff}
)

// Sizes in points (1pt = 4/3 px at 96 DPI).
const (
	sizeTitle     = 26
	sizeHeader    = 19
	sizeTick      = 17
	sizeAxisTitle = 16
	sizeValue     = 16
	sizeCount     = 15
	sizeNote      = 20
	sizeOff       = 14
)

// Layout constants in points; the canvas is 900 x 600 pt.
const (
	marginL      = 14
	marginR      = 18
	marginT      = 12
	marginB      = 10
	gapTitle     = 12
	gapHeader    = 8
	gapPanels    = 22
	gapTickLabel = 8
	gapXLabel    = 6
	valuePad     = 4
	maxLabelRune = 64
)

// maxCount caps problem counts so axis arithmetic cannot overflow; no
// village has a trillion problems a day.
const maxCount = 1e12

// style is a text style drawn with the chart's own fonts.
func (r *renderer) style(f font.Font, size vg.Length, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  xa,
		YAlign:  ya,
		Handler: r.fs.handler,
	}
}

// lineHeight is the height of one line of text including descenders.
func lineHeight(sty text.Style) vg.Length {
	e := sty.FontExtents()
	return e.Ascent + e.Descent
}

type day struct {
	label            string
	work             bool
	rate             float64 // NaN when nothing should be drawn
	opened, resolved int
}

type renderer struct {
	c     draw.Canvas
	fs    *fontSet
	title string
	lab   Labels
	days  []day

	// regular and bold draw words (title, labels); numbers are always
	// drawn in fontRegular and fontBold.
	regular, bold font.Font

	plotL, plotR vg.Length
	slot         vg.Length
	top, bot     vg.Rectangle // data areas of the two panels

	countMax, countStep int

	xLabels    []string // per day, possibly split over two lines
	xLabelStep int
}

func newRenderer(c draw.Canvas, fs *fontSet, in Input) *renderer {
	r := &renderer{c: c, fs: fs, lab: in.Labels.orEnglish()}
	l := &r.lab
	words := []*string{&in.Title, &l.Rate, &l.RateAxis, &l.Problems, &l.ProblemsAxis,
		&l.Opened, &l.Resolved, &l.DayOff, &l.Off, &l.NoData, &l.NoRate}
	texts := make([]string, 0, len(words)+len(in.Days))
	for _, w := range words {
		texts = append(texts, *w)
	}
	for _, d := range in.Days {
		texts = append(texts, d.Label)
	}
	r.regular, r.bold = fontRegular, fontBold
	face := fs.latin
	if fs.needsCJK(texts...) {
		r.regular, r.bold = cjkRegular, cjkBold
		face = fs.cjk
	}
	for _, w := range words[1:] {
		*w = sanitize(face, *w)
	}
	r.title = sanitize(face, in.Title)

	r.days = make([]day, len(in.Days))
	for i, d := range in.Days {
		rate := math.NaN()
		if d.Workday && !math.IsNaN(d.Rate) && !math.IsInf(d.Rate, 0) {
			rate = math.Min(1, math.Max(0, d.Rate))
		}
		r.days[i] = day{
			label:    sanitize(face, d.Label),
			work:     d.Workday,
			rate:     rate,
			opened:   min(max(0, d.Opened), maxCount),
			resolved: min(max(0, d.Resolved), maxCount),
		}
	}
	r.layout()
	return r
}

func (r *renderer) n() int { return len(r.days) }

func (r *renderer) layout() {
	W, H := pxToPt(Width), pxToPt(Height)

	highest := 0
	for _, d := range r.days {
		highest = max(highest, d.opened, d.resolved)
	}
	r.countMax, r.countStep = countScale(highest)

	tick := r.style(fontRegular, sizeTick, colInk, text.XRight, text.YCenter)
	tickW := tick.Width("100%")
	for v := 0; v <= r.countMax; v += r.countStep {
		tickW = max(tickW, tick.Width(fmt.Sprint(v)))
	}
	axisTitleH := lineHeight(r.style(r.regular, sizeAxisTitle, colInk, 0, 0))
	r.plotL = marginL + axisTitleH + gapTickLabel + tickW + gapTickLabel
	r.plotR = W - marginR
	r.slot = (r.plotR - r.plotL) / vg.Length(max(r.n(), 1))

	xLabelH := r.layoutXLabels()

	y := H - marginT
	if r.title != "" {
		y -= lineHeight(r.style(r.bold, sizeTitle, colInk, 0, 0)) + gapTitle
	}
	headerH := lineHeight(r.style(r.bold, sizeHeader, colInk, 0, 0)) + gapHeader
	y -= headerH
	bottom := marginB + xLabelH + gapXLabel
	panelH := (y - bottom - gapPanels - headerH) / 2

	r.top = vg.Rectangle{Min: vg.Point{X: r.plotL, Y: y - panelH}, Max: vg.Point{X: r.plotR, Y: y}}
	r.bot = vg.Rectangle{Min: vg.Point{X: r.plotL, Y: bottom}, Max: vg.Point{X: r.plotR, Y: bottom + panelH}}
}

// layoutXLabels picks one- or two-line day labels and how many to skip
// so neighbours never overlap, and returns the height they need.
func (r *renderer) layoutXLabels() vg.Length {
	sty := r.style(r.regular, sizeTick, colInk, text.XCenter, text.YTop)
	gap := sty.Width("  ")
	one := make([]string, r.n())
	two := make([]string, r.n())
	var wOne, wTwo vg.Length
	for i, d := range r.days {
		// One over-long label must not force thinning of all the others.
		one[i] = fit(sty, d.label, max(r.slot-gap, 100))
		two[i] = splitMiddle(one[i])
		wOne = max(wOne, sty.Width(one[i]))
		wTwo = max(wTwo, sty.Width(two[i]))
	}
	step := func(w vg.Length) int {
		if w == 0 {
			return 1
		}
		return max(1, int(math.Ceil(float64((w+gap)/r.slot))))
	}
	sOne, sTwo := step(wOne), step(wTwo)
	// Two lines cost vertical space, so only use them when they show more
	// days than one line would.
	if sTwo < sOne {
		r.xLabels, r.xLabelStep = two, sTwo
		return sty.Height("a\nb")
	}
	r.xLabels, r.xLabelStep = one, sOne
	return lineHeight(sty)
}

// countScale returns the top of the problem-count axis and its tick step.
// The axis never goes below 4 so that one or two problems do not fill the
// whole panel and look alarming.
func countScale(highest int) (top, step int) {
	highest = max(highest, 4)
	for mag := 1; ; mag *= 10 {
		for _, m := range []int{1, 2, 5} {
			step = m * mag
			if top = (highest + step - 1) / step * step; top/step <= 5 {
				return top, step
			}
		}
	}
}

func (r *renderer) draw() {
	c := &r.c
	if r.title != "" {
		sty := r.style(r.bold, sizeTitle, colInk, text.XLeft, text.YTop)
		t := fit(sty, r.title, pxToPt(Width)-marginL-marginR)
		c.FillText(sty, vg.Point{X: marginL, Y: pxToPt(Height) - marginT}, t)
	}
	r.drawRatePanel()
	r.drawCountPanel()
	r.drawXLabels()
}

func (r *renderer) slotCenter(i int) vg.Length {
	return r.plotL + (vg.Length(i)+0.5)*r.slot
}

// header draws the panel title flush with the image's left margin and
// returns the baseline-ish y where legends go.
func (r *renderer) header(area vg.Rectangle, title string) vg.Length {
	sty := r.style(r.bold, sizeHeader, colInk, text.XLeft, text.YBottom)
	y := area.Max.Y + gapHeader
	r.c.FillText(sty, vg.Point{X: marginL, Y: y}, title)
	return y
}

// legend draws swatch+label pairs right-aligned at x=right.
func (r *renderer) legend(right, y vg.Length, items []legendItem) {
	sty := r.style(r.regular, sizeTick, colInk, text.XLeft, text.YBottom)
	sw := vg.Length(sizeTick) * 0.8
	gap := vg.Length(6)
	space := vg.Length(20)
	var total vg.Length
	for i, it := range items {
		if i > 0 {
			total += space
		}
		total += sw + gap + sty.Width(it.label)
	}
	x := right - total
	asc := sty.FontExtents().Ascent
	// Centre the swatch on the x-height of the text next to it.
	swY := y + asc*0.45 - sw/2
	for _, it := range items {
		box := vg.Rectangle{Min: vg.Point{X: x, Y: swY}, Max: vg.Point{X: x + sw, Y: swY + sw}}
		it.swatch(&r.c, box)
		x += sw + gap
		r.c.FillText(sty, vg.Point{X: x, Y: y}, it.label)
		x += sty.Width(it.label) + space
	}
}

type legendItem struct {
	label  string
	swatch func(c *draw.Canvas, box vg.Rectangle)
}

func solid(col color.Color) func(*draw.Canvas, vg.Rectangle) {
	return func(c *draw.Canvas, box vg.Rectangle) { fillRect(c, box, col) }
}

func fillRect(c *draw.Canvas, box vg.Rectangle, col color.Color) {
	c.SetColor(col)
	c.Fill(box.Path())
}

func hline(c *draw.Canvas, x0, x1, y vg.Length, col color.Color, w vg.Length) {
	c.StrokeLine2(draw.LineStyle{Color: col, Width: w}, x0, y, x1, y)
}

// drawOff paints non-workday columns of area as hatched grey bands, so an
// off day reads as "no data expected" rather than as a low value.
func (r *renderer) drawOff(area vg.Rectangle) {
	for i, d := range r.days {
		if d.work {
			continue
		}
		x0 := r.plotL + vg.Length(i)*r.slot
		band := vg.Rectangle{Min: vg.Point{X: x0, Y: area.Min.Y}, Max: vg.Point{X: x0 + r.slot, Y: area.Max.Y}}
		hatch(&r.c, band)
	}
}

func hatch(c *draw.Canvas, band vg.Rectangle) {
	if cv, ok := c.Canvas.(*canvas); ok && cv.hatch(band) {
		return
	}
	// The same pattern as vectors, for any other canvas.
	fillRect(c, band, colOffFill)
	clip := draw.Canvas{Canvas: c.Canvas, Rectangle: band}
	// Stripes start on multiples of spacing, not at the band's edge, so
	// adjacent off days (a weekend) form one continuous pattern instead of
	// visibly restarting per column.
	const spacing = 9
	h := band.Max.Y - band.Min.Y
	start := vg.Length(math.Floor(float64((band.Min.X-h)/spacing))) * spacing
	var lines [][]vg.Point
	for x := start; x <= band.Max.X; x += spacing {
		lines = append(lines, []vg.Point{{X: x, Y: band.Min.Y}, {X: x + h, Y: band.Max.Y}})
	}
	clip.StrokeLines(draw.LineStyle{Color: colOffHatch, Width: 1}, clip.ClipLinesXY(lines...)...)
}

// note prints a centred message (e.g. "no data") on a white plate so it
// stays readable over hatching.
func (r *renderer) note(area vg.Rectangle, msg string) {
	sty := r.style(r.regular, sizeNote, colMuted, text.XCenter, text.YCenter)
	ctr := vg.Point{X: (area.Min.X + area.Max.X) / 2, Y: (area.Min.Y + area.Max.Y) / 2}
	w, h := sty.Width(msg)+24, lineHeight(sty)+12
	fillRect(&r.c, vg.Rectangle{Min: vg.Point{X: ctr.X - w/2, Y: ctr.Y - h/2}, Max: vg.Point{X: ctr.X + w/2, Y: ctr.Y + h/2}}, color.White)
	r.c.FillText(sty, ctr, msg)
}

// yAxis draws horizontal grid lines with tick labels and the rotated axis
// title, and returns the value-to-y mapping for area. headroom keeps the
// top tick below the panel top so labels above a full bar fit.
func (r *renderer) yAxis(area vg.Rectangle, title string, top float64, ticks []float64, label func(float64) string, headroom vg.Length) func(float64) vg.Length {
	h := area.Max.Y - area.Min.Y - headroom
	y := func(v float64) vg.Length { return area.Min.Y + vg.Length(v/top)*h }
	tick := r.style(fontRegular, sizeTick, colInk, text.XRight, text.YCenter)
	for _, v := range ticks {
		if v != 0 {
			hline(&r.c, area.Min.X, area.Max.X, y(v), colGrid, 1)
		}
		r.c.FillText(tick, vg.Point{X: area.Min.X - gapTickLabel, Y: y(v)}, label(v))
	}
	at := r.style(r.regular, sizeAxisTitle, colMuted, text.XCenter, text.YCenter)
	pt := vg.Point{X: marginL + lineHeight(at)/2, Y: area.Min.Y + h/2}
	// Chinese is set upright in a column, as Chinese charts do; anything
	// else, or a column taller than the panel, is turned a quarter.
	if col := stack(title); col != "" && at.Height(col) <= h {
		r.c.FillText(at, pt, col)
		return y
	}
	at.Rotation = math.Pi / 2
	r.c.FillText(at, pt, title)
	return y
}
