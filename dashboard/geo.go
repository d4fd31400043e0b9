package dashboard

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The map's drawing area, in SVG units (the page scales it).
const (
	mapW    = 800
	mapH    = 520
	mapPad  = 24
	tileMax = 18
)

// mapView is an SVG scatter of open problems on Web Mercator, with tiles
// under it when the config names a tile server.
type mapView struct {
	W, H        int
	Tiles       []tileView
	Attribution string
	Villages    []placeView
	Points      []pointView
	With, Of    int
	Legend      []legendView
}

type tileView struct {
	X, Y, Size float64
	URL        string
}

type pointView struct {
	X, Y       float64
	URL, Title string
	Tone       string
	Focus      bool
}

type legendView struct{ Tone, Text string }

// placeView is a village group where /setvillage put it; Label is empty
// when there are too many to name.
type placeView struct {
	X, Y, TX     float64 // TX: where the label starts
	Label, Title string
}

// maxLabels is how many villages the map names; more would overlap.
const maxLabels = 60

// mercator maps a position to [0, 1]² on the Web Mercator plane, as tile
// servers number their tiles.
func mercator(lat, lon float64) (x, y float64) {
	lat = math.Max(-85.05112878, math.Min(85.05112878, lat))
	x = (lon + 180) / 360
	s := math.Sin(lat * math.Pi / 180)
	y = 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	return x, y
}

// projection fits a set of plane points into the drawing area. With
// tiles, the scale snaps to a zoom level, so the tiles sit at their own
// resolution.
type projection struct {
	scale, ox, oy float64 // SVG units per plane unit; plane point at SVG (0, 0)
	zoom          int
}

func fit(xs, ys []float64, tiles bool) projection {
	minX, maxX, minY, maxY := xs[0], xs[0], ys[0], ys[0]
	for i := range xs {
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	// At least a few kilometres across, so one problem is not a whole
	// map.
	const minSpan = 4e-5
	dx, dy := math.Max(maxX-minX, minSpan), math.Max(maxY-minY, minSpan)
	scale := math.Min((mapW-2*mapPad)/dx, (mapH-2*mapPad)/dy)
	p := projection{}
	if tiles {
		z := int(math.Floor(math.Log2(scale / 256)))
		p.zoom = max(1, min(tileMax, z))
		scale = 256 * math.Exp2(float64(p.zoom))
	}
	p.scale = scale
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	p.ox, p.oy = cx-mapW/2/scale, cy-mapH/2/scale
	return p
}

func (p projection) at(x, y float64) (float64, float64) {
	return round1((x - p.ox) * p.scale), round1((y - p.oy) * p.scale)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// tiles lists the tiles that cover the drawing area at p's zoom.
func (p projection) tiles(template string) []tileView {
	n := math.Exp2(float64(p.zoom))
	x0, y0 := int(math.Floor(p.ox*n)), int(math.Floor(p.oy*n))
	x1, y1 := int(math.Floor((p.ox+mapW/p.scale)*n)), int(math.Floor((p.oy+mapH/p.scale)*n))
	var out []tileView
	for ty := max(y0, 0); ty <= min(y1, int(n)-1); ty++ {
		for tx := x0; tx <= x1; tx++ {
			wx := ((tx % int(n)) + int(n)) % int(n) // the world wraps east-west
			u := strings.NewReplacer("{z}", strconv.Itoa(p.zoom), "{x}", strconv.Itoa(wx), "{y}", strconv.Itoa(ty)).Replace(template)
			x, y := p.at(float64(tx)/n, float64(ty)/n)
			out = append(out, tileView{X: x, Y: y, Size: round1(p.scale / n), URL: u})
		}
	}
	return out
}

// mapPage draws the unit's open problems that have a location.
func (s *Server) mapPage(ctx context.Context, q *req, d *pageData) (string, error) {
	open, err := s.Problems.Open(ctx, q.unit)
	if err != nil {
		return "", err
	}
	now := s.Now()
	focus := q.Query().Get("focus")
	v := &mapView{W: mapW, H: mapH, Of: len(open)}
	var xs, ys []float64
	for i := range open {
		if p := &open[i]; p.HasLoc {
			x, y := mercator(p.Lat, p.Lon)
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	v.With = len(xs)
	for _, t := range []string{"overdue", "held", "returned"} {
		v.Legend = append(v.Legend, legendView{Tone: t, Text: s.t(q.lang, "dash_map_"+t)})
	}
	d.Map = v
	if len(xs) == 0 {
		return "map", nil
	}
	// The village groups with a position frame the problems.
	villages := []Unit{q.unit}
	if q.unit.Kind != KindVillage {
		if villages, err = s.below(ctx, q.unit, KindVillage); err != nil {
			return "", err
		}
	}
	var vx, vy []float64
	var placed []Unit
	for _, u := range villages {
		if u.Lat != 0 || u.Lon != 0 {
			x, y := mercator(u.Lat, u.Lon)
			vx, vy, placed = append(vx, x), append(vy, y), append(placed, u)
		}
	}
	tiles := s.Cfg != nil && s.Cfg.Dashboard.MapTiles != ""
	p := fit(append(slices.Clone(xs), vx...), append(slices.Clone(ys), vy...), tiles)
	for i, u := range placed {
		x, y := p.at(vx[i], vy[i])
		pv := placeView{X: x, Y: y, TX: x + 8, Title: u.Name}
		if len(placed) <= maxLabels {
			pv.Label = u.Name
		}
		v.Villages = append(v.Villages, pv)
	}
	if tiles {
		v.Tiles = p.tiles(s.Cfg.Dashboard.MapTiles)
		v.Attribution = s.Cfg.Dashboard.MapAttribution
	}
	i := 0
	for j := range open {
		pr := &open[j]
		if !pr.HasLoc {
			continue
		}
		x, y := p.at(xs[i], ys[i])
		i++
		id := strconv.FormatInt(pr.ID, 10)
		v.Points = append(v.Points, pointView{X: x, Y: y, URL: q.url("problem/" + id), Tone: statusTone(pr, now), Focus: id == focus,
			Title: "#" + id + " " + pr.Village + " · " + s.catName(q.lang, pr.Category) + " · " + s.t(q.lang, "pr_status_"+string(pr.Status))})
	}
	// Overdue dots last, so they are drawn on top.
	tone := map[string]int{"done": 0, "returned": 1, "held": 2, "overdue": 3}
	slices.SortStableFunc(v.Points, func(a, b pointView) int { return tone[a.Tone] - tone[b.Tone] })
	return "map", nil
}
