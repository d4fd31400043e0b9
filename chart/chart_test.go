package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func weekInput() Input {
	rates := []float64{0.875, 0.92, 1, 0.6667, math.NaN(), 0, 0}
	opened := []int{3, 5, 0, 2, 7, 1, 0}
	resolved := []int{1, 4, 6, 2, 3, 0, 1}
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // a Monday
	in := Input{Title: "Week 2026-11-23"}
	for i := range 7 {
		d := start.AddDate(0, 0, i)
		in.Days = append(in.Days, Day{
			Label:    d.Format("Mon 01-02"),
			Workday:  d.Weekday() != time.Saturday && d.Weekday() != time.Sunday,
			Rate:     rates[i],
			Opened:   opened[i],
			Resolved: resolved[i],
		})
	}
	return in
}

func monthInput(n int) Input {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in := Input{Title: "Month " + start.Format("2006-01")}
	for i := range n {
		d := start.AddDate(0, 0, i)
		in.Days = append(in.Days, Day{
			Label:    d.Format("Mon 01-02"),
			Workday:  d.Weekday() != time.Saturday && d.Weekday() != time.Sunday,
			Rate:     0.55 + 0.45*math.Abs(math.Sin(float64(i)*0.7)),
			Opened:   (i * 7) % 13,
			Resolved: (i * 5) % 11,
		})
	}
	return in
}

// mustFonts loads the embedded fonts or stops the test binary: every test
// needs them.
func mustFonts() *fontSet {
	fs, err := fonts()
	if err != nil {
		panic(err)
	}
	return fs
}

// zhLabels are the words report passes for a Chinese group
// (i18n/locales/digest.zh.yaml).
var zhLabels = Labels{
	Rate:         "每日打卡率",
	RateAxis:     "打卡率",
	Problems:     "每日问题",
	ProblemsAxis: "问题数",
	Opened:       "新增问题",
	Resolved:     "已办结",
	DayOff:       "休息日",
	Off:          "休",
	NoData:       "暂无数据",
	NoRate:       "暂无打卡数据",
}

var zhWeekdays = []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// zh turns a test input starting on start into its Chinese version, with
// weekdays in the day labels as report writes them for a week.
func zh(in Input, start time.Time, title string) Input {
	in.Title = title
	in.Labels = zhLabels
	days := make([]Day, len(in.Days))
	for i, d := range in.Days {
		t := start.AddDate(0, 0, i)
		d.Label = zhWeekdays[t.Weekday()] + " " + t.Format("01-02")
		days[i] = d
	}
	in.Days = days
	return in
}

func weekInputZH() Input {
	return zh(weekInput(), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "2026年第48周  11月23日–29日")
}

func monthInputZH() Input {
	return zh(monthInput(31), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026年12月")
}

// render renders in and decodes the result, failing the test on any error.
func render(t testing.TB, in Input) image.Image {
	t.Helper()
	b, err := Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got := img.Bounds(); got.Dx() != Width || got.Dy() != Height {
		t.Fatalf("size = %dx%d, want %dx%d", got.Dx(), got.Dy(), Width, Height)
	}
	return img
}

// panels returns the pixel rectangles of the two data areas, taken from the
// same layout code Render uses so the test does not hard-code geometry.
func panels(in Input) (top, bot image.Rectangle) {
	cv := vgimg.NewWith(vgimg.UseWH(pxToPt(Width), pxToPt(Height)), vgimg.UseDPI(dpi))
	r := newRenderer(draw.New(cv), mustFonts(), in)
	return toPx(r.top), toPx(r.bot)
}

func toPx(rc vg.Rectangle) image.Rectangle {
	s := vg.Length(dpi) / vg.Inch
	return image.Rect(
		int(rc.Min.X*s), Height-int(rc.Max.Y*s),
		int(rc.Max.X*s), Height-int(rc.Min.Y*s),
	)
}

func rgb(c color.Color) [3]uint32 {
	r, g, b, _ := c.RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func nonWhite(img image.Image, rc image.Rectangle) float64 {
	var n, total int
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			total++
			if rgb(img.At(x, y)) != [3]uint32{255, 255, 255} {
				n++
			}
		}
	}
	return float64(n) / float64(total)
}

func count(img image.Image, rc image.Rectangle, want color.Color) int {
	w := rgb(want)
	n := 0
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			if rgb(img.At(x, y)) == w {
				n++
			}
		}
	}
	return n
}

