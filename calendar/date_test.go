package calendar

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the host's zoneinfo

	"github.com/google/go-cmp/cmp"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr string // substring of the error; "" means success
	}{
		{in: "2026-02-17", want: Date{2026, time.February, 17}},
		{in: "2024-02-29", want: Date{2024, time.February, 29}},
		{in: "2000-02-29", want: Date{2000, time.February, 29}},
		{in: "0001-01-01", want: Date{1, time.January, 1}},
		{in: "", wantErr: "want YYYY-MM-DD"},
		{in: "2026-2-17", wantErr: "want YYYY-MM-DD"},
		{in: "2026-02-7", wantErr: "want YYYY-MM-DD"},
		{in: "2026/02/17", wantErr: "want YYYY-MM-DD"},
		{in: "20260217", wantErr: "want YYYY-MM-DD"},
		{in: " 2026-02-17", wantErr: "want YYYY-MM-DD"},
		{in: "2026-02-17 ", wantErr: "want YYYY-MM-DD"},
		{in: "2026-02-17T00:00:00Z", wantErr: "want YYYY-MM-DD"},
		{in: "+026-02-17", wantErr: "want YYYY-MM-DD"},
		{in: "2026-0a-17", wantErr: "want YYYY-MM-DD"},
		{in: "２０２６-02-17", wantErr: "want YYYY-MM-DD"},
		{in: "2026-13-01", wantErr: "month 13 out of range"},
		{in: "2026-00-10", wantErr: "month 0 out of range"},
		{in: "2026-02-30", wantErr: "February 2026 has 28 days"},
		{in: "2025-02-29", wantErr: "February 2025 has 28 days"},
		{in: "1900-02-29", wantErr: "February 1900 has 28 days"},
		{in: "2026-04-31", wantErr: "April 2026 has 30 days"},
		{in: "2026-01-00", wantErr: "January 2026 has 31 days"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseDate(%q) error: %v", tt.in, err)
				}
				if got != tt.want {
					t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
				}
				if got.String() != tt.in {
					t.Errorf("round trip: %q -> %q", tt.in, got.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v, want error", tt.in, got)
			}
			// Operators fix config from the message alone, so it must
			// quote the offending value and say what is wrong with it.
			if msg := err.Error(); !strings.Contains(msg, `"`+tt.in+`"`) || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("ParseDate(%q) error %q, want it to quote the value and contain %q", tt.in, msg, tt.wantErr)
			}
		})
	}
}

