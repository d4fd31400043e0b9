package chart

import (
	"image"
	"image/draw"
	"math"
	"sync"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
)

// Text is drawn from a cache of rasterised glyphs, shared by all renders:
// a digest run draws the same few hundred glyphs 2,000 times, and gg
// would rasterise every one of them again and then composite it through a
// general affine transform. Glyphs are placed on whole pixels, so a glyph
// looks the same wherever it appears, which also lets PNG's deflate find
// the repeats.

// orient is the linear part of the device transform text is drawn
// under: the chart only rotates text by quarter turns, so it is always a
// signed permutation matrix (xx, xy; yx, yy), in whole numbers.
type orient struct{ xx, xy, yx, yy int8 }

var upright = orient{1, 0, 0, 1}

// apply maps a glyph-space vector to device space.
func (o orient) apply(u, v int) (int, int) {
	return int(o.xx)*u + int(o.xy)*v, int(o.yx)*u + int(o.yy)*v
}

type glyphKey struct {
	font font.Font // typeface, weight and size
	r    rune
	o    orient
}

// glyph is a rasterised rune: mask's bounds are relative to the pen
// position on the baseline, in device pixels.
type glyph struct {
	mask    *image.Alpha
	advance fixed.Int26_6 // along the baseline, in pixels
}

// maxGlyphs bounds the shared cache (a glyph is about 1 KB): the chart's
// own words and digits are a few hundred glyphs, in a handful of sizes.
// Past the bound, glyphs are rasterised per use rather than kept.
const maxGlyphs = 8192

var glyphs = struct {
	sync.RWMutex
	m map[glyphKey]*glyph
}{m: map[glyphKey]*glyph{}}

// glyphFor returns r in f, rotated by o, from the cache or rasterised
// with face.
func glyphFor(face xfont.Face, f font.Font, r rune, o orient) *glyph {
	k := glyphKey{f, r, o}
	glyphs.RLock()
	g := glyphs.m[k]
	glyphs.RUnlock()
	if g != nil {
		return g
	}
	g = rasterise(face, f, r)
	if o != upright {
		g = &glyph{mask: rotate(g.mask, o), advance: g.advance}
	}
	glyphs.Lock()
	if len(glyphs.m) < maxGlyphs {
		glyphs.m[k] = g
	}
	glyphs.Unlock()
	return g
}

// rasterise draws r upright at a whole-pixel origin.
func rasterise(face xfont.Face, f font.Font, r rune) *glyph {
	dr, mask, mp, adv, ok := face.Glyph(fixed.Point26_6{}, r)
	g := &glyph{mask: image.NewAlpha(dr), advance: adv}
	if !ok {
		return g
	}
	// The face reuses its mask buffer: copy it out.
	draw.Draw(g.mask, dr, mask, mp, draw.Src)
	if f.Typeface == cjkTypeface && f.Weight >= xfont.WeightBold {
		g.mask = embolden(g.mask, max(1, int(math.Round(f.Size.Dots(dpi)*emboldenEm))))
	}
	return g
}

// emboldenEm is how far, in em, synthetic bold smears a glyph to the
// right: about the stem widening browsers apply for a missing bold face.
const emboldenEm = 0.035

// embolden widens every stroke of m by k pixels to the right, the way a
// renderer fakes bold for a font without a bold face.
func embolden(m *image.Alpha, k int) *image.Alpha {
	b := m.Rect
	out := image.NewAlpha(image.Rect(b.Min.X, b.Min.Y, b.Max.X+k, b.Max.Y))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X+k; x++ {
			var a uint8
			for i := max(x-k, b.Min.X); i <= min(x, b.Max.X-1); i++ {
				a = max(a, m.Pix[m.PixOffset(i, y)])
			}
			out.Pix[out.PixOffset(x, y)] = a
		}
	}
	return out
}

// rotate turns an upright mask by o, pixel for pixel.
func rotate(m *image.Alpha, o orient) *image.Alpha {
	x0, y0 := o.apply(m.Rect.Min.X, m.Rect.Min.Y)
	x1, y1 := o.apply(m.Rect.Max.X, m.Rect.Max.Y)
	out := image.NewAlpha(image.Rect(x0, y0, x1, y1)) // Rect canonicalises
	for v := m.Rect.Min.Y; v < m.Rect.Max.Y; v++ {
		for u := m.Rect.Min.X; u < m.Rect.Max.X; u++ {
			// The pixel square [u,u+1)x[v,v+1) lands on the square whose
			// minimum corner is the smaller of its corners' images.
			ax, ay := o.apply(u, v)
			bx, by := o.apply(u+1, v+1)
			out.Pix[out.PixOffset(min(ax, bx), min(ay, by))] = m.Pix[m.PixOffset(u, v)]
		}
	}
	return out
}
