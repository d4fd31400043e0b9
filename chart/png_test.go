package chart

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// maxPNG is the size budget of a chart: 2,000 of them go out per digest
// run, over rural mobile networks.
const maxPNG = 30_000

// TestPNGSize: a typical week's and month's chart, in both languages,
// stays within the budget and is the 4-bit paletted PNG it is meant to
// be, so that a change to the palette, the compression or the look that
// costs size shows up here.
func TestPNGSize(t *testing.T) {
	tests := map[string]Input{
		"week en":  weekInput(),
		"week zh":  weekInputZH(),
		"month en": monthInput(31),
		// Weekday and date in every label: more text than report's
		// month labels, so a bound for them too.
		"month zh": monthInputZH(),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes", len(b))
			if len(b) > maxPNG {
				t.Errorf("PNG is %d bytes, want <= %d", len(b), maxPNG)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			p, ok := img.(*image.Paletted)
			if !ok {
				t.Fatalf("decoded as %T, want a paletted PNG", img)
			}
			if len(p.Palette) > 16 {
				t.Errorf("palette of %d colours, want 16 at most (4 bits a pixel)", len(p.Palette))
			}
			if b := p.Bounds(); b.Dx() != Width || b.Dy() != Height {
				t.Errorf("size = %v, want %dx%d", b, Width, Height)
			}
		})
	}
}

// TestPaletteExact: every colour the chart draws flat maps to itself, and
// the palette fits 4 bits.
func TestPaletteExact(t *testing.T) {
	if len(palette) > 16 {
		t.Fatalf("palette has %d colours, want <= 16", len(palette))
	}
	lut := lut()
	for _, c := range []struct {
		name string
		c    [3]uint8
	}{
		{"white", [3]uint8{0xff, 0xff, 0xff}},
		{"ink", [3]uint8{colInk.R, colInk.G, colInk.B}},
		{"muted", [3]uint8{colMuted.R, colMuted.G, colMuted.B}},
		{"grid", [3]uint8{colGrid.R, colGrid.G, colGrid.B}},
		{"baseline", [3]uint8{colBaseline.R, colBaseline.G, colBaseline.B}},
		{"rate", [3]uint8{colRate.R, colRate.G, colRate.B}},
		{"opened", [3]uint8{colOpened.R, colOpened.G, colOpened.B}},
		{"resolved", [3]uint8{colResolved.R, colResolved.G, colResolved.B}},
		{"off fill", [3]uint8{colOffFill.R, colOffFill.G, colOffFill.B}},
		{"off hatch", [3]uint8{colOffHatch.R, colOffHatch.G, colOffHatch.B}},
	} {
		i := lut[uint32(c.c[0])>>3<<10|uint32(c.c[1])>>3<<5|uint32(c.c[2])>>3]
		if got := rgb(palette[i]); got != [3]uint32{uint32(c.c[0]), uint32(c.c[1]), uint32(c.c[2])} {
			t.Errorf("%s %x maps to %x", c.name, c.c, got)
		}
	}
}
