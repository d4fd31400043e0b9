package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"git.sr.ht/~sbinet/gg"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// canvas is a vgimg.Canvas that draws text itself (glyph.go). vgimg makes
// a new font face for every string and rasterises every glyph again, and
// has no bold for a font without one.
// One canvas serves one Render call: its faces are not safe for
// concurrent use.
type canvas struct {
	*vgimg.Canvas
	img   *image.RGBA
	ctx   *gg.Context
	faces map[font.Font]xfont.Face
	col   []color.Color // the colour stack, top last

	width  vg.Length // stroke width, as vgimg keeps it: not stacked
	dashed bool

	cx    []float64 // fillRect's scratch space
	solid []byte
}

// images recycles canvases' pixels (3.8 MB each) between charts: a
// digest run renders thousands, and allocating and zeroing each one was a
// tenth of the time.
var images = sync.Pool{New: func() any { return image.NewRGBA(image.Rect(0, 0, Width, Height)) }}

// newCanvas is vgimg.New without its full-image copy: vgimg.New hands a
// fresh image to gg.NewContextForImage, which copies it again. That copy
// was a fifth of the render time. vgimg.NewWith paints it white.
func newCanvas() *canvas {
	img := images.Get().(*image.RGBA)
	ctx := gg.NewContextForRGBA(img)
	// vgimg only configures contexts it creates itself; without these the
	// picture comes out upside down with round line caps.
	ctx.SetLineCapButt()
	ctx.InvertY()
	return &canvas{
		Canvas: vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi)),
		img:    img,
		ctx:    ctx,
		faces:  map[font.Font]xfont.Face{},
		col:    []color.Color{color.Black},
	}
}

// close releases the faces and the pixels; the canvas is unusable after.
func (c *canvas) close() {
	for _, f := range c.faces {
		f.Close()
	}
	images.Put(c.img)
	c.img = nil
}

// SetColor, Push and Pop keep track of the colour for FillString, as
// vgimg does for itself.
func (c *canvas) SetColor(col color.Color) {
	if col == nil {
		col = color.Black
	}
	c.col[len(c.col)-1] = col
	c.Canvas.SetColor(col)
}

func (c *canvas) Push() {
	c.col = append(c.col, c.col[len(c.col)-1])
	c.Canvas.Push()
}

func (c *canvas) Pop() {
	c.col = c.col[:len(c.col)-1]
	c.Canvas.Pop()
}

// face returns the opentype face of f for this render.
func (c *canvas) face(f font.Face) xfont.Face {
	face, ok := c.faces[f.Font]
	if !ok {
		var err error
		face, err = opentype.NewFace(f.Face, &opentype.FaceOptions{Size: f.Font.Size.Points(), DPI: dpi})
		if err != nil {
			panic(err) // as vgimg does; Render recovers it into an error
		}
		c.faces[f.Font] = face
	}
	return face
}

// FillString implements vg.Canvas: s in f with its baseline starting at
// pt, under the current transform, which may only turn by quarter turns.
// Each glyph is drawn from the glyph cache on the whole pixel nearest its
// exact position.
func (c *canvas) FillString(f font.Face, pt vg.Point, s string) {
	if f.Font.Size == 0 {
		return
	}
	face := c.face(f)
	c.ctx.Push()
	defer c.ctx.Pop()
	// The same flip as vgimg: from here on user space is in pixels with y
	// down, like the image, and only the rotation remains.
	c.ctx.InvertY()
	ox, oy := c.ctx.TransformPoint(0, 0)
	ux, uy := c.ctx.TransformPoint(1, 0)
	vx, vy := c.ctx.TransformPoint(0, 1)
	o, ok := orientOf(ux-ox, uy-oy, vx-ox, vy-oy)
	if !ok {
		panic(fmt.Sprintf("chart: text under transform (%g %g; %g %g) not supported", ux-ox, vx-ox, uy-oy, vy-oy))
	}
	src := image.NewUniform(c.col[len(c.col)-1])
	x, y := pt.X.Dots(dpi), Height-pt.Y.Dots(dpi)
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			x += fixedToFloat(face.Kern(prev, r))
		}
		prev = r
		g := glyphFor(face, f.Font, r, o)
		dx, dy := c.ctx.TransformPoint(x, y)
		at := image.Pt(int(math.Round(dx)), int(math.Round(dy)))
		draw.DrawMask(c.img, g.mask.Rect.Add(at), src, image.Point{}, g.mask, g.mask.Rect.Min, draw.Over)
		x += fixedToFloat(g.advance)
	}
}

func fixedToFloat(v fixed.Int26_6) float64 { return float64(v) / 64 }

// orientOf recognises a quarter-turn linear map.
func orientOf(xx, yx, xy, yy float64) (orient, bool) {
	var o orient
	for _, e := range []struct {
		v float64
		p *int8
	}{{xx, &o.xx}, {xy, &o.xy}, {yx, &o.yx}, {yy, &o.yy}} {
		switch {
		case math.Abs(e.v) < 1e-6:
			*e.p = 0
		case math.Abs(e.v-1) < 1e-6:
			*e.p = 1
		case math.Abs(e.v+1) < 1e-6:
			*e.p = -1
		default:
			return o, false
		}
	}
	return o, o.xx*o.yy-o.xy*o.yx != 0
}
