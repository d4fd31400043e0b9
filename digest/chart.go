package digest

import (
	"fmt"
	"strconv"
	"time"

	"cadrebot/calendar"
	"cadrebot/chart"
	"cadrebot/i18n"
)

// The chart's words come from the catalogs (dg_chart_*) like the rest of
// a digest, in the group's language. The chart draws plain text, so each
// is rendered and then turned back from HTML (i18n.Plain).

// chartInput is the chart of a report in lang: days (from chartDays)
// labelled, with the period's title and the chart's words.
func (c *Composer) chartInput(lang string, p Period, days []chart.Day) chart.Input {
	for i := range days {
		days[i].Label = c.dayLabel(lang, p, p.From.AddDays(i))
	}
	return chart.Input{Title: c.chartTitle(lang, p), Days: days, Labels: c.chartLabels(lang)}
}

// chartText renders a catalog message as plain text.
func (c *Composer) chartText(lang, id string, args ...i18n.Args) string {
	return i18n.Plain(c.t(lang, id, args...))
}

// chartTitle is "2026-W48  2026-11-23 to 2026-11-29" or
// "2026年第48周  11月23日–29日"; a month is "2026-11" or "2026年11月".
func (c *Composer) chartTitle(lang string, p Period) string {
	switch p.Kind {
	case Week:
		y, w := p.From.Time(time.UTC).ISOWeek()
		return c.chartText(lang, "dg_chart_week", i18n.Args{"ID": p.ID(), "Y": y, "W": w,
			"From": p.From.String(), "To": p.To.String(),
			"FM": int(p.From.Month), "FD": p.From.Day, "TM": int(p.To.Month), "TD": p.To.Day})
	case Month:
		return c.chartText(lang, "dg_chart_month", i18n.Args{"ID": p.ID(), "Y": p.From.Year, "M": int(p.From.Month)})
	}
	return c.chartText(lang, "dg_chart_range", i18n.Args{"From": p.From.String(), "To": p.To.String()})
}

// dayLabel is a column's label: with the weekday ("Mon 11-23", "周一
// 11-23") up to a week, only the date in longer charts, where labels are
// thinned out and the weekday would not fit.
func (c *Composer) dayLabel(lang string, p Period, d calendar.Date) string {
	date := fmt.Sprintf("%02d-%02d", int(d.Month), d.Day)
	if p.Days() <= 7 {
		wd := c.chartText(lang, "weekday_"+strconv.Itoa(int(d.Weekday())))
		return c.chartText(lang, "dg_chart_day_week", i18n.Args{"Weekday": wd, "Date": date})
	}
	return c.chartText(lang, "dg_chart_day", i18n.Args{"Date": date})
}

// chartLabels are the chart's fixed words in lang.
func (c *Composer) chartLabels(lang string) chart.Labels {
	t := func(id string) string { return c.chartText(lang, id) }
	return chart.Labels{
		Rate:         t("dg_chart_rate"),
		RateAxis:     t("dg_chart_rate_axis"),
		Problems:     t("dg_chart_problems"),
		ProblemsAxis: t("dg_chart_problems_axis"),
		Opened:       t("dg_chart_opened"),
		Resolved:     t("dg_chart_resolved"),
		DayOff:       t("dg_chart_day_off"),
		Off:          t("dg_chart_off"),
		NoData:       t("dg_chart_no_data"),
		NoRate:       t("dg_chart_no_rate"),
	}
}
