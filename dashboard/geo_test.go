package dashboard

import (
	"math"
	"strings"
	"testing"
)

func TestMercator(t *testing.T) {
	tests := []struct{ lat, lon, x, y float64 }{
		{0, 0, 0.5, 0.5},
		{0, -180, 0, 0.5},
		{85.05112878, 180, 1, 0},
		{-89, 0, 0.5, 1}, // clamped to the square
	}
	for _, tt := range tests {
		x, y := mercator(tt.lat, tt.lon)
		if math.Abs(x-tt.x) > 1e-6 || math.Abs(y-tt.y) > 1e-6 {
			t.Errorf("mercator(%v, %v) = %v, %v; want %v, %v", tt.lat, tt.lon, x, y, tt.x, tt.y)
		}
	}
}

// Points fit inside the drawing area, north up; with tiles the scale is a
// zoom level's and the tiles cover the whole area at it.
func TestFitAndTiles(t *testing.T) {
	lats := []float64{29.9321, 29.8015, 30.0004}
	lons := []float64{120.6449, 120.6911, 120.5802}
	var xs, ys []float64
	for i := range lats {
		x, y := mercator(lats[i], lons[i])
		xs, ys = append(xs, x), append(ys, y)
	}
	for _, tiles := range []bool{false, true} {
		p := fit(xs, ys, tiles)
		for i := range xs {
			x, y := p.at(xs[i], ys[i])
			if x < 0 || x > mapW || y < 0 || y > mapH {
				t.Errorf("tiles=%v: point %d at (%v, %v), outside %dx%d", tiles, i, x, y, mapW, mapH)
			}
		}
		if _, yN := p.at(xs[2], ys[2]); func() bool { _, yS := p.at(xs[1], ys[1]); return yN >= yS }() {
			t.Errorf("tiles=%v: the northern point is not above the southern one", tiles)
		}
		if !tiles {
			continue
		}
		if p.zoom < 1 || p.zoom > tileMax || p.scale != 256*math.Exp2(float64(p.zoom)) {
			t.Fatalf("zoom %d, scale %v", p.zoom, p.scale)
		}
		ts := p.tiles("https://tiles.example.org/{z}/{x}/{y}.png")
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, tl := range ts {
			if !strings.HasPrefix(tl.URL, "https://tiles.example.org/") || strings.ContainsAny(tl.URL, "{}") || tl.Size != 256 {
				t.Errorf("tile %+v", tl)
			}
			minX, minY = math.Min(minX, tl.X), math.Min(minY, tl.Y)
			maxX, maxY = math.Max(maxX, tl.X+tl.Size), math.Max(maxY, tl.Y+tl.Size)
		}
		if minX > 0 || minY > 0 || maxX < mapW || maxY < mapH {
			t.Errorf("%d tiles cover (%v,%v)-(%v,%v), not the whole %dx%d", len(ts), minX, minY, maxX, maxY, mapW, mapH)
		}
	}
}

func TestMessageLink(t *testing.T) {
	for chat, want := range map[int64]string{
		-1001000000201: "https://t.me/c/1000000201/14",
		-1004:          "", // a basic group has no message links
		42:             "",
	} {
		if got := messageLink(chat, 14); got != want {
			t.Errorf("messageLink(%d) = %q, want %q", chat, got, want)
		}
	}
}
