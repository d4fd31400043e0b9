package chart

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// zhTexts are all the words of a Chinese chart.
func zhTexts(in Input) []string {
	l := in.Labels
	out := []string{in.Title, l.Rate, l.RateAxis, l.Problems, l.ProblemsAxis, l.Opened, l.Resolved, l.DayOff, l.Off, l.NoData, l.NoRate}
	for _, d := range in.Days {
		out = append(out, d.Label)
	}
	return out
}

// TestEmbeddedFontCoversLabels: the subset parses and has a glyph for
// every rune of the Chinese words, of all of GB 2312's commonest hanzi and
// of the punctuation the catalogs use.
func TestEmbeddedFontCoversLabels(t *testing.T) {
	fs := mustFonts()
	if fs.cjk.NumGlyphs() < 7000 {
		t.Errorf("embedded font has %d glyphs, want the GB 2312 hanzi at least", fs.cjk.NumGlyphs())
	}
	var buf sfnt.Buffer
	texts := append(zhTexts(weekInputZH()),
		"的一是在不了有和人这中大为上个国我以要他", // the commonest hanzi
		"齄鼾鼽鼷", // the last of GB 2312 level 2
		"垟溇漈",  // Zhejiang place names outside GB 2312
		"（）、，。：；！？「」《》【】…—–·",
		"0123456789 ABCabc%-.",
	)
	for _, s := range texts {
		for _, r := range s {
			if idx, err := fs.cjk.GlyphIndex(&buf, r); err != nil || idx == 0 {
				t.Errorf("embedded font lacks %q (in %q): index %d, %v", r, s, idx, err)
			}
		}
	}
	if !fs.needsCJK(zhTexts(weekInputZH())...) {
		t.Error("Chinese labels do not select the CJK font")
	}
	if fs.needsCJK(zhTexts(weekInput())...) {
		t.Error("English labels select the CJK font; English charts must stay in Liberation")
	}
}

// ink is the binary ink mask of a region: pixels darker than mid-grey,
// cropped to their bounding box.
type ink struct {
	w, h int
	on   []bool
}

func inkOf(img image.Image, rc image.Rectangle) ink {
	box := image.Rectangle{}
	dark := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return (r+g+b)/3 < 0x8000
	}
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			if dark(x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	k := ink{w: box.Dx(), h: box.Dy(), on: make([]bool, box.Dx()*box.Dy())}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			k.on[(y-box.Min.Y)*k.w+x-box.Min.X] = dark(x, y)
		}
	}
	return k
}

func (k ink) count() int {
	n := 0
	for _, on := range k.on {
		if on {
			n++
		}
	}
	return n
}

// similarity is the share of ink pixels of either mask that have ink of
// the other within one pixel, with the masks aligned at their top left
// corners: 1 for the same text drawn a pixel apart, low for other text.
func similarity(a, b ink) float64 {
	near := func(k ink, x, y int) bool {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < k.w && yy < k.h && k.on[yy*k.w+xx] {
					return true
				}
			}
		}
		return false
	}
	matched := func(p, q ink) int {
		n := 0
		for y := range p.h {
			for x := range p.w {
				if p.on[y*p.w+x] && near(q, x, y) {
					n++
				}
			}
		}
		return n
	}
	total := a.count() + b.count()
	if total == 0 {
		return 0
	}
	return float64(matched(a, b)+matched(b, a)) / float64(total)
}

// reference draws s with golang.org/x/image's own text drawer, straight
// from the font: independent of the chart's glyph cache and placement.
// bold draws it a second time a pixel to the right, as synthetic bold
// does.
func reference(t *testing.T, f *opentype.Font, s string, size vg.Length, bold bool) ink {
	t.Helper()
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size.Points(), DPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	img := image.NewRGBA(image.Rect(0, 0, Width, 200))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, dx := range []int{0, 1} {
		if dx == 1 && !bold {
			break
		}
		d := xfont.Drawer{Dst: img, Src: image.NewUniform(colInk), Face: face, Dot: fixed.P(20+dx, 100)}
		d.DrawString(s)
	}
	return inkOf(img, img.Bounds())
}