func distinctColours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[rgb(img.At(x, y))] = true
		}
	}
	return len(seen)
}

// assertDrawn checks the picture is not blank: anti-aliased text and
// several fills use most of the palette, and each panel has visible ink.
func assertDrawn(t *testing.T, img image.Image, in Input, minTop, minBot float64) {
	t.Helper()
	if n := distinctColours(img); n < 10 {
		t.Errorf("only %d distinct colours; image looks blank", n)
	}
	if rgb(img.At(0, 0)) != [3]uint32{255, 255, 255} {
		t.Errorf("background at (0,0) = %v, want white", img.At(0, 0))
	}
	top, bot := panels(in)
	if f := nonWhite(img, top); f < minTop {
		t.Errorf("top panel %v: %.3f non-white, want >= %.3f", top, f, minTop)
	}
	if f := nonWhite(img, bot); f < minBot {
		t.Errorf("bottom panel %v: %.3f non-white, want >= %.3f", bot, f, minBot)
	}
}

func TestRenderWeek(t *testing.T) {
	in := weekInput()
	img := render(t, in)
	assertDrawn(t, img, in, 0.25, 0.15)

	top, _ := panels(in)
	colW := top.Dx() / len(in.Days)
	column := func(i int) image.Rectangle {
		return image.Rect(top.Min.X+i*colW, top.Min.Y, top.Min.X+(i+1)*colW, top.Max.Y)
	}
	if n := count(img, column(0), colRate); n < 1000 {
		t.Errorf("Monday (87.5%%) has %d bar pixels, want a bar", n)
	}
	// Friday's rate is NaN and the weekend is off: none may look like a
	// measured value, not even a 0% sliver.
	for _, i := range []int{4, 5, 6} {
		if n := count(img, column(i), colRate); n != 0 {
			t.Errorf("day %d has %d bar pixels, want none", i, n)
		}
	}
	if n := count(img, column(5), colOffFill); n < 1000 {
		t.Errorf("Saturday has %d grey off-day pixels, want a hatched band", n)
	}
}

func TestRenderAllNaN(t *testing.T) {
	in := weekInput()
	for i := range in.Days {
		in.Days[i].Rate = math.NaN()
	}
	img := render(t, in)
	// The top panel only has grid, hatching and the "no check-in data" note.
	assertDrawn(t, img, in, 0.05, 0.15)
	top, _ := panels(in)
	if n := count(img, top, colRate); n != 0 {
		t.Errorf("all-NaN chart has %d bar pixels", n)
	}
}

func TestRenderZeroDays(t *testing.T) {
	for _, in := range []Input{{}, {Title: "Week 2026-11-23"}, {Days: []Day{}}} {
		img := render(t, in)
		assertDrawn(t, img, in, 0.005, 0.005)
	}
}

func TestRenderMonth(t *testing.T) {
	in := monthInput(31)
	img := render(t, in)
	assertDrawn(t, img, in, 0.25, 0.15)
}

func TestRenderOddInput(t *testing.T) {
	tests := map[string]Input{
		"one day": {Title: "Day", Days: []Day{{Label: "Mon 11-23", Workday: true, Rate: 0.5, Opened: 1}}},
		"inf and out of range": {Days: []Day{
			{Label: "a", Workday: true, Rate: math.Inf(1)},
			{Label: "b", Workday: true, Rate: math.Inf(-1)},
			{Label: "c", Workday: true, Rate: 1.7},
			{Label: "d", Workday: true, Rate: -0.3},
			{Label: "e", Workday: false, Rate: math.NaN()},
		}},
		"negative and huge counts": {Days: []Day{
			{Label: "a", Workday: true, Rate: 0.5, Opened: -3, Resolved: math.MaxInt},
			{Label: "b", Workday: true, Rate: 0.5, Opened: math.MinInt, Resolved: 12},
		}},
		"no workdays": {Title: "Holiday", Days: []Day{{Label: "Sat", Rate: 1}, {Label: "Sun", Rate: 1}}},
		"non-ascii and long text": {
			Title: "周报 " + strings.Repeat("very long title ", 20),
			Days: []Day{
				{Label: "周一 11-23", Workday: true, Rate: 0.9},
				{Label: strings.Repeat("x", 500), Workday: true, Rate: 0.8},
				{Label: "tab\there\nnewline\x00", Workday: true, Rate: 0.7},
				{Label: "", Workday: true, Rate: 0.6},
				{Label: "\xff\xfe", Workday: true, Rate: 0.5},
			},
		},
		"max days": monthInput(MaxDays),
		"60 days":  monthInput(60),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			render(t, in)
		})
	}
}

