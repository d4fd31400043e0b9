package cadrebot

import (
	"math"
	"testing"
)

func TestParseCheckinText(t *testing.T) {
	tests := []struct {
		in   string
		note string
		ok   bool
	}{
		{"打卡", "", true},
		{"签到", "", true},
		{"  打卡  ", "", true},
		{"打卡 在村委会", "在村委会", true},
		{"打卡，走访农户", "走访农户", true},
		{"签到：<b>&amp;", "<b>&amp;", true},
		{"打卡！", "", true},
		{"打卡\n今天去镇里开会", "今天去镇里开会", true},
		{"打卡机坏了", "", false},
		{"签到表在哪", "", false},
		{"我打卡了", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		note, ok := ParseCheckinText(tt.in)
		if note != tt.note || ok != tt.ok {
			t.Errorf("ParseCheckinText(%q) = %q, %v; want %q, %v", tt.in, note, ok, tt.note, tt.ok)
		}
	}
}

func TestDistanceAndOffSite(t *testing.T) {
	// One degree of latitude is about 111.2 km everywhere.
	if d := DistanceM(Point{30, 120}, Point{31, 120}); math.Abs(d-111195) > 100 {
		t.Errorf("DistanceM over 1° of latitude = %.0f m, want about 111195", d)
	}
	if d := DistanceM(Point{30.2741, 120.1551}, Point{30.2741, 120.1551}); d != 0 {
		t.Errorf("DistanceM to itself = %v", d)
	}
	g := &Group{Lat: 30.2741, Lon: 120.1551, RadiusM: 1000}
	tests := []struct {
		p    Point
		want bool
	}{
		{Point{30.2751, 120.1561}, false}, // ~145 m
		{Point{30.2830, 120.1551}, false}, // ~990 m: just inside
		{Point{30.2841, 120.1551}, true},  // ~1.1 km
		{Point{30.3741, 120.1551}, true},
	}
	for _, tt := range tests {
		if got := g.OffSite(tt.p); got != tt.want {
			t.Errorf("OffSite(%v) = %v, want %v (%.0f m)", tt.p, got, tt.want, DistanceM(Point{g.Lat, g.Lon}, tt.p))
		}
	}
	if (&Group{}).OffSite(Point{0, 0}) {
		t.Error("a group without a village position marked a check-in off-site")
	}
}

func TestLeaveKinds(t *testing.T) {
	tests := []struct {
		in                       string
		want                     LeaveKind
		present, excused, remind bool
	}{
		{"请假", LeaveAbsence, false, true, false},
		{"出差", LeaveTrip, true, false, false},
		{"外出", LeaveOuting, false, false, false},
		{"TRIP", LeaveTrip, true, false, false},
	}
	for _, tt := range tests {
		k, ok := ParseLeaveKind(tt.in)
		if !ok || k != tt.want || k.CountsPresent() != tt.present || k.Excused() != tt.excused || k.Reminds() != tt.remind {
			t.Errorf("ParseLeaveKind(%q) = %v, %v", tt.in, k, ok)
		}
	}
	if _, ok := ParseLeaveKind("旅游"); ok {
		t.Error("ParseLeaveKind accepted 旅游")
	}
}
