package chart

import (
	"image"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot/vg"
)

// Fast paths for what a chart is mostly made of: axis-aligned rectangles
// (bars, grid lines, baselines) and hatched bands. gg fills every shape
// through a general scan-line rasteriser and strokes every hatch line as
// a polygon, which was half of the drawing time; here a rectangle is
// filled with exact area coverage at its edges, so it looks the same.

// SetLineWidth and SetLineDash track the stroke style for Stroke.
func (c *canvas) SetLineWidth(w vg.Length) {
	c.width = w
	c.Canvas.SetLineWidth(w)
}

func (c *canvas) SetLineDash(ds []vg.Length, offs vg.Length) {
	c.dashed = len(ds) > 0
	c.Canvas.SetLineDash(ds, offs)
}

// Fill implements vg.Canvas, filling rectangles itself.
func (c *canvas) Fill(p vg.Path) {
	if r, ok := rectOf(p); ok && c.fillRect(r) {
		return
	}
	c.Canvas.Fill(p)
}

// Stroke implements vg.Canvas, drawing horizontal and vertical lines as
// rectangles (vgimg uses butt caps).
func (c *canvas) Stroke(p vg.Path) {
	if len(p) == 2 && p[0].Type == vg.MoveComp && p[1].Type == vg.LineComp && !c.dashed && c.width > 0 {
		a, b := p[0].Pos, p[1].Pos
		h := c.width / 2
		var r vg.Rectangle
		switch {
		case a.Y == b.Y:
			r = vg.Rectangle{Min: vg.Point{X: min(a.X, b.X), Y: a.Y - h}, Max: vg.Point{X: max(a.X, b.X), Y: a.Y + h}}
		case a.X == b.X:
			r = vg.Rectangle{Min: vg.Point{X: a.X - h, Y: min(a.Y, b.Y)}, Max: vg.Point{X: a.X + h, Y: max(a.Y, b.Y)}}
		}
		if r != (vg.Rectangle{}) && c.fillRect(r) {
			return
		}
	}
	c.Canvas.Stroke(p)
}

// rectOf recognises the path vg.Rectangle.Path makes.
func rectOf(p vg.Path) (vg.Rectangle, bool) {
	if len(p) != 5 || p[0].Type != vg.MoveComp || p[4].Type != vg.CloseComp {
		return vg.Rectangle{}, false
	}
	for _, c := range p[1:4] {
		if c.Type != vg.LineComp {
			return vg.Rectangle{}, false
		}
	}
	a, b, cc, d := p[0].Pos, p[1].Pos, p[2].Pos, p[3].Pos
	if a.Y != b.Y || b.X != cc.X || cc.Y != d.Y || d.X != a.X {
		return vg.Rectangle{}, false
	}
	return vg.Rectangle{Min: vg.Point{X: min(a.X, cc.X), Y: min(a.Y, cc.Y)}, Max: vg.Point{X: max(a.X, cc.X), Y: max(a.Y, cc.Y)}}, true
}

// device maps r to device pixels, y down, unrounded. ok is false under a
// transform that does not keep rectangles axis-aligned.
func (c *canvas) device(r vg.Rectangle) (x0, y0, x1, y1 float64, ok bool) {
	ax, ay := c.ctx.TransformPoint(r.Min.X.Dots(dpi), r.Min.Y.Dots(dpi))
	bx, by := c.ctx.TransformPoint(r.Max.X.Dots(dpi), r.Max.Y.Dots(dpi))
	// An axis-aligned map sends a horizontal segment to a horizontal one.
	hx, hy := c.ctx.TransformPoint(r.Max.X.Dots(dpi), r.Min.Y.Dots(dpi))
	if math.Abs(hy-ay) > 1e-9 && math.Abs(hx-ax) > 1e-9 {
		return 0, 0, 0, 0, false
	}
	return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), true
}

