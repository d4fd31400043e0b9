package calendar

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func d(s string) Date { return MustParseDate(s) }

func dates(ss ...string) []Date {
	out := make([]Date, len(ss))
	for i, s := range ss {
		out[i] = d(s)
	}
	return out
}

type dayCase struct {
	date string
	kind DayKind
	name string // HolidayName
}

func checkDays(t *testing.T, c *Calendar, cases []dayCase) {
	t.Helper()
	for _, tt := range cases {
		day := d(tt.date)
		if got := c.Kind(day); got != tt.kind {
			t.Errorf("Kind(%s %s) = %v, want %v", tt.date, day.Weekday(), got, tt.kind)
		}
		if got, want := c.IsWorkday(day), tt.kind.IsWorkday(); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tt.date, got, want)
		}
		if got := c.HolidayName(day); got != tt.name {
			t.Errorf("HolidayName(%s) = %q, want %q", tt.date, got, tt.name)
		}
	}
}

// TestSpringFestival2026 asserts the State Council arrangement as carried by
// lunar-go v1.4.7: 2026-02-15..23 off (9 days), Saturdays 02-14 and 02-28
// worked instead.
func TestSpringFestival2026(t *testing.T) {
	c := New(Overrides{})
	checkDays(t, c, []dayCase{
		{"2026-02-13", Workday, ""},
		{"2026-02-14", MakeupWorkday, ""}, // Saturday
		{"2026-02-15", Holiday, "春节"},     // Sunday
		{"2026-02-16", Holiday, "春节"},     // Monday, 除夕
		{"2026-02-17", Holiday, "春节"},     // 正月初一
		{"2026-02-18", Holiday, "春节"},
		{"2026-02-19", Holiday, "春节"},
		{"2026-02-20", Holiday, "春节"},
		{"2026-02-21", Holiday, "春节"}, // Saturday
		{"2026-02-22", Holiday, "春节"}, // Sunday
		{"2026-02-23", Holiday, "春节"}, // Monday
		{"2026-02-24", Workday, ""},
		{"2026-02-27", Workday, ""},
		{"2026-02-28", MakeupWorkday, ""}, // Saturday
		{"2026-03-01", Weekend, ""},
	})

	// The same arrangement seen as the raw data, so a lunar-go upgrade that
	// changes it fails here rather than silently shifting attendance.
	var got []string
	for _, s := range Statutory(d("2026-02-01"), d("2026-03-31")) {
		kind := "off"
		if s.Work {
			kind = "work"
		}
		got = append(got, s.Date.String()+" "+s.Name+" "+kind)
	}
	want := []string{
		"2026-02-14 春节 work",
		"2026-02-15 春节 off",
		"2026-02-16 春节 off",
		"2026-02-17 春节 off",
		"2026-02-18 春节 off",
		"2026-02-19 春节 off",
		"2026-02-20 春节 off",
		"2026-02-21 春节 off",
		"2026-02-22 春节 off",
		"2026-02-23 春节 off",
		"2026-02-28 春节 work",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Statutory Feb–Mar 2026 (-want +got):\n%s", diff)
	}
}

func TestNationalDay2026(t *testing.T) {
	c := New(Overrides{})
	checkDays(t, c, []dayCase{
		{"2026-09-19", Weekend, ""},
		{"2026-09-20", MakeupWorkday, ""}, // Sunday
		{"2026-09-24", Workday, ""},
		{"2026-09-25", Holiday, "中秋节"}, // Friday
		{"2026-09-26", Holiday, "中秋节"},
		{"2026-09-27", Holiday, "中秋节"},
		{"2026-09-30", Workday, ""},
		{"2026-10-01", Holiday, "国庆节"},
		{"2026-10-02", Holiday, "国庆节"},
		{"2026-10-03", Holiday, "国庆节"},
		{"2026-10-04", Holiday, "国庆节"},
		{"2026-10-05", Holiday, "国庆节"},
		{"2026-10-06", Holiday, "国庆节"},
		{"2026-10-07", Holiday, "国庆节"},
		{"2026-10-08", Workday, ""},
		{"2026-10-09", Workday, ""},
		{"2026-10-10", MakeupWorkday, ""}, // Saturday
		{"2026-10-11", Weekend, ""},
	})
}