// TestRenderChinese proves a Chinese chart shows its Chinese words: the
// title drawn in the chart matches the title drawn straight from the
// embedded font, and not what a fallback to '?' or to English would
// draw; the day labels and panel words differ from both fallbacks too.
func TestRenderChinese(t *testing.T) {
	fs := mustFonts()
	in := weekInputZH()
	img := render(t, in)

	// Where the title, the panel headers and the day labels are.
	cv := vgimg.NewWith(vgimg.UseWH(pxToPt(Width), pxToPt(Height)), vgimg.UseDPI(dpi))
	r := newRenderer(vgdraw.New(cv), fs, in)
	titleH := lineHeight(r.style(r.bold, sizeTitle, colInk, text.XLeft, text.YTop))
	titleBox := image.Rect(0, 0, Width, int((marginT+titleH+gapTitle/2)*dpi/vg.Inch))
	top, bot := panels(in)
	headerBox := image.Rect(0, titleBox.Max.Y, Width/2, top.Min.Y) // the legend is on the right
	labelBox := image.Rect(0, bot.Max.Y+2, Width, Height)

	for _, tt := range []struct {
		name        string
		box         image.Rectangle
		zh, en      string
		size        vg.Length
		minInk      int
		fallbackInk string
	}{
		{"title", titleBox, in.Title, "2026-W48  2026-11-23 to 2026-11-29", sizeTitle, 500, sanitize(fs.latin, in.Title)},
		{"check-in header", headerBox, in.Labels.Rate, EnglishLabels.Rate, sizeHeader, 200, sanitize(fs.latin, in.Labels.Rate)},
	} {
		got := inkOf(img, tt.box)
		if got.count() < tt.minInk {
			t.Errorf("%s region %v has %d ink pixels, want text", tt.name, tt.box, got.count())
			continue
		}
		sim := similarity(got, reference(t, fs.cjk, tt.zh, tt.size, true))
		simQ := similarity(got, reference(t, fs.latin, tt.fallbackInk, tt.size, true))
		simEn := similarity(got, reference(t, fs.latin, tt.en, tt.size, true))
		t.Logf("%s similarity: %.2f to %q, %.2f to %q, %.2f to %q", tt.name, sim, tt.zh, simQ, tt.fallbackInk, simEn, tt.en)
		if sim < 0.9 || simQ > 0.75 || simEn > 0.75 {
			t.Errorf("%s ink matches %q %.2f (want >= 0.9), %q %.2f and %q %.2f (want <= 0.75)",
				tt.name, tt.zh, sim, tt.fallbackInk, simQ, tt.en, simEn)
		}
	}

	// The same chart with every word replaced by '?', and in English:
	// every text region must differ.
	q := in
	q.Title = sanitize(fs.latin, in.Title)
	q.Labels = Labels{}
	for _, p := range []*string{&q.Labels.Rate, &q.Labels.RateAxis, &q.Labels.Problems, &q.Labels.ProblemsAxis,
		&q.Labels.Opened, &q.Labels.Resolved, &q.Labels.DayOff, &q.Labels.Off, &q.Labels.NoData, &q.Labels.NoRate} {
		*p = "???"
	}
	q.Days = append([]Day(nil), in.Days...)
	for i := range q.Days {
		q.Days[i].Label = sanitize(fs.latin, q.Days[i].Label)
	}
	for name, other := range map[string]image.Image{"'?'": render(t, q), "English": render(t, weekInput())} {
		for region, box := range map[string]image.Rectangle{"headers": headerBox, "day labels": labelBox} {
			s := similarity(inkOf(img, box), inkOf(other, box))
			t.Logf("%s similarity to the %s chart: %.2f", region, name, s)
			if s > 0.75 {
				t.Errorf("%s of the Chinese chart look like the %s chart's (similarity %.2f)", region, name, s)
			}
		}
	}
}

