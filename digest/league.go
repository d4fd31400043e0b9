package digest

import (
	"strings"

	"cadrebot"
	"cadrebot/units"
)

// LeagueTables are the whole league of unit id ("" the deployment) as a
// workbook's sheets: every unit of its subtree with its figures, depth
// first, and every village ranked as the digest ranks them. A unit digest
// too long for a message attaches them; the 考核 export's summary sheet is
// the first of them.
func (c *Composer) LeagueTables(d *Data, t *units.Tree, id, lang string) []Table {
	return []Table{c.UnitsTable(d, t, id, lang), c.villageLeague(d, t, id, lang)}
}

// UnitsTable has a row per unit of id's subtree, the unit itself first,
// then depth first, and a row per village under the units: level, name,
// the unit above, villages, cadres, present and expected days, check-in
// rate, problems reported, resolved, resolution rate, open and overdue.
func (c *Composer) UnitsTable(d *Data, t *units.Tree, id, lang string) Table {
	tb := c.unitsHead(lang)
	row := func(level, name, parent string, villages, cadres, present, expected int, a Activity) []any {
		r, ok := ratio(present, expected)
		res, rok := ratio(a.Fig.Done, a.Fig.Total)
		return []any{level, name, parent, villages, cadres, present, expected, Pct{V: r, OK: ok, Text: pctText(present, expected)},
			len(a.Reported), a.Fig.Done, Pct{V: res, OK: rok, Text: a.Fig.ResolutionRate()}, len(a.Open), len(a.Overdue)}
	}
	t.Walk(id, func(u *units.Unit, depth int) {
		f := d.Unit(t, u.ID, c.Cal)
		parent := ""
		if u.ID != "" {
			parent = c.unitName(lang, t.Unit(u.Parent))
		}
		name := strings.Repeat("  ", depth) + c.unitName(lang, u)
		tb.Rows = append(tb.Rows, row(c.levelName(lang, u.Level), name, parent, len(f.Villages), f.Cadres,
			f.Rates.Present, f.Rates.Expected, f.Activity))
		for _, ref := range t.DirectVillages(u.ID) {
			v := d.Village(ref.Chat, ref.Name, c.Cal)
			tb.Rows = append(tb.Rows, row(plain(c.t(lang, "xl_level_village")), strings.Repeat("  ", depth+1)+v.Name,
				c.unitName(lang, u), 1, len(v.Rates.Members), v.Rates.Present, v.Rates.Expected, v.Activity))
		}
	})
	return tb
}

// unitsHead is UnitsTable without rows.
func (c *Composer) unitsHead(lang string) Table {
	return Table{Name: plain(c.t(lang, "xl_sheet_units")), File: "units.csv",
		Header: c.header(lang, "level", "unit", "parent_unit", "villages", "cadres", "present", "expected", "rate",
			"reported", "resolved", "resolution_rate", "open", "overdue"),
		Widths: []float64{8, 22, 16, 7, 9, 9, 9, 9, 9, 9, 9, 8, 8}}
}

// villageLeague ranks every village of id's subtree as the digest does.
func (c *Composer) villageLeague(d *Data, t *units.Tree, id, lang string) Table {
	tb := Table{Name: plain(c.t(lang, "xl_sheet_village_league")), File: "villages.csv",
		Header: c.header(lang, "rank", "town", "village", "village_chat", "cadres", "present", "expected", "rate",
			"reported", "resolved", "resolution_rate", "open", "overdue"),
		Widths: []float64{6, 14, 14, 16, 9, 9, 9, 9, 9, 9, 9, 8, 8}}
	u := d.Unit(t, id, c.Cal)
	for i, v := range rankVillages(u.Villages) {
		town := ""
		if tu := t.Town(v.Chat); tu != nil {
			town = tu.Label(lang)
		}
		r, ok := ratio(v.Rates.Present, v.Rates.Expected)
		res, rok := ratio(v.Fig.Done, v.Fig.Total)
		tb.Rows = append(tb.Rows, []any{i + 1, town, v.Name, v.Chat, len(v.Rates.Members), v.Rates.Present, v.Rates.Expected,
			Pct{V: r, OK: ok, Text: v.Rates.Percent()}, len(v.Reported), v.Fig.Done,
			Pct{V: res, OK: rok, Text: v.Fig.ResolutionRate()}, len(v.Open), len(v.Overdue)})
	}
	return tb
}

// levelName names a level in lang: 市, 县（区）, 乡镇（街道）, or the
// deployment for the root.
func (c *Composer) levelName(lang string, l units.Level) string {
	if l == units.Root {
		return plain(c.t(lang, "xl_level_root"))
	}
	return plain(c.t(lang, "xl_level_"+l.String()))
}

// leagueFile names a league workbook: "兰亭街道-2026-W49.xlsx".
func (c *Composer) leagueFile(lang string, u *units.Unit, p Period) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, c.unitName(lang, u))
	return name + "-" + p.ID() + ".xlsx"
}

func ratio(num, den int) (float64, bool) {
	if den <= 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// pctText is a rate as every figure shows it.
func pctText(num, den int) string { return cadrebot.Percent(num, den) }
