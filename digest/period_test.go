package digest

import (
	"errors"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/calendar"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func date(s string) calendar.Date { return calendar.MustParseDate(s) }

func TestLastWeekAndPrev(t *testing.T) {
	tests := []struct {
		at           string
		from, to, id string
		prevFrom     string
	}{
		{"2026-01-05 09:00", "2025-12-29", "2026-01-04", "2026-W01", "2025-12-22"},
		{"2026-12-07 09:00", "2026-11-30", "2026-12-06", "2026-W49", "2026-11-23"},
		{"2026-12-06 23:59", "2026-11-23", "2026-11-29", "2026-W48", "2026-11-16"}, // a Sunday: the week before
		{"2026-12-11 09:00", "2026-11-30", "2026-12-06", "2026-W49", "2026-11-23"}, // a Friday override
	}
	for _, tt := range tests {
		at, _ := time.ParseInLocation("2006-01-02 15:04", tt.at, shanghai)
		p := LastWeek(at, shanghai)
		if p.From != date(tt.from) || p.To != date(tt.to) || p.ID() != tt.id || p.Prev().From != date(tt.prevFrom) {
			t.Errorf("LastWeek(%s) = %s..%s %s prev %s, want %s..%s %s prev %s", tt.at, p.From, p.To, p.ID(), p.Prev().From,
				tt.from, tt.to, tt.id, tt.prevFrom)
		}
	}
	// A UTC instant late on Sunday is already Monday in Shanghai.
	if p := LastWeek(time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC), shanghai); p.From != date("2026-11-30") {
		t.Errorf("LastWeek in Shanghai of Sunday 17:00 UTC = %s, want the week of 11-30", p.From)
	}
	jan := MonthOf(2026, time.January, shanghai)
	if prev := jan.Prev(); prev.From != date("2025-12-01") || prev.To != date("2025-12-31") || prev.ID() != "2025-12" {
		t.Errorf("January's Prev = %s..%s %s", prev.From, prev.To, prev.ID())
	}
	if feb := MonthOf(2028, time.February, shanghai); feb.To != date("2028-02-29") {
		t.Errorf("February 2028 ends %s", feb.To)
	}
	r := Period{Kind: Range, From: date("2026-11-01"), To: date("2026-11-10"), Loc: shanghai}
	if prev := r.Prev(); prev.From != date("2026-10-22") || prev.To != date("2026-10-31") || r.ID() != "20261101-20261110" {
		t.Errorf("range Prev = %s..%s, ID %s", prev.From, prev.To, r.ID())
	}
	w := WeekOf(date("2026-11-30"), shanghai)
	if !w.Contains(w.Start()) || w.Contains(w.End()) || w.Contains(time.Time{}) {
		t.Error("Contains is not [Start, End)")
	}
}

func msgID(err error) string {
	var e *cadrebot.Error
	if errors.As(err, &e) {
		return e.MsgID
	}
	if err != nil {
		return "not a user error: " + err.Error()
	}
	return ""
}

func TestParseStats(t *testing.T) {
	today := date("2026-11-25") // a Wednesday
	tests := []struct {
		arg, from, to, err string
	}{
		{"", "2026-11-23", "2026-11-25", ""},
		{"week", "2026-11-23", "2026-11-25", ""},
		{"  WEEK ", "2026-11-23", "2026-11-25", ""},
		{"month", "2026-11-01", "2026-11-25", ""},
		{"2026-10", "2026-10-01", "2026-10-31", ""},
		{"2024-02", "2024-02-01", "2024-02-29", ""},
		{"2026-12", "", "", "stats_future"},
		{"2026-13", "", "", "stats_usage"},
		{"2026-1", "", "", "stats_usage"},
		{"yesterday", "", "", "stats_usage"},
		{"2026-10 2026-11", "", "", "stats_usage"},
	}
	for _, tt := range tests {
		p, err := ParseStats(tt.arg, today, shanghai)
		if got := msgID(err); got != tt.err {
			t.Errorf("ParseStats(%q) error %q, want %q", tt.arg, got, tt.err)
			continue
		}
		if tt.err == "" && (p.From != date(tt.from) || p.To != date(tt.to)) {
			t.Errorf("ParseStats(%q) = %s..%s, want %s..%s", tt.arg, p.From, p.To, tt.from, tt.to)
		}
	}
}

func TestQuarterAndYear(t *testing.T) {
	q := QuarterOf(2026, 4, shanghai)
	if q.From != date("2026-10-01") || q.To != date("2026-12-31") || q.ID() != "2026-Q4" || q.Prev().ID() != "2026-Q3" {
		t.Errorf("QuarterOf(2026, 4) = %s..%s %s, prev %s", q.From, q.To, q.ID(), q.Prev().ID())
	}
	if p := QuarterOf(2026, 1, shanghai).Prev(); p.ID() != "2025-Q4" || p.To != date("2025-12-31") {
		t.Errorf("the quarter before 2026-Q1 = %s %s", p.ID(), p.To)
	}
	if y := YearOf(2024, shanghai); y.Days() != 366 || y.ID() != "2024" || y.Prev().ID() != "2023" {
		t.Errorf("YearOf(2024) = %d days %s", y.Days(), y.ID())
	}
}

func TestParseExport(t *testing.T) {
	today := date("2026-11-25")
	tests := []struct {
		arg, from, to string
		csv           bool
		err           string
	}{
		{"", "2026-11-01", "2026-11-25", false, ""},
		{"csv", "2026-11-01", "2026-11-25", true, ""},
		{"2026-10 csv", "2026-10-01", "2026-10-31", true, ""},
		{"CSV 2026-01-01 2026-06-30", "2026-01-01", "2026-06-30", true, ""},
		{"2025-11-25 2026-11-25", "2025-11-25", "2026-11-25", false, ""}, // 366 days
		{"2025-11-24 2026-11-25", "", "", false, "export_too_long"},
		{"2026-11-20 2026-11-10", "", "", false, "export_backwards"},
		{"2026-11-20 2027-01-10", "2026-11-20", "2026-11-25", false, ""}, // cut at today
		{"2026-12-01 2026-12-05", "", "", false, "export_future"},
		{"2026-02-30 2026-03-01", "", "", false, "export_usage"},
		{"november", "", "", false, "export_usage"},
		{"2026-01-01 2026-02-01 2026-03-01", "", "", false, "export_usage"},
		{"2026-Q3", "2026-07-01", "2026-09-30", false, ""},
		{"2026q4 csv", "2026-10-01", "2026-11-25", true, ""}, // cut at today
		{"2026-Q1", "2026-01-01", "2026-03-31", false, ""},
		{"2025", "2025-01-01", "2025-12-31", false, ""},
		{"2026", "2026-01-01", "2026-11-25", false, ""},
		{"2027-Q1", "", "", false, "export_future"},
		{"2026-Q5", "", "", false, "export_usage"},
		{"1999", "", "", false, "export_usage"},
	}
	for _, tt := range tests {
		p, csv, err := ParseExport(tt.arg, today, shanghai)
		if got := msgID(err); got != tt.err {
			t.Errorf("ParseExport(%q) error %q, want %q", tt.arg, got, tt.err)
			continue
		}
		if tt.err == "" && (p.From != date(tt.from) || p.To != date(tt.to) || csv != tt.csv) {
			t.Errorf("ParseExport(%q) = %s..%s csv=%v, want %s..%s csv=%v", tt.arg, p.From, p.To, csv, tt.from, tt.to, tt.csv)
		}
	}
}
