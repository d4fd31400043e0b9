package digest

import (
	"strings"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
)

// maxQueueLines bounds the queue listed item by item in a department
// report; the rest is counted.
const maxQueueLines = 15

// Department composes the report of a department group: its queue, what
// is overdue, what it resolved in the period and its median time to
// resolve. A chat serving several departments gets one section each. It
// is never Empty: "nothing waiting" is worth a line to a department.
func (c *Composer) Department(d *Data, depts []string, lang string, m Mode) Report {
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	var opened, resolved Set
	for i, id := range depts {
		dep := d.Department(id)
		if i > 0 {
			add("")
		}
		add(c.heading(lang, "dg_dept_title", c.deptName(lang, id), d.Period, m))
		add("")
		if len(dep.Queue) == 0 {
			add(c.t(lang, "dg_queue_empty"))
		} else {
			add(c.t(lang, "dg_queue_head", i18n.Args{"N": len(dep.Queue)}))
			for j, p := range dep.Queue {
				if j == maxQueueLines {
					add(c.t(lang, "dg_more_lines", i18n.Args{"N": len(dep.Queue) - maxQueueLines}))
					break
				}
				add(c.queueLine(lang, p, d))
			}
		}
		if len(dep.Overdue) > 0 {
			var items []string
			for j, p := range dep.Overdue {
				if j == maxIDs {
					items = append(items, c.t(lang, "dg_more", i18n.Args{"N": len(dep.Overdue) - maxIDs}))
					break
				}
				items = append(items, c.t(lang, "dg_overdue_item", i18n.Args{"ID": p.ID, "Days": days(d.Now.Sub(p.Due))}))
			}
			add(c.t(lang, "dg_overdue_head", i18n.Args{"N": len(dep.Overdue), "List": i18n.HTML(strings.Join(items, " "))}))
		} else {
			add(c.t(lang, "dg_overdue_none"))
		}
		if len(dep.Resolved) > 0 {
			add(c.t(lang, "dg_resolved_head", i18n.Args{"N": len(dep.Resolved), "IDs": c.ids(lang, dep.Resolved)}))
		} else {
			add(c.t(lang, "dg_resolved_none"))
		}
		add(c.t(lang, "dg_dept_figures", i18n.Args{"Median": i18n.HTML(c.median(lang, dep.Work)), "OnTime": dep.Work.OnTimeRate(),
			"OnTimeN": dep.Work.OnTime, "OnTimeOf": dep.Work.OnTimeOf}) + " · " + c.satisfaction(lang, dep.Work))
		if l := c.supportLine(lang, d.Support(id)); l != "" {
			add(l)
		}
		opened = append(opened, dep.Reported...)
		resolved = append(resolved, dep.Resolved...)
	}
	return Report{Text: strings.Join(lines, "\n"), Chart: c.chartInput(lang, d.Period,
		chartDays(d.Period, c.Cal, noRate, opened, resolved))}
}

// queueLine is one waiting item: number, village, category, age and
// status when it is not simply new.
func (c *Composer) queueLine(lang string, p *cadrebot.Problem, d *Data) string {
	status := ""
	if p.Status != cadrebot.StatusNew {
		status = c.t(lang, "pr_status_"+string(p.Status))
	}
	return c.t(lang, "dg_queue_item", i18n.Args{"ID": p.ID, "Village": p.Village, "Category": c.catName(lang, p.Category),
		"Age": ageDays(p.Created, d.Now), "Status": status, "Text": snippet(p.Text, 24)})
}

// DeptChats resolves every configured department's chat: config chat_id
// (followed to its supergroup if it migrated), overridden by /bind.
func DeptChats(cfg *config.File, bound map[string]int64, moves cadrebot.ChatMoves) map[string]int64 {
	out := make(map[string]int64, len(cfg.Departments))
	for _, d := range cfg.Departments {
		out[d.ID] = moves.Chat(d.ChatID)
		if c, ok := bound[d.ID]; ok && c != 0 {
			out[d.ID] = c
		}
	}
	return out
}

// DeptsOfChat lists the departments whose chat is chat, in config order.
func DeptsOfChat(cfg *config.File, chats map[string]int64, chat int64) []string {
	var out []string
	for _, d := range cfg.Departments {
		if chat != 0 && chats[d.ID] == chat {
			out = append(out, d.ID)
		}
	}
	return out
}