func TestOtherStatutoryDays(t *testing.T) {
	c := New(Overrides{})
	checkDays(t, c, []dayCase{
		// A 调休 Saturday: Labour Day 2026 is paid back on 05-09.
		{"2026-05-09", MakeupWorkday, ""},
		{"2026-05-01", Holiday, "劳动节"},
		{"2026-05-05", Holiday, "劳动节"}, // Tuesday
		{"2026-05-06", Workday, ""},
		{"2026-01-04", MakeupWorkday, ""}, // Sunday after 元旦
		{"2026-01-02", Holiday, "元旦节"},
		{"2025-10-08", Holiday, "国庆中秋"},
		{"2025-10-11", MakeupWorkday, ""},
		{"2027-02-06", Holiday, "春节"},
		{"2027-01-31", MakeupWorkday, ""},
		{"2027-02-14", MakeupWorkday, ""},
		// lunar-go marks these plain weekdays as work days; they must stay
		// ordinary workdays, not make-up ones.
		{"2012-05-02", Workday, ""},
		{"2012-10-08", Workday, ""},
	})
}

func TestOrdinaryWeekends(t *testing.T) {
	c := New(Overrides{})
	checkDays(t, c, []dayCase{
		{"2026-03-07", Weekend, ""}, // Saturday
		{"2026-03-08", Weekend, ""}, // Sunday
		{"2026-03-09", Workday, ""}, // Monday
		{"2026-03-13", Workday, ""}, // Friday
		// Before and far beyond the data the weekly pattern still applies.
		{"1999-01-02", Weekend, ""},
		{"1999-01-04", Workday, ""},
		{"2050-01-01", Weekend, ""}, // Saturday
		{"2050-01-03", Workday, ""},
	})
}

func TestOverridesBeatData(t *testing.T) {
	c := New(Overrides{
		Workdays: dates(
			"2026-02-16", // statutory holiday Monday
			"2026-02-21", // statutory holiday Saturday
			"2026-03-07", // ordinary Saturday
			"2026-10-01", // both forced: Holidays must win
			"2045-01-07", // Saturday outside the precomputed table
		),
		Holidays: dates(
			"2026-02-14", // statutory 调休 Saturday
			"2026-03-10", // ordinary Tuesday
			"2026-10-01",
			"2045-01-09", // Monday outside the precomputed table
		),
	})
	checkDays(t, c, []dayCase{
		{"2026-02-16", Workday, ""},
		{"2026-02-21", MakeupWorkday, ""},
		{"2026-03-07", MakeupWorkday, ""},
		{"2026-02-14", Holiday, ""},
		{"2026-03-10", Holiday, ""},
		{"2026-10-01", Holiday, "国庆节"},
		{"2026-02-17", Holiday, "春节"}, // untouched data still applies
		{"2045-01-07", MakeupWorkday, ""},
		{"2045-01-08", Weekend, ""},
		{"2045-01-09", Holiday, ""},
		{"2045-01-10", Workday, ""},
	})
}

func TestWeekdaysOverride(t *testing.T) {
	sixDay := New(Overrides{Weekdays: []time.Weekday{
		time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday,
	}})
	checkDays(t, sixDay, []dayCase{
		{"2026-03-07", Workday, ""}, // Saturday is a normal working day here
		{"2026-03-08", Weekend, ""},
		{"2026-02-14", Workday, ""}, // 调休 Saturday is no make-up for them
		{"2026-02-21", Holiday, "春节"},
		{"2026-09-20", MakeupWorkday, ""}, // but 调休 Sunday still is
		{"2050-01-01", Workday, ""},
	})

	// Invalid weekdays are dropped rather than wrapping onto real ones.
	odd := New(Overrides{Weekdays: []time.Weekday{time.Wednesday, 7, -1}})
	checkDays(t, odd, []dayCase{
		{"2026-03-11", Workday, ""},
		{"2026-03-09", Weekend, ""},
		{"2026-03-08", Weekend, ""},
	})
}