// TestStack: Chinese axis titles stand upright in a column; anything
// with a narrow rune is turned instead.
func TestStack(t *testing.T) {
	tests := map[string]string{
		"打卡率":        "打\n卡\n率",
		"问题数（件）":     "问\n题\n数\n（\n件\n）",
		"check-in %": "",
		"打卡率 %":      "",
		"":           "",
	}
	for in, want := range tests {
		if got := stack(in); got != want {
			t.Errorf("stack(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRotateGlyph: quarter turns of a glyph mask move every pixel, and
// four of them are the identity.
func TestRotateGlyph(t *testing.T) {
	m := image.NewAlpha(image.Rect(-1, -3, 2, 1)) // 3 wide, 4 high, around the pen
	for i := range m.Pix {
		m.Pix[i] = uint8(i + 1)
	}
	ccw := orient{0, 1, -1, 0} // glyph x (along the text) goes up the image
	r := rotate(m, ccw)
	if r.Rect.Dx() != 4 || r.Rect.Dy() != 3 {
		t.Fatalf("rotated %v to %v, want 4x3", m.Rect, r.Rect)
	}
	// The pixel right of the pen on the baseline row, (0,0), ends up
	// above the pen: (0,-1).
	if got, want := r.AlphaAt(0, -1).A, m.AlphaAt(0, 0).A; got != want {
		t.Errorf("rotated (0,-1) = %d, want %d", got, want)
	}
	back := m
	for range 4 {
		back = rotate(back, ccw)
	}
	if back.Rect != m.Rect || string(back.Pix) != string(m.Pix) {
		t.Errorf("four quarter turns changed the mask: %v %v, want %v %v", back.Rect, back.Pix, m.Rect, m.Pix)
	}
	if o, ok := orientOf(0, -1, 1, 0); !ok || o != (orient{0, 1, -1, 0}) {
		t.Errorf("orientOf(quarter turn) = %v, %v", o, ok)
	}
	if _, ok := orientOf(0.7, 0.7, -0.7, 0.7); ok {
		t.Error("orientOf accepted an eighth turn")
	}
}

// TestFastPathsMatchVectors: bars and grid lines filled by the canvas'
// fast path look like gg's rasteriser's, and hatching like the vector
// hatching it replaces.
func TestFastPathsMatchVectors(t *testing.T) {
	fast := newCanvas()
	defer fast.close()
	slow := vgimg.NewWith(vgimg.UseWH(pxToPt(Width), pxToPt(Height)), vgimg.UseDPI(dpi))
	rects := []vg.Rectangle{
		{Min: vg.Point{X: 10.3, Y: 20.7}, Max: vg.Point{X: 60.1, Y: 200.45}},
		{Min: vg.Point{X: 100, Y: 100}, Max: vg.Point{X: 100.4, Y: 300}},      // thinner than a pixel
		{Min: vg.Point{X: 200.25, Y: 50.5}, Max: vg.Point{X: 400.8, Y: 51.6}}, // a grid line
	}
	cols := []color.RGBA{colRate, colOpened, colGrid}
	for _, c := range []vg.CanvasSizer{fast, slow} {
		dc := vgdraw.New(c)
		for i, rc := range rects {
			fillRect(&dc, rc, cols[i])
		}
		hline(&dc, 500, 800, 400.3, colBaseline, 1.5)
	}
	fi, si := fast.img, slow.Image()
	worst := 0
	for y := range Height {
		for x := range Width {
			a, b := rgb(fi.At(x, y)), rgb(si.At(x, y))
			for k := range 3 {
				worst = max(worst, abs(int(a[k])-int(b[k])))
			}
		}
	}
	if worst > 3 {
		t.Errorf("fast rectangles differ from gg's by up to %d levels, want <= 3", worst)
	}

	// Hatching: the fast pattern's mean colour over a band is the vector
	// stripes'.
	band := vg.Rectangle{Min: vg.Point{X: 300, Y: 200}, Max: vg.Point{X: 400, Y: 400}}
	hf := newCanvas()
	defer hf.close()
	hs := vgimg.NewWith(vgimg.UseWH(pxToPt(Width), pxToPt(Height)), vgimg.UseDPI(dpi))
	for _, c := range []vg.CanvasSizer{hf, hs} {
		dc := vgdraw.New(c)
		hatch(&dc, band)
	}
	box := toPx(band).Inset(4)
	mf, ms := meanGrey(hf.img, box), meanGrey(hs.Image(), box)
	if d := mf - ms; d > 2 || d < -2 {
		t.Errorf("fast hatching mean grey %.1f, vector %.1f", mf, ms)
	}
	if n := distinctColours(hf.img.SubImage(box)); n < 3 {
		t.Errorf("fast hatching has %d colours, want stripes", n)
	}
}

func meanGrey(img image.Image, rc image.Rectangle) float64 {
	var sum, n float64
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			c := rgb(img.At(x, y))
			sum += float64(c[0]+c[1]+c[2]) / 3
			n++
		}
	}
	return sum / n
}
