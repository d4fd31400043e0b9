package digest

import (
	"reflect"
	"strings"
	"testing"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/chart"
)

func TestChartTitleAndDays(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-23"), shanghai)
	tests := []struct {
		name, lang string
		period     Period
		title      string
		days       []string // the first labels
	}{
		{"week zh", "zh", week, "2026年第48周  11月23日–29日", []string{"周一 11-23", "周二 11-24"}},
		{"week en", "en", week, "2026-W48  2026-11-23 to 2026-11-29", []string{"Mon 11-23", "Tue 11-24"}},
		{"week across months zh", "zh", WeekOf(date("2026-12-01"), shanghai), "2026年第49周  11月30日–12月6日", []string{"周一 11-30"}},
		{"week across years zh", "zh", WeekOf(date("2026-12-31"), shanghai), "2026年第53周  12月28日–1月3日", []string{"周一 12-28"}},
		{"month zh", "zh", MonthOf(2026, 11, shanghai), "2026年11月", []string{"11-01", "11-02"}},
		{"month en", "en", MonthOf(2026, 11, shanghai), "2026-11", []string{"11-01", "11-02"}},
		{"range zh", "zh", Period{Kind: Range, From: date("2026-11-01"), To: date("2026-11-10"), Loc: shanghai},
			"2026-11-01 至 2026-11-10", []string{"11-01"}},
		{"range en", "en", Period{Kind: Range, From: date("2026-11-01"), To: date("2026-11-10"), Loc: shanghai},
			"2026-11-01 to 2026-11-10", []string{"11-01"}},
		{"unknown language falls back to zh", "fr", week, "2026年第48周  11月23日–29日", []string{"周一 11-23"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := c.chartInput(tt.lang, tt.period, chartDays(tt.period, cal, noRate, nil, nil))
			if in.Title != tt.title {
				t.Errorf("title = %q, want %q", in.Title, tt.title)
			}
			if len(in.Days) != tt.period.Days() {
				t.Fatalf("%d days, want %d", len(in.Days), tt.period.Days())
			}
			for i, want := range tt.days {
				if got := in.Days[i].Label; got != want {
					t.Errorf("day %d label = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestChartLabels(t *testing.T) {
	c := composer(t)
	en := c.chartLabels("en")
	if en != chart.EnglishLabels {
		t.Errorf("chartLabels(en) = %+v, want the chart's English words %+v", en, chart.EnglishLabels)
	}
	zh := c.chartLabels("zh")
	want := map[string]string{"Rate": "每日打卡率", "RateAxis": "打卡率", "Opened": "新增问题", "Resolved": "已办结"}
	v := reflect.ValueOf(zh)
	for i := range v.NumField() {
		name, got := v.Type().Field(i).Name, v.Field(i).String()
		if got == "" || strings.HasPrefix(got, "dg_") || !strings.ContainsFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("zh %s = %q, want Chinese words from the catalog", name, got)
		}
		if w, ok := want[name]; ok && got != w {
			t.Errorf("zh %s = %q, want %q", name, got, w)
		}
	}
}

// TestVillageChartLanguage: a village report's chart follows the group's
// language.
func TestVillageChartLanguage(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	d := &Data{Period: week, Now: week.End(), Problems: nil, History: nil,
		Checkins: map[int64]*attendance.Period{-1: {Chat: -1, From: week.From, To: week.To,
			Roster: []cadrebot.Member{{UserID: 1, Name: "王芳"}}}}}
	for _, tt := range []struct{ lang, title, rate string }{
		{"zh", "2026年第49周  11月30日–12月6日", "每日打卡率"},
		{"en", "2026-W49  2026-11-30 to 2026-12-06", "Check-in rate"},
	} {
		r := c.Village(d, -1, "青山村", tt.lang, Digest)
		if r.Chart.Title != tt.title || r.Chart.Labels.Rate != tt.rate {
			t.Errorf("Village(%s) chart title %q, rate header %q; want %q, %q", tt.lang, r.Chart.Title, r.Chart.Labels.Rate, tt.title, tt.rate)
		}
	}
}
