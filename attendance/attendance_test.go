package attendance

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/calendar"
)

var cal = calendar.New(calendar.Overrides{})

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

// bitmaps builds year bitmaps with the SETBIT layout.
type bitmaps map[int][]byte

func (b bitmaps) set(index int, days ...string) bitmaps {
	for _, s := range days {
		day := d(s)
		off := BitOffset(index, day)
		bm := b[day.Year]
		for int64(len(bm)) <= off/8 {
			bm = append(bm, 0)
		}
		bm[off/8] |= 0x80 >> (off % 8)
		b[day.Year] = bm
	}
	return b
}

func TestLayout(t *testing.T) {
	tests := []struct {
		index int
		day   string
		want  int64
	}{
		{0, "2026-01-01", 0},
		{0, "2026-12-31", 364},
		{0, "2024-12-31", 365}, // leap year
		{1, "2026-01-01", 368},
		{3, "2026-02-14", 3*368 + 44},
	}
	for _, tt := range tests {
		if got := BitOffset(tt.index, d(tt.day)); got != tt.want {
			t.Errorf("BitOffset(%d, %s) = %d, want %d", tt.index, tt.day, got, tt.want)
		}
	}
	if RowBits%8 != 0 || RowBits < 366 {
		t.Errorf("RowBits = %d: rows must be whole bytes and hold a leap year", RowBits)
	}
}