func TestWorkdaysRange(t *testing.T) {
	c := New(Overrides{})
	tests := []struct {
		name     string
		from, to string
		want     []Date
	}{
		{
			name: "Spring Festival 2026",
			from: "2026-02-09", to: "2026-03-01",
			want: dates(
				"2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12", "2026-02-13",
				"2026-02-14",
				"2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27",
				"2026-02-28",
			),
		},
		{
			name: "National Day 2026",
			from: "2026-09-28", to: "2026-10-11",
			want: dates("2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"),
		},
		{
			name: "single holiday",
			from: "2026-10-01", to: "2026-10-01",
			want: nil,
		},
		{
			name: "single workday",
			from: "2026-02-14", to: "2026-02-14",
			want: dates("2026-02-14"),
		},
		{
			name: "reversed",
			from: "2026-03-01", to: "2026-02-01",
			want: nil,
		},
		{
			name: "across the end of the data",
			from: "2027-12-30", to: "2028-01-04",
			want: dates("2027-12-30", "2027-12-31", "2028-01-03", "2028-01-04"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := d(tt.from), d(tt.to)
			got := c.Workdays(from, to)
			if diff := cmp.Diff(tt.want, got, cmpEmpty); diff != "" {
				t.Errorf("Workdays(%s, %s) (-want +got):\n%s", tt.from, tt.to, diff)
			}
			if n := c.CountWorkdays(from, to); n != len(tt.want) {
				t.Errorf("CountWorkdays(%s, %s) = %d, want %d", tt.from, tt.to, n, len(tt.want))
			}
		})
	}

	// A whole year: 365 days, 248 working days in China's 2026 arrangement
	// (261 weekdays - 19 statutory weekday holidays + 6 make-up days).
	if n := c.CountWorkdays(d("2026-01-01"), d("2026-12-31")); n != 248 {
		t.Errorf("CountWorkdays(2026) = %d, want 248", n)
	}
}

// cmpEmpty lets a nil want match an empty result.
var cmpEmpty = cmp.Comparer(func(a, b []Date) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

func TestPrevNextWorkday(t *testing.T) {
	c := New(Overrides{})
	tests := []struct {
		from       string
		prev, next string
	}{
		{"2026-02-24", "2026-02-14", "2026-02-25"}, // right after Spring Festival
		{"2026-02-14", "2026-02-13", "2026-02-24"}, // the 调休 Saturday before it
		{"2026-02-18", "2026-02-14", "2026-02-24"}, // in the middle of it
		{"2026-10-08", "2026-09-30", "2026-10-09"},
		{"2026-10-10", "2026-10-09", "2026-10-12"},
		{"2026-03-09", "2026-03-06", "2026-03-10"}, // Monday after a weekend
		{"2026-03-07", "2026-03-06", "2026-03-09"}, // Saturday
		{"2026-01-01", "2025-12-31", "2026-01-04"}, // across the year and 元旦
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			if got := c.PrevWorkday(d(tt.from)); got != d(tt.prev) {
				t.Errorf("PrevWorkday(%s) = %v, want %s", tt.from, got, tt.prev)
			}
			if got := c.NextWorkday(d(tt.from)); got != d(tt.next) {
				t.Errorf("NextWorkday(%s) = %v, want %s", tt.from, got, tt.next)
			}
		})
	}
}

