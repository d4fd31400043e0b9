// Package chart renders the PNG picture attached to the periodic digests:
// the daily check-in rate on top and problems opened vs resolved below,
// sharing one day axis so a column reads as one day.
//
// # ASCII only
//
// Text is drawn with the Liberation fonts bundled with gonum.org/v1/plot.
// They have no CJK glyphs, so Input.Title and Day.Label must be ASCII
// (e.g. "Week 2026-11-23", "Mon 11-23"); put localised wording in the
// sendPhoto caption instead. Any rune the font cannot draw is replaced by
// '?', so a caller mistake shows up as visible question marks instead of
// blank boxes, and never as an error.
//
// # Look
//
// The image is Width x Height pixels and is meant to be read on a phone in
// Telegram, so the type is large (tick labels 17pt at 96 DPI), the
// background is white and the three series use colour-blind-safe
// Okabe-Ito colours. Non-workdays are drawn as hatched grey columns and
// never as 0%; a workday whose Rate is NaN (nobody expected) is left
// blank. Day labels are thinned out (every 2nd, 3rd, ... day) when they do
// not fit, as in a 31-day month view.
package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"git.sr.ht/~sbinet/gg"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
	// Label is printed under the column, e.g. "Mon 11-23". ASCII only.
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

// Input is everything Render needs.
type Input struct {
	// Title is printed at the top, e.g. "Week 2026-11-23". ASCII only;
	// empty leaves more room for the panels.
	Title string
	// Days are drawn left to right in the given order. Zero days renders a
	// "no data" chart.
	Days []Day
}

// dpi is chosen so that Width x Height pixels is a whole number of points
// (900 x 600), which keeps vgimg from rounding the canvas size.
const dpi = 96

func pxToPt(px int) vg.Length { return vg.Length(px) * vg.Inch / dpi }

// Render draws the chart and returns it PNG-encoded. It is safe for
// concurrent use. Bad values (NaN, Inf, negative counts, non-ASCII text)
// are drawn sensibly rather than reported; the only errors are too many
// days and an internal failure of the drawing library.
func Render(in Input) (out []byte, err error) {
	if len(in.Days) > MaxDays {
		return nil, fmt.Errorf("chart: %d days, at most %d supported", len(in.Days), MaxDays)
	}
	// gonum/plot reports some internal failures (e.g. font metrics) by
	// panicking; a digest job must get an error it can log, not a crash.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: render failed: %v", r)
		}
	}()

	cv := newCanvas()
	newRenderer(draw.New(cv), in).draw()

	var buf bytes.Buffer
	buf.Grow(128 << 10)
	// PNG encoding is about half the render time. BestSpeed because
	// Telegram recompresses photos anyway; the pool reuses the encoder's
	// zlib state between digests.
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderPool}
	if err := enc.Encode(&buf, cv.Image()); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// newCanvas is vgimg.New without its full-image copy: vgimg.New hands a
// fresh image to gg.NewContextForImage, which copies it again. That copy
// was a fifth of the render time.
func newCanvas() *vgimg.Canvas {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	ctx := gg.NewContextForRGBA(img)
	// vgimg only configures contexts it creates itself; without these the
	// picture comes out upside down with round line caps.
	ctx.SetLineCapButt()
	ctx.InvertY()
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi))
}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

var encoderPool pngPool

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

