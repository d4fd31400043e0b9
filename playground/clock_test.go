package playground

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"cadrebot/calendar"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDemoStart(t *testing.T) {
	cal := calendar.New(calendar.Overrides{})
	tests := []struct {
		today string
		want  string
		hist  []string
	}{
		{"2026-12-03 12:00", "2026-12-02 08:50", []string{"2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01"}},
		{"2026-12-02 23:59", "2026-12-02 08:50", nil},
		{"2026-12-01 09:00", "2026-11-25 08:50", nil},
		{"2026-12-06 09:00", "2026-12-02 08:50", nil}, // a Sunday
	}
	for _, tc := range tests {
		start, hist := demoStart(at(tc.today), shanghai, cal)
		if got := start.Format("2006-01-02 15:04"); got != tc.want {
			t.Errorf("demoStart(%s) = %s, want %s", tc.today, got, tc.want)
		}
		if tc.hist != nil {
			for i, d := range hist {
				if d.String() != tc.hist[i] {
					t.Errorf("demoStart(%s) history = %v, want %v", tc.today, hist, tc.hist)
					break
				}
			}
		}
	}
}

// Every day of two years, holidays included, gives a workday Wednesday at
// most a week or so back, with workdays of history before it.
func TestDemoStartAlwaysWorkdays(t *testing.T) {
	cal := calendar.New(calendar.Overrides{})
	for d := at("2026-01-01 12:00"); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		start, hist := demoStart(d, shanghai, cal)
		day := calendar.DateOf(start)
		if start.Weekday() != time.Wednesday || !cal.IsWorkday(day) || start.After(d) {
			t.Fatalf("demoStart(%s) = %s, not a past workday Wednesday", d.Format("2006-01-02"), start)
		}
		if d.Sub(start) > 15*24*time.Hour {
			t.Errorf("demoStart(%s) = %s: more than two weeks back", d.Format("2006-01-02"), start)
		}
		if len(hist) != historyDays {
			t.Fatalf("demoStart(%s): %d days of history", d.Format("2006-01-02"), len(hist))
		}
		prev := calendar.Date{}
		for _, h := range hist {
			if !cal.IsWorkday(h) || !h.Before(day) || (!prev.IsZero() && !prev.Before(h)) {
				t.Fatalf("demoStart(%s): history %v is not workdays in order before %s", d.Format("2006-01-02"), hist, day)
			}
			prev = h
		}
	}
}

func TestClockTargets(t *testing.T) {
	tests := []struct {
		now, tomorrow, monday string
	}{
		{"2026-12-02 08:50", "2026-12-03 10:00", "2026-12-07 09:00"},
		{"2026-12-06 23:30", "2026-12-07 10:00", "2026-12-07 09:00"}, // Sunday night
		{"2026-12-07 09:00", "2026-12-08 10:00", "2026-12-14 09:00"}, // Monday: the next one
		{"2026-12-31 12:00", "2027-01-01 10:00", "2027-01-04 09:00"},
	}
	for _, tc := range tests {
		c := NewClock(at(tc.now), shanghai, nil)
		if got := c.Tomorrow10().Format("2006-01-02 15:04"); got != tc.tomorrow {
			t.Errorf("%s: Tomorrow10 = %s, want %s", tc.now, got, tc.tomorrow)
		}
		if got := c.NextMonday9().Format("2006-01-02 15:04"); got != tc.monday {
			t.Errorf("%s: NextMonday9 = %s, want %s", tc.now, got, tc.monday)
		}
	}
}

// The embedded Redis counts TTLs down on the fake clock, so a dialog's
// expiry happens when the visitor moves the clock past it.
func TestClockDrivesMiniredisTTL(t *testing.T) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	c := NewClock(at("2026-12-02 08:50"), shanghai, mr)

	if err := rdb.Set(ctx, "dialog", "x", 30*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	// EXPIREAT in fake time means the same as in the app's clock.
	if err := rdb.Set(ctx, "until-nine", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ExpireAt(ctx, "until-nine", at("2026-12-02 09:00")).Err(); err != nil {
		t.Fatal(err)
	}
	exists := func(k string) bool { return rdb.Exists(ctx, k).Val() == 1 }

	c.Set(at("2026-12-02 08:59"))
	if !exists("dialog") || !exists("until-nine") {
		t.Fatal("keys expired before their time")
	}
	c.Set(at("2026-12-02 09:01"))
	if !exists("dialog") || exists("until-nine") {
		t.Errorf("at 09:01: dialog %v (want true), until-nine %v (want false)", exists("dialog"), exists("until-nine"))
	}
	c.Set(at("2026-12-02 09:00")) // backwards: ignored
	if got := c.Now(); !got.Equal(at("2026-12-02 09:01")) {
		t.Errorf("clock went back to %v", got)
	}
	c.Set(at("2026-12-02 09:21"))
	if exists("dialog") {
		t.Error("dialog outlived its 30 fake minutes")
	}
}

func TestClockRunsAtRealSpeed(t *testing.T) {
	c := NewClock(at("2026-12-02 08:50"), shanghai, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.run(ctx, time.Millisecond)
	// Something waiting 50 fake milliseconds wakes without anyone moving
	// the clock by hand.
	select {
	case <-c.After(50 * time.Millisecond):
	case <-time.After(10 * time.Second):
		t.Fatal("the clock did not move with real time")
	}
}

func TestJumpedSignals(t *testing.T) {
	c := NewClock(at("2026-12-02 08:50"), shanghai, nil)
	j := c.Jumped()
	c.Set(at("2026-12-03 10:00"))
	select {
	case <-j:
	default:
		t.Fatal("Jumped not closed by Set")
	}
	select {
	case <-c.Jumped():
		t.Fatal("a fresh Jumped channel is already closed")
	default:
	}
}