func TestPrevWorkdayBounded(t *testing.T) {
	var off []Date
	start := d("2026-03-01")
	for i := 0; i < 3*MaxSearchDays; i++ {
		off = append(off, start.AddDays(i))
	}
	c := New(Overrides{Holidays: off})
	mid := start.AddDays(MaxSearchDays + 5)
	if got := c.PrevWorkday(mid); !got.IsZero() {
		t.Errorf("PrevWorkday(%v) = %v, want zero Date", mid, got)
	}
	if got := c.NextWorkday(mid); !got.IsZero() {
		t.Errorf("NextWorkday(%v) = %v, want zero Date", mid, got)
	}
	// Exactly MaxSearchDays back is still within reach.
	edge := start.AddDays(MaxSearchDays - 1)
	if got, want := c.PrevWorkday(edge), start.AddDays(-1); got != want {
		t.Errorf("PrevWorkday(%v) = %v, want %v", edge, got, want)
	}
}

func TestCoverage(t *testing.T) {
	c := New(Overrides{})
	if got := c.CoveredThrough(); got != 2027 {
		t.Errorf("CoveredThrough() = %d, want 2027 (lunar-go v1.4.7)", got)
	}
	if got := c.CoveredFrom(); got != 2002 {
		t.Errorf("CoveredFrom() = %d, want 2002", got)
	}
	// Every covered year must have its Spring Festival, or the year walk
	// in loadStatutory stopped early.
	for y := c.CoveredFrom(); y <= c.CoveredThrough(); y++ {
		found := false
		for _, s := range Statutory(Date{y, time.January, 1}, Date{y, time.March, 31}) {
			found = found || (s.Name == "春节" && !s.Work)
		}
		if !found {
			t.Errorf("no 春节 days off in %d", y)
		}
	}
}

func TestParseOverrides(t *testing.T) {
	o, err := ParseOverrides([]int{1, 2, 3, 4, 5, 6}, []string{"2026-03-07"}, []string{"2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	want := Overrides{
		Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
		Workdays: dates("2026-03-07"),
		Holidays: dates("2026-03-10"),
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("ParseOverrides (-want +got):\n%s", diff)
	}

	_, err = ParseOverrides([]int{7}, []string{"2026-02-30"}, []string{"2026/03/10"})
	if err == nil {
		t.Fatal("ParseOverrides accepted bad values")
	}
	for _, want := range []string{"weekday 7", `"2026-02-30"`, `"2026/03/10"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestDayKindString(t *testing.T) {
	tests := []struct {
		k    DayKind
		want string
	}{
		{Workday, "workday"},
		{Weekend, "weekend"},
		{Holiday, "holiday"},
		{MakeupWorkday, "makeup workday"},
		{0, "DayKind(0)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", uint8(tt.k), got, tt.want)
		}
	}
}

// TestConcurrentUse is for -race: the statutory data loads lazily on first
// use, and calendars are shared by all handlers.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	cals := make([]*Calendar, 8)
	for i := range cals {
		wg.Go(func() { cals[i] = New(Overrides{Holidays: dates("2026-03-10")}) })
	}
	wg.Wait()
	shared := cals[0]
	for i := range 8 {
		wg.Go(func() {
			day := d("2026-02-01")
			for j := range 400 {
				x := day.AddDays(j)
				if shared.IsWorkday(x) != cals[i].IsWorkday(x) {
					t.Errorf("calendars disagree on %v", x)
				}
				_ = shared.HolidayName(x)
				_ = shared.PrevWorkday(x)
			}
		})
	}
	wg.Wait()
}

// BenchmarkIsWorkday mirrors the attendance job: 2,000 groups × the last
// 30 days.
func BenchmarkIsWorkday(b *testing.B) {
	c := New(Overrides{Workdays: dates("2026-03-07"), Holidays: dates("2026-03-10")})
	end := d("2026-03-15")
	days := make([]Date, 30)
	for i := range days {
		days[i] = end.AddDays(-i)
	}
	want := 2000 * c.CountWorkdays(days[len(days)-1], end)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for range 2000 {
			for _, x := range days {
				if c.IsWorkday(x) {
					n++
				}
			}
		}
		if n != want {
			b.Fatalf("counted %d workdays, want %d", n, want)
		}
	}
}
