package chart

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"slices"
	"sync"
)

// palette is every colour a chart PNG may use. Sixteen colours make a
// 4-bit PNG, an eighth of the bytes of RGBA before compression and about
// a fifth after, with no visible loss: the chart is flat fills plus
// anti-aliasing, and anti-aliased edges only need a few steps to look
// smooth at phone size. The greys are the theme's (ink, muted, baseline,
// hatch, grid, off-day fill) plus steps in between for text edges; each
// series colour has one half tint for bar edges and white text on bars.
var palette = func() color.Palette {
	p := color.Palette{color.White}
	for _, g := range []uint8{0x21, 0x4a, 0x6b, 0x8a, 0xb0, 0xc4, 0xd2, 0xe4, 0xf2} {
		p = append(p, color.RGBA{g, g, g, 0xff})
	}
	for _, c := range []color.RGBA{colRate, colOpened, colResolved} {
		half := func(v uint8) uint8 { return uint8((int(v) + 0xff + 1) / 2) }
		p = append(p, c, color.RGBA{half(c.R), half(c.G), half(c.B), 0xff})
	}
	return p
}()

// lut maps a colour, 5 bits per channel, to its nearest palette index.
// Building it costs half a million distance computations once; a lookup
// per pixel is then a shift and a load.
var lut = sync.OnceValue(func() *[1 << 15]uint8 {
	t := new([1 << 15]uint8)
	for k := range t {
		r, g, b := uint8(k>>10)<<3|4, uint8(k>>5&31)<<3|4, uint8(k&31)<<3|4
		t[k] = uint8(palette.Index(color.RGBA{r, g, b, 0xff}))
	}
	// A palette colour must come back as itself, not as a neighbour
	// nearer to its bucket's centre.
	for i, c := range palette {
		r, g, b, _ := c.RGBA()
		t[(r>>11)<<10|(g>>11)<<5|b>>11] = uint8(i)
	}
	return t
})

// scanlines turns an opaque RGBA image into PNG scanlines of 4-bit
// palette indices, each led by filter byte 0 (none: filters do not pay off
// on palette indices), two pixels per byte, high nibble first. Colours
// map to their nearest palette entry without dithering, which would cost
// sharpness and most of the compression. Pixels are read in pairs, and a
// pair like the one before it (most of a chart is flat) costs no lookup.
func scanlines(src *image.RGBA, raw []byte) []byte {
	t := lut()
	w, h := src.Rect.Dx(), src.Rect.Dy()
	stride := (w + 1) / 2
	raw = slices.Grow(raw[:0], h*(1+stride))[:h*(1+stride)]
	index := func(px uint32) uint8 { return t[(px>>3&31)<<10|(px>>11&31)<<5|(px>>19&31)] }
	last := ^uint64(0) // two white pixels: index 0, 0
	var pair uint8
	for y := range h {
		line := raw[y*(1+stride) : (y+1)*(1+stride)]
		line[0] = 0
		pix := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):]
		for i := range w / 2 {
			v := binary.LittleEndian.Uint64(pix[8*i:])
			if v != last {
				last = v
				pair = index(uint32(v))<<4 | index(uint32(v>>32))
			}
			line[1+i] = pair
		}
		if w%2 == 1 {
			line[stride] = index(binary.LittleEndian.Uint32(pix[4*(w-1):])) << 4
		}
	}
	return raw
}

// rawPool reuses scanline buffers (half a megabyte) between charts.
var rawPool = sync.Pool{New: func() any { return new([]byte) }}

// Deflating is most of the encoding time. BestSpeed is three times as
// fast as the default level and makes a week's chart about 20 KB, 2 KB more
// than the default; a month's chart, with three times the text, comes out
// at 37 KB fast and 25 KB at the default level. So charts are compressed
// fast, and again at the default level when that is not small enough
// (sizes checked in TestPNGSize).
const fastMaxBytes = 24 << 10

// zlibPools reuse deflate state (about 1 MB) between charts, per level.
var zlibPools = map[int]*sync.Pool{zlib.BestSpeed: zlibPool(zlib.BestSpeed), zlib.DefaultCompression: zlibPool(zlib.DefaultCompression)}

func zlibPool(level int) *sync.Pool {
	return &sync.Pool{New: func() any {
		w, _ := zlib.NewWriterLevel(nil, level)
		return w
	}}
}

// compress returns raw as a zlib stream.
func compress(raw []byte, level int) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(32 << 10)
	zw := zlibPools[level].Get().(*zlib.Writer)
	defer zlibPools[level].Put(zw)
	zw.Reset(&out)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("chart: compress png: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("chart: compress png: %w", err)
	}
	return out.Bytes(), nil
}

// encode writes img as a 4-bit paletted PNG. image/png would do, but it
// reads a paletted image pixel by pixel through an interface, which
// costs as much as the deflating; the format is simple enough to write
// directly (PNG spec, sections 5 and 11).
func encode(img *image.RGBA) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()

	var out bytes.Buffer
	out.Grow(32 << 10)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 4 // bit depth
	ihdr[9] = 3 // colour type: palette
	// compression, filter and interlace methods 0
	chunk(&out, "IHDR", ihdr[:])
	plte := make([]byte, 0, 3*len(palette))
	for _, c := range palette {
		r, g, b, _ := c.RGBA()
		plte = append(plte, uint8(r>>8), uint8(g>>8), uint8(b>>8))
	}
	chunk(&out, "PLTE", plte)

	rawp := rawPool.Get().(*[]byte)
	defer rawPool.Put(rawp)
	*rawp = scanlines(img, *rawp)
	raw := *rawp
	idat, err := compress(raw, zlib.BestSpeed)
	if err == nil && len(idat) > fastMaxBytes {
		idat, err = compress(raw, zlib.DefaultCompression)
	}
	if err != nil {
		return nil, err
	}
	chunk(&out, "IDAT", idat)
	chunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

// chunk appends a PNG chunk: length, type, data and the CRC of type and
// data.
func chunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	out.WriteString(typ)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}