// fillRect fills r with the current colour, each edge pixel blended by
// the share of it r covers, as gg's rasteriser would. It reports false
// (and draws nothing) when it cannot: a translucent colour or a rotated
// canvas.
func (c *canvas) fillRect(r vg.Rectangle) bool {
	col, ok := c.col[len(c.col)-1].(color.RGBA)
	if !ok || col.A != 0xff {
		return false
	}
	x0, y0, x1, y1, ok := c.device(r)
	if !ok {
		return false
	}
	b := c.img.Rect
	X0, X1 := max(b.Min.X, int(math.Floor(x0))), min(b.Max.X, int(math.Ceil(x1)))
	Y0, Y1 := max(b.Min.Y, int(math.Floor(y0))), min(b.Max.Y, int(math.Ceil(y1)))
	if X0 >= X1 || Y0 >= Y1 {
		return true
	}
	// Coverage per column. The fully covered columns [in0, in1) are
	// contiguous; in a fully covered row they are one copy.
	cx := slices.Grow(c.cx[:0], X1-X0)[:X1-X0]
	c.cx = cx
	in0, in1 := len(cx), 0
	for i := range cx {
		X := float64(X0 + i)
		cx[i] = math.Min(X+1, x1) - math.Max(X, x0)
		if cx[i] >= 1 {
			in0, in1 = min(in0, i), i+1
		}
	}
	var solid []byte
	if in0 < in1 {
		solid = slices.Grow(c.solid[:0], 4*(in1-in0))[:4*(in1-in0)]
		c.solid = solid
		for i := 0; i < len(solid); i += 4 {
			solid[i], solid[i+1], solid[i+2], solid[i+3] = col.R, col.G, col.B, 0xff
		}
	}
	blendSpan := func(row []byte, cy float64, i0, i1 int) {
		for i := i0; i < i1; i++ {
			if a := cx[i] * cy; a > 0 {
				blend(row[4*i:4*i+4], col, a)
			}
		}
	}
	for Y := Y0; Y < Y1; Y++ {
		cy := math.Min(float64(Y+1), y1) - math.Max(float64(Y), y0)
		if cy <= 0 {
			continue
		}
		row := c.img.Pix[c.img.PixOffset(X0, Y):c.img.PixOffset(X1, Y)]
		if cy >= 1 && solid != nil {
			copy(row[4*in0:4*in1], solid)
			blendSpan(row, cy, 0, in0)
			blendSpan(row, cy, in1, len(cx))
			continue
		}
		blendSpan(row, cy, 0, len(cx))
	}
	return true
}

// blend paints an opaque colour over one RGBA pixel with coverage a.
func blend(px []byte, col color.RGBA, a float64) {
	if a >= 1 {
		px[0], px[1], px[2], px[3] = col.R, col.G, col.B, 0xff
		return
	}
	mix := func(d, s uint8) uint8 { return uint8(float64(d) + (float64(s)-float64(d))*a + 0.5) }
	px[0], px[1], px[2] = mix(px[0], col.R), mix(px[1], col.G), mix(px[2], col.B)
}

// hatchPeriod is the hatching's stripe spacing in pixels (9pt at 96 DPI).
const hatchPeriod = 12

// hatchLine is the off-day pattern along a row of the image, from x+y ≡
// 0 (mod hatchPeriod), one period longer than the image so that any row
// is one copy from it: 45° stripes 1pt wide on the off-day grey, each
// pixel blended by its exact coverage (supersampled).
var hatchLine = func() []byte {
	const n = 16      // subsamples per pixel side
	const w = 4.0 / 3 // stripe width in pixels: 1pt
	var period [4 * hatchPeriod]byte
	for p := range hatchPeriod {
		in := 0
		for i := range n {
			for j := range n {
				s := float64(p) + (float64(i)+0.5)/n + (float64(j)+0.5)/n
				if d := math.Abs(s-hatchPeriod*math.Round(s/hatchPeriod)) / math.Sqrt2; d <= w/2 {
					in++
				}
			}
		}
		px := period[4*p : 4*p+4]
		px[0], px[1], px[2], px[3] = colOffFill.R, colOffFill.G, colOffFill.B, 0xff
		blend(px, colOffHatch, float64(in)/(n*n))
	}
	line := make([]byte, 0, 4*(Width+hatchPeriod))
	for len(line) < cap(line) {
		line = append(line, period[:]...)
	}
	return line
}()

// hatch paints band with the off-day pattern, on whole pixels. The
// stripes run along x+y = multiples of hatchPeriod over the whole image,
// not per band, so adjacent off days (a weekend) form one continuous
// pattern. It reports false when the canvas is rotated.
func (c *canvas) hatch(band vg.Rectangle) bool {
	x0, y0, x1, y1, ok := c.device(band)
	if !ok {
		return false
	}
	b := c.img.Rect
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1))).Intersect(b)
	for Y := r.Min.Y; Y < r.Max.Y; Y++ {
		from := 4 * ((r.Min.X + Y) % hatchPeriod)
		copy(c.img.Pix[c.img.PixOffset(r.Min.X, Y):c.img.PixOffset(r.Max.X, Y)], hatchLine[from:])
	}
	return true
}
