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
