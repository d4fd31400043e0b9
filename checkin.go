package cadrebot

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxNoteRunes bounds a check-in note. A longer note is refused rather
// than cut, so nothing the cadre wrote is silently lost; the board shows
// notes shortened, /today in full.
const MaxNoteRunes = 200

// Point is a position in degrees (WGS-84, as Telegram sends it).
type Point struct{ Lat, Lon float64 }

// Valid reports whether p is a position on Earth.
func (p Point) Valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// earthRadiusM is the mean Earth radius (IUGG), ample for "is this
// cadre within a few kilometres of the village".
const earthRadiusM = 6371008.8

// DistanceM is the great-circle (haversine) distance between a and b in
// metres.
func DistanceM(a, b Point) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// VillagePoint returns the group's village position and whether one is
// set (/setvillage or config); a radius of 0 means unset.
func (g *Group) VillagePoint() (Point, bool) {
	if g == nil || !(g.RadiusM > 0) {
		return Point{}, false
	}
	return Point{Lat: g.Lat, Lon: g.Lon}, true
}

// OffSite reports whether a check-in at p is farther from the group's
// village than its radius. Without a village position nothing is
// off-site: the bot cannot tell.
func (g *Group) OffSite(p Point) bool {
	v, ok := g.VillagePoint()
	return ok && DistanceM(v, p) > g.RadiusM
}

// Checkin is one member's check-in of one day, as /today and the board
// show it. Where is nil unless a location was shared.
type Checkin struct {
	UserID int64
	// Minute is when the day's first check-in came, in minutes after
	// midnight in the group's zone; -1 when unknown (the detail expired).
	Minute  int
	Note    string
	Where   *Point
	OffSite bool
}

// Clock is the check-in time as "08:31", or "" when unknown.
func (c Checkin) Clock() string {
	if c.Minute < 0 || c.Minute >= 24*60 {
		return ""
	}
	return fmt.Sprintf("%02d:%02d", c.Minute/60, c.Minute%60)
}

// MinuteOf is t's minutes after midnight on t's own clock; convert t to
// the group's zone first.
func MinuteOf(t time.Time) int { return t.Hour()*60 + t.Minute() }

// checkinWords are what cadres type in Chinese groups instead of
// /checkin.
var checkinWords = []string{"打卡", "签到"}

// noteSeparators may sit between the word and the note: "打卡，在村委会".
const noteSeparators = ",，:：。.!！、;；~～-—"

// ParseCheckinText reports whether a plain message is a check-in ("打卡"
// or "签到", alone or followed by a note) and returns the note. The word
// must stand on its own, so "打卡机坏了" is not a check-in.
func ParseCheckinText(text string) (note string, ok bool) {
	text = strings.TrimSpace(text)
	for _, w := range checkinWords {
		rest, found := strings.CutPrefix(text, w)
		if !found {
			continue
		}
		if rest == "" {
			return "", true
		}
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsSpace(r) && !strings.ContainsRune(noteSeparators, r) {
			return "", false
		}
		rest = strings.TrimLeftFunc(rest, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune(noteSeparators, r)
		})
		return strings.TrimSpace(rest), true
	}
	return "", false
}

// LeaveKind is a kind of absence under local attendance rules.
type LeaveKind string

// The kinds of leave. Their effect on reminders and rates is decided by
// the methods below and nowhere else.
const (
	LeaveAbsence LeaveKind = "leave"  // 请假
	LeaveTrip    LeaveKind = "trip"   // 出差
	LeaveOuting  LeaveKind = "outing" // 外出
)

// ParseLeaveKind accepts the Chinese words and English names.
func ParseLeaveKind(s string) (LeaveKind, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "请假", "休假", "leave":
		return LeaveAbsence, true
	case "出差", "trip", "business":
		return LeaveTrip, true
	case "外出", "out", "outing":
		return LeaveOuting, true
	}
	return "", false
}

// Valid reports whether k is one of the kinds.
func (k LeaveKind) Valid() bool {
	return k == LeaveAbsence || k == LeaveTrip || k == LeaveOuting
}

// CountsPresent reports whether a workday of this kind counts as present
// even without a check-in (出差).
func (k LeaveKind) CountsPresent() bool { return k == LeaveTrip }

// Excused reports whether a workday of this kind is left out of the rate
// when there is no check-in (请假).
func (k LeaveKind) Excused() bool { return k == LeaveAbsence }

// Reminds reports whether a member on this kind of leave still gets
// reminders: none of the kinds does.
func (k LeaveKind) Reminds() bool { return false }
