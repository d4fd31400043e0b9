package digest

import (
	"strings"

	"cadrebot"
	"cadrebot/i18n"
)

// maxBriefItems bounds the open problems a hand-over brief lists one by
// one; the rest are counted.
const maxBriefItems = 10

// BriefDays is how far back a hand-over brief's figures look.
const BriefDays = 30

// Brief is the one-message brief of a village for a cadre taking over:
// the figures of d's period (the last BriefDays days: check-in rate,
// problems reported and the resolution rate), then every open problem,
// the oldest first, overdue ones marked. d holds the village's check-ins
// and problems.
func (c *Composer) Brief(d *Data, chat int64, name, lang string) string {
	v := d.Village(chat, name, c.Cal)
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	add(c.t(lang, "dg_brief_title", i18n.Args{"Village": name, "Range": i18n.HTML(c.Range(lang, d.Period))}))
	add(c.t(lang, "dg_brief_figures", i18n.Args{"Rate": v.Rates.Percent(), "Reported": len(v.Reported),
		"Resolution": v.Fig.ResolutionRate(), "Resolved": len(v.Resolved)}))
	if len(v.Open) == 0 {
		add(c.t(lang, "dg_brief_open_none"))
		return strings.Join(lines, "\n")
	}
	add(c.t(lang, "dg_brief_open_head", i18n.Args{"Open": len(v.Open), "Overdue": len(v.Overdue)}))
	open := append(Set(nil), v.Open...)
	sortOldest(open)
	for i, p := range open {
		if i == maxBriefItems {
			add(c.t(lang, "dg_more_lines", i18n.Args{"N": len(open) - maxBriefItems}))
			break
		}
		add(c.briefLine(lang, p, d))
	}
	return strings.Join(lines, "\n")
}

func (c *Composer) briefLine(lang string, p *cadrebot.Problem, d *Data) string {
	return c.t(lang, "dg_brief_item", i18n.Args{"ID": p.ID, "Category": c.catName(lang, p.Category), "Dept": c.deptName(lang, p.Dept),
		"Status": c.t(lang, "pr_status_"+string(p.Status)), "Age": ageDays(p.Created, d.Now), "Overdue": p.Overdue(d.Now),
		"Text": snippet(p.Text, 24)})
}