func TestSpringFestival2026(t *testing.T) {
	// The calendar facts the tests below rely on.
	for s, want := range map[string]bool{
		"2026-02-13": true, "2026-02-14": true /* 调休 Saturday */, "2026-02-15": false,
		"2026-02-23": false, "2026-02-24": true, "2026-02-28": true /* 调休 Saturday */, "2026-03-01": false,
	} {
		if got := cal.IsWorkday(d(s)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestStreak(t *testing.T) {
	tests := []struct {
		name   string
		bits   bitmaps
		leaves Leaves
		day    string
		want   int
	}{
		{"none", bitmaps{2026: nil, 2025: nil}, nil, "2026-11-30", 0},
		{"today only", bitmaps{2025: nil}.set(0, "2026-11-30"), nil, "2026-11-30", 1},
		{"over a weekend", bitmaps{2025: nil}.set(0, "2026-11-26", "2026-11-27", "2026-11-30"), nil, "2026-11-30", 3},
		{"gap breaks it", bitmaps{2025: nil}.set(0, "2026-11-25", "2026-11-27", "2026-11-30"), nil, "2026-11-30", 2},
		{"weekend day counts the week", bitmaps{2025: nil}.set(0, "2026-11-26", "2026-11-27", "2026-11-28"), nil, "2026-11-28", 2},
		{"leave is skipped", bitmaps{2025: nil}.set(0, "2026-11-24", "2026-11-30"),
			Leaves{{From: d("2026-11-25"), To: d("2026-11-27"), Kind: cadrebot.LeaveAbsence}}, "2026-11-30", 2},
		{"trip counts", bitmaps{2025: nil}.set(0, "2026-11-24", "2026-11-30"),
			Leaves{{From: d("2026-11-25"), To: d("2026-11-27"), Kind: cadrebot.LeaveTrip}}, "2026-11-30", 5},
		{"outing breaks it", bitmaps{2025: nil}.set(0, "2026-11-24", "2026-11-30"),
			Leaves{{From: d("2026-11-27"), To: d("2026-11-27"), Kind: cadrebot.LeaveOuting}}, "2026-11-30", 1},
		{"spring festival and 调休 Saturday", bitmaps{2025: nil}.set(0, "2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24"), nil, "2026-02-24", 4},
		{"across the new year", bitmaps{}.set(0, "2025-12-30", "2025-12-31", "2026-01-04" /* 调休 Sunday */, "2026-01-05"), nil, "2026-01-05", 4},
		{"other members do not count", bitmaps{2025: nil}.set(1, "2026-11-27").set(0, "2026-11-30"), nil, "2026-11-30", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.bits[2026]; !ok {
				tt.bits[2026] = nil
			}
			got, complete := Streak(cal, NewRow(tt.bits, nil, 0, tt.leaves), d(tt.day))
			if got != tt.want || !complete {
				t.Errorf("Streak(%s) = %d, %v; want %d, true", tt.day, got, complete, tt.want)
			}
		})
	}
}

func TestStreakIncompleteAtLoadedYears(t *testing.T) {
	var days []string
	for x := d("2026-01-01"); !x.After(d("2026-01-09")); x = x.AddDays(1) {
		days = append(days, x.String())
	}
	b := bitmaps{}.set(0, days...)
	// 2025 is not loaded, and the streak reaches back to it.
	if got, complete := Streak(cal, NewRow(b, nil, 0, nil), d("2026-01-09")); complete || got != 6 {
		t.Errorf("Streak = %d, %v; want 6 so far and incomplete", got, complete)
	}
	b[2025] = nil
	if got, complete := Streak(cal, NewRow(b, nil, 0, nil), d("2026-01-09")); !complete || got != 6 {
		t.Errorf("Streak = %d, %v; want 6, complete", got, complete)
	}
}

func TestLeavesSetAndCancel(t *testing.T) {
	l := func(f, to string, k cadrebot.LeaveKind) Leave { return Leave{From: d(f), To: d(to), Kind: k} }
	ls := Leaves{}.Set(l("2026-12-01", "2026-12-10", cadrebot.LeaveAbsence))
	ls = ls.Set(l("2026-12-04", "2026-12-05", cadrebot.LeaveTrip))
	want := Leaves{
		l("2026-12-01", "2026-12-03", cadrebot.LeaveAbsence),
		l("2026-12-04", "2026-12-05", cadrebot.LeaveTrip),
		l("2026-12-06", "2026-12-10", cadrebot.LeaveAbsence),
	}
	if diff := cmp.Diff(want, ls); diff != "" {
		t.Errorf("Set (-want +got):\n%s", diff)
	}
	if k, ok := ls.On(d("2026-12-05")); !ok || k != cadrebot.LeaveTrip {
		t.Errorf("On(12-05) = %v, %v", k, ok)
	}
	if _, ok := ls.On(d("2026-12-11")); ok {
		t.Error("On(12-11) found leave")
	}
	got, changed := ls.Cancel(d("2026-12-05"))
	want = Leaves{
		l("2026-12-01", "2026-12-03", cadrebot.LeaveAbsence),
		l("2026-12-04", "2026-12-04", cadrebot.LeaveTrip),
	}
	if diff := cmp.Diff(want, got); diff != "" || !changed {
		t.Errorf("Cancel changed=%v (-want +got):\n%s", changed, diff)
	}
	if _, changed := got.Cancel(d("2026-12-20")); changed {
		t.Error("Cancel after all leave reported a change")
	}
	if got := ls.Prune(d("2026-12-06")); len(got) != 1 || (got[0].From != d("2026-12-06")) {
		t.Errorf("Prune = %v", got)
	}
}

func TestOutingCap(t *testing.T) {
	out := func(f, to string) Leave { return Leave{From: d(f), To: d(to), Kind: cadrebot.LeaveOuting} }
	ls := Leaves{}.Set(out("2026-12-01", "2026-12-02"))
	// Saturday 12-05 and Sunday 12-06 are not workdays, so they are free.
	n := out("2026-12-04", "2026-12-06")
	ls2 := ls.Set(n)
	if got := ls2.OutingDays(cal, 2026, time.December); got != 3 {
		t.Errorf("OutingDays = %d, want 3", got)
	}
	if _, _, _, ok := ls2.OverOutingCap(cal, n, 3); !ok {
		t.Error("3 days under a cap of 3 refused")
	}
	if y, m, used, ok := ls2.OverOutingCap(cal, n, 2); ok || y != 2026 || m != time.December || used != 3 {
		t.Errorf("OverOutingCap = %d-%d %d %v; want 2026-12 3 false", y, m, used, ok)
	}
	// A range across two months is capped per month.
	n = out("2026-11-30", "2026-12-03")
	if _, m, used, ok := (Leaves{}).Set(n).OverOutingCap(cal, n, 2); ok || m != time.December || used != 3 {
		t.Errorf("cross-month OverOutingCap = %v %d %v", m, used, ok)
	}
}

func TestRates(t *testing.T) {
	wang := cadrebot.Member{UserID: 1, Name: "王芳", Index: 0}
	li := cadrebot.Member{UserID: 2, Name: "李强", Index: 1}
	zhang := cadrebot.Member{UserID: 3, Name: "张伟", Index: 2}
	// The week of Spring Festival 2026: Mon 02-09 .. Sat 02-14 (调休),
	// then the holiday from Sunday 02-15.
	bits := bitmaps{}.
		set(0, "2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12", "2026-02-13", "2026-02-14", "2026-02-16").
		set(1, "2026-02-09", "2026-02-10").
		set(2, "2026-02-09")
	off := bitmaps{}.set(0, "2026-02-10")
	p := &Period{
		Chat: -1, From: d("2026-02-09"), To: d("2026-02-16"),
		Roster: []cadrebot.Member{wang, li, zhang},
		Bits:   bits, Off: off,
		Leaves: map[int64]Leaves{
			2: {{From: d("2026-02-11"), To: d("2026-02-12"), Kind: cadrebot.LeaveAbsence}, {From: d("2026-02-13"), To: d("2026-02-13"), Kind: cadrebot.LeaveOuting}},
			3: {{From: d("2026-02-10"), To: d("2026-02-14"), Kind: cadrebot.LeaveTrip}},
		},
	}
	g := Rates(cal, p)
	if g.Workdays != 6 {
		t.Fatalf("Workdays = %d, want 6 (Mon-Fri plus the 调休 Saturday; the holiday Monday does not count)", g.Workdays)
	}
	want := []MemberRate{
		{Member: wang, Workdays: 6, Present: 6, CheckedIn: 6, OffSite: 1, InVillage: 6, OnRoster: true},
		{Member: li, Workdays: 6, Present: 2, CheckedIn: 2, Leave: 2, Outing: 1, Absent: 2, InVillage: 2, OnRoster: true},
		{Member: zhang, Workdays: 6, Present: 6, CheckedIn: 1, Trip: 5, InVillage: 1, OnRoster: true},
	}
	if diff := cmp.Diff(want, g.Members); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
	for i, wantPct := range []string{"100.0%", "50.0%", "100.0%"} {
		if got := g.Members[i].Percent(); got != wantPct {
			t.Errorf("%s Percent = %s, want %s", g.Members[i].Member.Name, got, wantPct)
		}
	}
	if g.Present != 14 || g.Expected != 16 || g.Percent() != "87.5%" {
		t.Errorf("group = %d/%d %s, want 14/16 87.5%%", g.Present, g.Expected, g.Percent())
	}
	if len(g.Days) != 8 || g.Days[7].Workday || g.Days[5].Present != 2 || g.Days[5].Expected != 3 {
		t.Errorf("Days = %+v", g.Days)
	}
	if r, ok := g.Days[2].Rate(); !ok || r != 1 { // Wed: Wang in, Li on leave, Zhang on a trip
		t.Errorf("Wednesday rate = %v, %v; want 1", r, ok)
	}
}

// TestRatesServicePeriods: a cadre counts only on the days of their
// service. The week of 2026-11-30: Wang joined on Wednesday, Li left
// after Tuesday (a former member now), Zhang is on the roster from
// before periods were kept, so the group's creation (Thursday) starts
// his service.
func TestRatesServicePeriods(t *testing.T) {
	wang := cadrebot.Member{UserID: 1, Name: "王芳", Index: 0}
	li := cadrebot.Member{UserID: 2, Name: "李强", Index: 1}
	zhang := cadrebot.Member{UserID: 3, Name: "张伟", Index: 2}
	gone := cadrebot.Member{UserID: 4, Name: "赵敏", Index: 3}
	bits := bitmaps{}.
		set(0, "2026-11-30", "2026-12-02", "2026-12-03"). // Monday before joining: not counted
		set(1, "2026-11-30", "2026-12-03").               // Thursday after leaving: not counted
		set(2, "2026-12-03", "2026-12-04")
	p := &Period{
		Chat: -1, From: d("2026-11-30"), To: d("2026-12-04"),
		Roster: []cadrebot.Member{wang, zhang}, Former: []cadrebot.Member{gone, li},
		Created: d("2026-12-03"),
		Service: map[int64]Services{
			1: {{From: d("2026-12-02")}},
			2: {{From: d("2026-11-01"), To: d("2026-12-01"), Batch: "第19批", Ended: EndLeft}},
			4: {{From: d("2026-10-01"), To: d("2026-10-31"), Ended: EndHandover}},
		},
		Bits: bits,
	}
	g := Rates(cal, p)
	want := []MemberRate{
		{Member: wang, Workdays: 3, Present: 2, CheckedIn: 2, Absent: 1, InVillage: 2, OnRoster: true},
		{Member: zhang, Workdays: 2, Present: 2, CheckedIn: 2, InVillage: 2, OnRoster: true},
		{Member: li, Workdays: 2, Present: 1, CheckedIn: 1, Absent: 1, InVillage: 1},
	}
	if diff := cmp.Diff(want, g.Members); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
	if g.Present != 5 || g.Expected != 7 {
		t.Errorf("group = %d/%d, want 5/7", g.Present, g.Expected)
	}
	// Monday: only Li served (Zhang's service starts Thursday).
	if g.Days[0].Expected != 1 || g.Days[0].Present != 1 || g.Days[3].Expected != 2 {
		t.Errorf("Days = %+v", g.Days)
	}
	if got := ServiceRate(cal, p, li, p.Service[2][0]); got.Workdays != 2 || got.Present != 1 {
		t.Errorf("ServiceRate(li) = %+v, want 1 of 2", got)
	}
	if got := ServiceRate(cal, p, gone, p.Service[4][0]); got.Workdays != 0 {
		t.Errorf("ServiceRate outside the period = %+v, want nothing", got)
	}
	if got := len(p.Everyone()); got != 4 {
		t.Errorf("Everyone = %d cadres, want 4", got)
	}
	// Joined and left the same day without checking in: no day at all.
	empty := Service{From: d("2026-12-02"), To: d("2026-12-01")}
	if empty.Covers(d("2026-12-02")) || empty.Overlaps(d("2026-11-01"), d("2026-12-31")) {
		t.Errorf("an empty period covers a day")
	}
}

func TestRatesNeverNaN(t *testing.T) {
	tests := []struct {
		name string
		p    *Period
	}{
		{"holiday week", &Period{From: d("2026-02-16"), To: d("2026-02-20"), Roster: []cadrebot.Member{{UserID: 1}}}},
		{"empty roster", &Period{From: d("2026-11-30"), To: d("2026-12-04")}},
		{"everyone on leave", &Period{From: d("2026-11-30"), To: d("2026-12-04"), Roster: []cadrebot.Member{{UserID: 1}},
			Leaves: map[int64]Leaves{1: {{From: d("2026-11-01"), To: d("2026-12-31"), Kind: cadrebot.LeaveAbsence}}}}},
		{"to before from", &Period{From: d("2026-12-04"), To: d("2026-11-30"), Roster: []cadrebot.Member{{UserID: 1}}}},
	}
	for _, tt := range tests {
		g := Rates(cal, tt.p)
		if got := g.Percent(); got != "—" {
			t.Errorf("%s: Percent = %q, want —", tt.name, got)
		}
		for _, m := range g.Members {
			if got := m.Percent(); got != "—" {
				t.Errorf("%s: member Percent = %q, want —", tt.name, got)
			}
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		num, den int
		want     string
	}{{2, 3, "66.7%"}, {1, 8, "12.5%"}, {0, 5, "0.0%"}, {5, 5, "100.0%"}, {0, 0, "—"}} {
		if got := Percent(tt.num, tt.den); got != tt.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", tt.num, tt.den, got, tt.want)
		}
	}
}

func BenchmarkRatesMonth20(b *testing.B) {
	roster := make([]cadrebot.Member, 20)
	bits := bitmaps{}
	for i := range roster {
		roster[i] = cadrebot.Member{UserID: int64(i + 1), Index: i}
		for x := d("2026-11-01"); !x.After(d("2026-11-30")); x = x.AddDays(1) {
			if (i+x.Day)%7 != 0 {
				bits.set(i, x.String())
			}
		}
	}
	p := &Period{From: d("2026-11-01"), To: d("2026-11-30"), Roster: roster, Bits: bits}
	b.ReportAllocs()
	for b.Loop() {
		Rates(cal, p)
	}
}