// Fonts. Sans reads better than plot's default serif at phone scale.
var (
	fontRegular = font.Font{Typeface: "Liberation", Variant: "Sans"}
	fontBold    = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
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

func style(f font.Font, size vg.Length, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  xa,
		YAlign:  ya,
		Handler: plot.DefaultTextHandler,
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
	title string
	days  []day

	plotL, plotR vg.Length
	slot         vg.Length
	top, bot     vg.Rectangle // data areas of the two panels

	countMax, countStep int

	xLabels    []string // per day, possibly split over two lines
	xLabelStep int
}

func newRenderer(c draw.Canvas, in Input) *renderer {
	r := &renderer{c: c, title: sanitize(in.Title)}
	r.days = make([]day, len(in.Days))
	for i, d := range in.Days {
		rate := math.NaN()
		if d.Workday && !math.IsNaN(d.Rate) && !math.IsInf(d.Rate, 0) {
			rate = math.Min(1, math.Max(0, d.Rate))
		}
		r.days[i] = day{
			label:    sanitize(d.Label),
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

	tick := style(fontRegular, sizeTick, colInk, text.XRight, text.YCenter)
	tickW := tick.Width("100%")
	for v := 0; v <= r.countMax; v += r.countStep {
		tickW = max(tickW, tick.Width(fmt.Sprint(v)))
	}
	axisTitleH := lineHeight(style(fontRegular, sizeAxisTitle, colInk, 0, 0))
	r.plotL = marginL + axisTitleH + gapTickLabel + tickW + gapTickLabel
	r.plotR = W - marginR
	r.slot = (r.plotR - r.plotL) / vg.Length(max(r.n(), 1))

	xLabelH := r.layoutXLabels()

	y := H - marginT
	if r.title != "" {
		y -= lineHeight(style(fontBold, sizeTitle, colInk, 0, 0)) + gapTitle
	}
	headerH := lineHeight(style(fontBold, sizeHeader, colInk, 0, 0)) + gapHeader
	y -= headerH
	bottom := marginB + xLabelH + gapXLabel
	panelH := (y - bottom - gapPanels - headerH) / 2

	r.top = vg.Rectangle{Min: vg.Point{X: r.plotL, Y: y - panelH}, Max: vg.Point{X: r.plotR, Y: y}}
	r.bot = vg.Rectangle{Min: vg.Point{X: r.plotL, Y: bottom}, Max: vg.Point{X: r.plotR, Y: bottom + panelH}}
}

// layoutXLabels picks one- or two-line day labels and how many to skip
// so neighbours never overlap, and returns the height they need.
func (r *renderer) layoutXLabels() vg.Length {
	sty := style(fontRegular, sizeTick, colInk, text.XCenter, text.YTop)
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
		sty := style(fontBold, sizeTitle, colInk, text.XLeft, text.YTop)
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
	sty := style(fontBold, sizeHeader, colInk, text.XLeft, text.YBottom)
	y := area.Max.Y + gapHeader
	r.c.FillText(sty, vg.Point{X: marginL, Y: y}, title)
	return y
}

// legend draws swatch+label pairs right-aligned at x=right.
func (r *renderer) legend(right, y vg.Length, items []legendItem) {
	sty := style(fontRegular, sizeTick, colInk, text.XLeft, text.YBottom)
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
	sty := style(fontRegular, sizeNote, colMuted, text.XCenter, text.YCenter)
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
	tick := style(fontRegular, sizeTick, colInk, text.XRight, text.YCenter)
	for _, v := range ticks {
		if v != 0 {
			hline(&r.c, area.Min.X, area.Max.X, y(v), colGrid, 1)
		}
		r.c.FillText(tick, vg.Point{X: area.Min.X - gapTickLabel, Y: y(v)}, label(v))
	}
	at := style(fontRegular, sizeAxisTitle, colMuted, text.XCenter, text.YCenter)
	at.Rotation = math.Pi / 2
	r.c.FillText(at, vg.Point{X: marginL + lineHeight(at)/2, Y: area.Min.Y + h/2}, title)
	return y
}

func (r *renderer) drawRatePanel() {
	area := r.top
	hy := r.header(area, "Check-in rate")
	hasOff := false
	for _, d := range r.days {
		hasOff = hasOff || !d.work
	}
	if hasOff {
		r.legend(area.Max.X, hy, []legendItem{{"day off", func(c *draw.Canvas, b vg.Rectangle) {
			hatch(c, b)
			c.StrokeLines(draw.LineStyle{Color: colOffHatch, Width: 1}, []vg.Point{b.Min, {X: b.Min.X, Y: b.Max.Y}, b.Max, {X: b.Max.X, Y: b.Min.Y}, b.Min})
		}}})
	}

	r.drawOff(area)

	val := style(fontBold, sizeValue, colInk, text.XCenter, text.YBottom)
	valH := lineHeight(val)
	y := r.yAxis(area, "check-in %", 1, []float64{0, 0.25, 0.5, 0.75, 1},
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
	off := style(fontRegular, sizeOff, colMuted, text.XCenter, text.YBottom)
	anyRate := false
	for i, d := range r.days {
		cx := r.slotCenter(i)
		if !d.work {
			if off.Width("off") <= r.slot*0.95 {
				r.c.FillText(off, vg.Point{X: cx, Y: area.Min.Y + 4}, "off")
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
		r.note(area, "no data")
	case !anyRate:
		r.note(area, "no check-in data")
	}
}

func (r *renderer) drawCountPanel() {
	area := r.bot
	hy := r.header(area, "Problems")
	r.legend(area.Max.X, hy, []legendItem{
		{"opened", solid(colOpened)},
		{"resolved", solid(colResolved)},
	})

	r.drawOff(area)

	cnt := style(fontBold, sizeCount, colInk, text.XCenter, text.YBottom)
	cntH := lineHeight(cnt)
	var ticks []float64
	for v := 0; v <= r.countMax; v += r.countStep {
		ticks = append(ticks, float64(v))
	}
	y := r.yAxis(area, "problems", float64(r.countMax), ticks,
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
		r.note(area, "no data")
	}
}

func (r *renderer) drawXLabels() {
	sty := style(fontRegular, sizeTick, colInk, text.XCenter, text.YTop)
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

var glyphFace = plot.DefaultTextHandler.Cache().Lookup(fontRegular, 10)

// sanitize turns caller text into a single line the bundled font can draw:
// whitespace controls become spaces, other controls are dropped, missing
// glyphs (CJK, emoji) become '?' and runaway text is cut at maxLabelRune
// runes so that later width fitting stays cheap.
func sanitize(s string) string {
	var (
		b   strings.Builder
		buf sfnt.Buffer
		n   int
	)
	for _, c := range s {
		if n >= maxLabelRune {
			b.WriteString("...")
			break
		}
		switch {
		case c == utf8.RuneError:
			c = '?'
		case unicode.IsSpace(c):
			c = ' '
		case !unicode.IsPrint(c):
			continue
		default:
			if idx, err := glyphFace.Face.GlyphIndex(&buf, c); err != nil || idx == 0 {
				c = '?'
			}
		}
		b.WriteRune(c)
		n++
	}
	return strings.TrimSpace(b.String())
}

// fit shortens s with a trailing "..." until it is at most w wide.
func fit(sty text.Style, s string, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 {
		rs = rs[:len(rs)-1]
		t := strings.TrimRight(string(rs), " ") + "..."
		if sty.Width(t) <= w {
			return t
		}
	}
	return ""
}

// splitMiddle breaks s at the space nearest its middle so "Mon 11-23"
// becomes "Mon\n11-23"; text without spaces is returned unchanged.
func splitMiddle(s string) string {
	best := -1
	mid := len(s) / 2
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && (best < 0 || abs(i-mid) < abs(best-mid)) {
			best = i
		}
	}
	if best < 0 {
		return s
	}
	return s[:best] + "\n" + s[best+1:]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
