//go:build ignore

// samples_gen draws the playground's sample photos: small, simple scenes
// that stand in for what a cadre would photograph. Run `go generate
// ./playground` after changing it; the JPEGs are committed.
package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
)

const w, h = 320, 240

var (
	sky     = color.RGBA{170, 205, 235, 255}
	grass   = color.RGBA{120, 170, 90, 255}
	asphalt = color.RGBA{90, 90, 95, 255}
	white   = color.RGBA{240, 240, 240, 255}
	hole    = color.RGBA{40, 35, 30, 255}
	water   = color.RGBA{110, 140, 170, 255}
	bin     = color.RGBA{30, 120, 60, 255}
	trash   = color.RGBA{150, 110, 70, 255}
	wall    = color.RGBA{200, 190, 170, 255}
)

func rect(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
}

func ellipse(img *image.RGBA, cx, cy, rx, ry int, c color.Color) {
	for y := cy - ry; y <= cy+ry; y++ {
		for x := cx - rx; x <= cx+rx; x++ {
			dx, dy := float64(x-cx)/float64(rx), float64(y-cy)/float64(ry)
			if dx*dx+dy*dy <= 1 {
				img.Set(x, y, c)
			}
		}
	}
}

func scene(ground color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rect(img, 0, 0, w, 90, sky)
	rect(img, 0, 90, w, h, ground)
	return img
}

// parking: a factory gate with vehicles parked across the road.
func parking() *image.RGBA {
	img := scene(grass)
	rect(img, 20, 40, 140, 100, wall)
	rect(img, 0, 130, w, 200, asphalt)
	for x := 10; x < w; x += 40 {
		rect(img, x, 163, x+20, 167, white)
	}
	cars := []struct {
		x, y int
		c    color.RGBA
	}{{30, 120, color.RGBA{200, 40, 40, 255}}, {90, 140, color.RGBA{40, 80, 200, 255}}, {170, 125, color.RGBA{230, 200, 40, 255}}, {230, 150, color.RGBA{230, 230, 230, 255}}}
	for _, c := range cars {
		rect(img, c.x, c.y, c.x+60, c.y+28, c.c)
		ellipse(img, c.x+12, c.y+28, 7, 7, hole)
		ellipse(img, c.x+48, c.y+28, 7, 7, hole)
	}
	return img
}

// pothole: a bridge deck with a hole full of rainwater.
func pothole() *image.RGBA {
	img := scene(grass)
	rect(img, 40, 95, 280, h, asphalt)
	rect(img, 36, 95, 40, h, white)
	rect(img, 280, 95, 284, h, white)
	ellipse(img, 160, 170, 55, 25, hole)
	ellipse(img, 160, 172, 45, 18, water)
	return img
}

// garbage: an overflowing collection point.
func garbage() *image.RGBA {
	img := scene(color.RGBA{160, 150, 120, 255})
	for i, x := range []int{60, 140, 220} {
		rect(img, x, 110+i%2*6, x+50, 190, bin)
	}
	for _, b := range [][3]int{{80, 105, 30}, {165, 100, 35}, {240, 108, 28}, {40, 200, 25}, {120, 205, 30}, {200, 210, 28}, {280, 200, 22}} {
		ellipse(img, b[0], b[1], b[2], b[2]*2/3, trash)
	}
	return img
}

func main() {
	for name, img := range map[string]*image.RGBA{"parking.jpg": parking(), "pothole.jpg": pothole(), "garbage.jpg": garbage()} {
		f, err := os.Create(filepath.Join("assets", "samples", name))
		if err != nil {
			log.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 70}); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
