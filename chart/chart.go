// Package chart renders the PNG picture attached to the periodic digests:
// the daily check-in rate on top and problems opened vs resolved below,
// sharing one day axis so a column reads as one day.
//
// # Text and fonts
//
// The caller passes every word in the reader's language: Input.Title,
// Day.Label and Input.Labels (the panel headers, axis titles, legend and
// notes; an empty field falls back to English). Numbers are drawn in
// Liberation Sans, bundled with gonum.org/v1/plot. When any word needs a
// glyph Liberation lacks, all the words of that chart are drawn in the
// embedded subset of WenQuanYi Micro Hei (fonts/README.md), which covers
// GB 2312, the 8,105 hanzi of 通用规范汉字表 and CJK punctuation, so
// Chinese labels and village names render the same in any container; it
// has no bold face, so bold Chinese is emboldened synthetically. A rune
// the chosen font cannot draw (an emoji, a rare hanzi) is replaced by '?',
// so a caller mistake shows up as visible question marks instead of blank
// boxes, and never as an error.
//
// # Look
//
// The image is Width x Height pixels and is meant to be read on a phone in
// Telegram, so the type is large (tick labels 17pt at 96 DPI), the
// background is white and the three series use colour-blind-safe
// Okabe-Ito colours. Non-workdays are drawn as hatched grey columns and
// never as 0%; a workday whose Rate is NaN (nobody expected) is left
// blank. Day labels are thinned out (every 2nd, 3rd, ... day) when they do
// not fit, as in a 31-day month view. The PNG is 4-bit paletted (see
// palette): a week's chart is about 20 KB.
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

// Width and Height are the size of the rendered PNG in pixels.
const (
	Width  = 1200
	Height = 800
)

// MaxDays bounds len(Input.Days). Beyond a year the columns become
// sub-pixel wide and the chart is useless, which almost certainly means the
// caller passed the wrong range; failing loudly beats sending noise.
const MaxDays = 366

// Day is one column of the chart.
type Day struct {
	// Label is printed under the column, e.g. "Mon 11-23" or "周一 11-23";
	// a label with a space may be broken there onto two lines.
	Label string
	// Workday false draws the column as a hatched "off" day; Rate is then
	// ignored.
	Workday bool
	// Rate is the check-in rate in [0, 1]. NaN (nobody was expected) draws
	// nothing; ±Inf is treated like NaN and other values are clamped.
	Rate float64
	// Opened and Resolved are problem counts for the day; negative values
	// are drawn as 0.
	Opened   int
	Resolved int
}

// Labels are the fixed words of a chart, in the reader's language. An
// empty field is drawn as in EnglishLabels.
type Labels struct {
	Rate         string // header of the check-in panel: "Check-in rate"
	RateAxis     string // its vertical axis: "check-in %"
	Problems     string // header of the problems panel: "Problems"
	ProblemsAxis string // its vertical axis: "problems"
	Opened       string // legend of the opened bars: "opened"
	Resolved     string // legend of the resolved bars: "resolved"
	DayOff       string // legend of the hatching: "day off"
	Off          string // under a non-workday's column: "off"
	NoData       string // a chart of zero days: "no data"
	NoRate       string // a check-in panel without any rate: "no check-in data"
}

// EnglishLabels are the words of a chart whose caller passes none.
var EnglishLabels = Labels{
	Rate:         "Check-in rate",
	RateAxis:     "check-in %",
	Problems:     "Problems",
	ProblemsAxis: "problems",
	Opened:       "opened",
	Resolved:     "resolved",
	DayOff:       "day off",
	Off:          "off",
	NoData:       "no data",
	NoRate:       "no check-in data",
}

// orEnglish fills the empty fields of l from EnglishLabels.
func (l Labels) orEnglish() Labels {
	for _, f := range []struct {
		p  *string
		en string
	}{
		{&l.Rate, EnglishLabels.Rate}, {&l.RateAxis, EnglishLabels.RateAxis},
		{&l.Problems, EnglishLabels.Problems}, {&l.ProblemsAxis, EnglishLabels.ProblemsAxis},
		{&l.Opened, EnglishLabels.Opened}, {&l.Resolved, EnglishLabels.Resolved},
		{&l.DayOff, EnglishLabels.DayOff}, {&l.Off, EnglishLabels.Off},
		{&l.NoData, EnglishLabels.NoData}, {&l.NoRate, EnglishLabels.NoRate},
	} {
		if *f.p == "" {
			*f.p = f.en
		}
	}
	return l
}

// Input is everything Render needs.
type Input struct {
	// Title is printed at the top, e.g. "2026-W48  2026-11-23 to
	// 2026-11-29" or "2026年第48周 11月23日–29日"; empty leaves more room for
	// the panels.
	Title string
	// Days are drawn left to right in the given order. Zero days renders a
	// "no data" chart.
	Days []Day
	// Labels are the chart's other words.
	Labels Labels
}

// dpi is chosen so that Width x Height pixels is a whole number of points
// (900 x 600), which keeps vgimg from rounding the canvas size.
const dpi = 96

func pxToPt(px int) vg.Length { return vg.Length(px) * vg.Inch / dpi }

// Render draws the chart and returns it PNG-encoded. It is safe for
// concurrent use. Bad values (NaN, Inf, negative counts, text the fonts
// cannot draw) are drawn sensibly rather than reported; the only errors
// are too many days and an internal failure of the drawing library.
func Render(in Input) (out []byte, err error) {
	if len(in.Days) > MaxDays {
		return nil, fmt.Errorf("chart: %d days, at most %d supported", len(in.Days), MaxDays)
	}
	fs, err := fonts()
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	// gonum/plot reports some internal failures (e.g. font metrics) by
	// panicking; a digest job must get an error it can log, not a crash.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: render failed: %v", r)
		}
	}()

	cv := newCanvas()
	defer cv.close()
	newRenderer(draw.New(cv), fs, in).draw()
	return encode(cv.img)
}

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