func TestRenderTooManyDays(t *testing.T) {
	if _, err := Render(monthInput(MaxDays + 1)); err == nil {
		t.Fatal("want an error for more than MaxDays days")
	}
}

func TestRenderConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := Render(monthInput(7 + 3*i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestSanitize(t *testing.T) {
	fs := mustFonts()
	tests := []struct {
		name     string
		latin    bool // sanitize for Liberation; else for the CJK font
		in, want string
	}{
		{"ascii", true, "Week 2026-11-23", "Week 2026-11-23"},
		{"hanzi in liberation", true, "周一 11-23", "?? 11-23"},
		{"hanzi", false, "周一 11-23", "周一 11-23"},
		{"place names outside GB 2312", false, "梅垟村 溇港 漈头", "梅垟村 溇港 漈头"},
		{"cjk punctuation", false, "第48周（11月23日–29日）、「」…", "第48周（11月23日–29日）、「」…"},
		{"emoji", false, "📊 周报", "? 周报"},
		{"rare hanzi outside the subset", false, "𠀀村", "?村"},
		{"whitespace", true, " a\tb\nc ", "a b c"},
		{"control", false, "bell\a", "bell"},
		{"invalid utf-8", false, "\xff", "?"},
		{"cyrillic in liberation", true, "Пн 11-23", "Пн 11-23"},
	}
	for _, tt := range tests {
		f := fs.cjk
		if tt.latin {
			f = fs.latin
		}
		if got := sanitize(f, tt.in); got != tt.want {
			t.Errorf("%s: sanitize(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	if got, want := sanitize(fs.latin, strings.Repeat("a", 1000)), strings.Repeat("a", maxLabelRune)+"..."; got != want {
		t.Errorf("sanitize(1000 x a) = %q, want %q", got, want)
	}
}

func TestCountScale(t *testing.T) {
	tests := []struct{ in, top, step int }{
		{0, 4, 1},
		{3, 4, 1},
		{5, 5, 1},
		{7, 8, 2},
		{12, 15, 5},
		{26, 30, 10},
		{99, 100, 20},
		{1e12, 1e12, 2e11},
	}
	for _, tt := range tests {
		top, step := countScale(tt.in)
		if top != tt.top || step != tt.step {
			t.Errorf("countScale(%d) = %d, %d; want %d, %d", tt.in, top, step, tt.top, tt.step)
		}
	}
}

func TestSplitMiddle(t *testing.T) {
	tests := map[string]string{
		"Mon 11-23":   "Mon\n11-23",
		"11-23":       "11-23",
		"a b c":       "a\nb c",
		"Week 48 Mon": "Week\n48 Mon",
	}
	for in, want := range tests {
		if got := splitMiddle(in); got != want {
			t.Errorf("splitMiddle(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteSamples writes sample charts for eyeballing:
//
//	CHART_SAMPLE_DIR=/tmp/charts go test -run WriteSamples ./chart/
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("CHART_SAMPLE_DIR")
	if dir == "" {
		t.Skip("set CHART_SAMPLE_DIR to write sample PNGs")
	}
	nan := weekInput()
	for i := range nan.Days {
		nan.Days[i].Rate = math.NaN()
	}
	samples := map[string]Input{
		"week":     weekInput(),
		"month":    monthInput(31),
		"empty":    {Title: "Week 2026-11-23"},
		"nan":      nan,
		"one":      {Title: "Day", Days: []Day{{Label: "Mon 11-23", Workday: true, Rate: 0.5, Opened: 1}}},
		"60":       monthInput(60),
		"week-zh":  weekInputZH(),
		"month-zh": monthInputZH(),
		"empty-zh": {Title: "2026年第48周", Labels: zhLabels},
		"nan-zh":   zh(nan, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "2026年第48周  11月23日–29日"),
	}
	for name, in := range samples {
		b, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   Input
	}{{"week", weekInput()}, {"month", monthInput(31)}, {"week-zh", weekInputZH()}, {"month-zh", monthInputZH()}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