func TestDateOf(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	lateEvening := time.Date(2026, 2, 17, 23, 59, 0, 0, shanghai)
	justAfterMidnight := time.Date(2026, 2, 18, 0, 1, 0, 0, shanghai)

	tests := []struct {
		name string
		t    time.Time
		want Date
	}{
		{"23:59 Shanghai", lateEvening, Date{2026, time.February, 17}},
		{"00:01 Shanghai", justAfterMidnight, Date{2026, time.February, 18}},
		// 00:01 on the 18th in Shanghai is still 11:01 on the 17th in New
		// York (UTC-5 in February).
		{"00:01 Shanghai seen from New York", justAfterMidnight.In(newYork), Date{2026, time.February, 17}},
		{"23:59 Shanghai in UTC", lateEvening.UTC(), Date{2026, time.February, 17}},
		{"00:01 Shanghai in UTC", justAfterMidnight.UTC(), Date{2026, time.February, 17}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateOf(tt.t); got != tt.want {
				t.Errorf("DateOf(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
	if lateEvening.Add(2*time.Minute) != justAfterMidnight {
		t.Fatal("test instants are not two minutes apart")
	}
}

func TestDateTime(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	d := Date{2026, time.February, 17}
	got := d.Time(shanghai)
	want := time.Date(2026, 2, 16, 16, 0, 0, 0, time.UTC)
	if !got.Equal(want) || got.Location() != shanghai {
		t.Errorf("Time(Shanghai) = %v, want %v in Asia/Shanghai", got, want)
	}
	if DateOf(got) != d {
		t.Errorf("DateOf(d.Time(loc)) = %v, want %v", DateOf(got), d)
	}
}

func TestAddDaysAndDaysBetween(t *testing.T) {
	tests := []struct {
		from Date
		n    int
		want Date
	}{
		{Date{2026, time.February, 17}, 0, Date{2026, time.February, 17}},
		{Date{2026, time.February, 28}, 1, Date{2026, time.March, 1}},
		{Date{2024, time.February, 28}, 1, Date{2024, time.February, 29}},
		{Date{2026, time.December, 31}, 1, Date{2027, time.January, 1}},
		{Date{2026, time.January, 1}, -1, Date{2025, time.December, 31}},
		{Date{2026, time.March, 1}, -1, Date{2026, time.February, 28}},
		{Date{2026, time.January, 1}, 365, Date{2027, time.January, 1}},
		{Date{2024, time.January, 1}, 366, Date{2025, time.January, 1}},
		{Date{1970, time.January, 1}, -1, Date{1969, time.December, 31}},
		{Date{2000, time.February, 29}, 146097, Date{2400, time.February, 29}},
	}
	for _, tt := range tests {
		t.Run(tt.from.String(), func(t *testing.T) {
			if got := tt.from.AddDays(tt.n); got != tt.want {
				t.Errorf("%v.AddDays(%d) = %v, want %v", tt.from, tt.n, got, tt.want)
			}
			if got := DaysBetween(tt.from, tt.want); got != tt.n {
				t.Errorf("DaysBetween(%v, %v) = %d, want %d", tt.from, tt.want, got, tt.n)
			}
		})
	}
}

// TestArithmeticMatchesTime pins the hand-rolled day arithmetic to the
// standard library over several centuries, including pre-epoch dates.
func TestArithmeticMatchesTime(t *testing.T) {
	start := time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)
	first := DateOf(start)
	for i := 0; i < 365*400; i++ {
		tm := start.AddDate(0, 0, i)
		want := DateOf(tm)
		got := first.AddDays(i)
		if got != want {
			t.Fatalf("AddDays(%d) from %v = %v, want %v", i, first, got, want)
		}
		if got.Weekday() != tm.Weekday() {
			t.Fatalf("%v.Weekday() = %v, want %v", got, got.Weekday(), tm.Weekday())
		}
		if DaysBetween(first, got) != i {
			t.Fatalf("DaysBetween(%v, %v) = %d, want %d", first, got, DaysBetween(first, got), i)
		}
	}
	// Out-of-range fields normalise as time.Date does.
	odd := Date{2026, 14, 31}
	want := DateOf(time.Date(2026, 14, 31, 0, 0, 0, 0, time.UTC))
	if got := odd.AddDays(0); got != want {
		t.Errorf("%v.AddDays(0) = %v, want %v", odd, got, want)
	}
}

func TestDateCompare(t *testing.T) {
	a := Date{2026, time.February, 17}
	tests := []struct {
		b             Date
		before, after bool
	}{
		{Date{2026, time.February, 17}, false, false},
		{Date{2026, time.February, 18}, true, false},
		{Date{2026, time.March, 1}, true, false},
		{Date{2027, time.January, 1}, true, false},
		{Date{2026, time.February, 16}, false, true},
		{Date{2026, time.January, 31}, false, true},
		{Date{2025, time.December, 31}, false, true},
	}
	for _, tt := range tests {
		if got := a.Before(tt.b); got != tt.before {
			t.Errorf("%v.Before(%v) = %v, want %v", a, tt.b, got, tt.before)
		}
		if got := a.After(tt.b); got != tt.after {
			t.Errorf("%v.After(%v) = %v, want %v", a, tt.b, got, tt.after)
		}
	}
}

func TestCompactAndString(t *testing.T) {
	tests := []struct {
		d       Date
		compact int
		str     string
	}{
		{Date{2026, time.February, 17}, 20260217, "2026-02-17"},
		{Date{2026, time.December, 1}, 20261201, "2026-12-01"},
		{Date{999, time.January, 9}, 9990109, "0999-01-09"},
	}
	for _, tt := range tests {
		if got := tt.d.Compact(); got != tt.compact {
			t.Errorf("%v.Compact() = %d, want %d", tt.d, got, tt.compact)
		}
		if got := tt.d.String(); got != tt.str {
			t.Errorf("String() = %q, want %q", got, tt.str)
		}
	}
}

func TestDateText(t *testing.T) {
	type doc struct {
		Day Date `json:"day"`
	}
	b, err := json.Marshal(doc{Date{2026, time.October, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"day":"2026-10-01"}`, string(b)); diff != "" {
		t.Errorf("marshal (-want +got):\n%s", diff)
	}
	var got doc
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Day != (Date{2026, time.October, 1}) {
		t.Errorf("unmarshal = %v", got.Day)
	}
	if err := json.Unmarshal([]byte(`{"day":"2026-02-30"}`), &got); err == nil {
		t.Error("unmarshal of 2026-02-30 succeeded, want error")
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		d    Date
		want bool
	}{
		{Date{2026, time.February, 28}, true},
		{Date{2024, time.February, 29}, true},
		{Date{2026, time.February, 29}, false},
		{Date{2026, 13, 1}, false},
		{Date{2026, time.January, 0}, false},
		{Date{}, false},
	}
	for _, tt := range tests {
		if got := tt.d.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v, want %v", tt.d, got, tt.want)
		}
	}
}
