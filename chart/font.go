package chart

import (
	_ "embed"
	"fmt"
	"sync"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/text"
)

// cjkTTF is a subset of WenQuanYi Micro Hei: GB 2312, 通用规范汉字表 and
// CJK punctuation (fonts/README.md, scripts/font-subset.sh). It is
// embedded so that a chart looks the same in a container without fonts.
//
//go:embed fonts/wqy-microhei-subset.ttf
var cjkTTF []byte

const cjkTypeface font.Typeface = "WenQuanYi Micro Hei"

// Fonts. Sans reads better than plot's default serif at phone scale.
// WenQuanYi Micro Hei has no bold face: cjkBold resolves to the regular
// face, and canvas.FillString emboldens it.
var (
	fontRegular = font.Font{Typeface: "Liberation", Variant: "Sans"}
	fontBold    = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
	cjkRegular  = font.Font{Typeface: cjkTypeface}
	cjkBold     = font.Font{Typeface: cjkTypeface, Weight: xfont.WeightBold}
)

// fontSet is the chart's own font cache and text handler. It is separate
// from plot.DefaultTextHandler so that adding the CJK font changes no
// global state of gonum/plot.
type fontSet struct {
	handler text.Handler
	latin   *opentype.Font // Liberation Sans regular, to test coverage
	cjk     *opentype.Font
}

// fonts parses the embedded fonts once. The font is part of the binary,
// so an error here is a build defect; Render reports it rather than
// panicking at start-up.
var fonts = sync.OnceValues(func() (*fontSet, error) {
	cjk, err := opentype.Parse(cjkTTF)
	if err != nil {
		return nil, fmt.Errorf("parse embedded CJK font: %w", err)
	}
	cache := font.NewCache(liberation.Collection())
	cache.Add(font.Collection{{Font: cjkRegular, Face: cjk}})
	latin := cache.Lookup(fontRegular, 10).Face
	if latin == nil {
		return nil, fmt.Errorf("liberation sans missing from gonum's collection")
	}
	return &fontSet{handler: text.Plain{Fonts: cache}, latin: latin, cjk: cjk}, nil
})

// has reports whether f has a glyph for r; buf may be nil.
func has(f *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	idx, err := f.GlyphIndex(buf, r)
	return err == nil && idx != 0
}

// needsCJK reports whether any of texts has a rune that Liberation Sans
// lacks and the CJK font has: then the chart's words are drawn in the CJK
// font, all of them, so that one chart does not mix two typefaces.
func (fs *fontSet) needsCJK(texts ...string) bool {
	var buf sfnt.Buffer
	for _, s := range texts {
		for _, r := range s {
			if r < 0x80 || has(fs.latin, &buf, r) {
				continue
			}
			if has(fs.cjk, &buf, r) {
				return true
			}
		}
	}
	return false
}
