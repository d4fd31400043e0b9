package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// JobProjectSweep names the project sweep in config and metrics.
const JobProjectSweep = "project_sweep"

// Sweep is the project_sweep job (daily, 09:00 by default). For every
// open milestone of every open project it reminds the lead cadre
// privately once projects.remind_days before the due day, and tells the
// village group once the due day has passed without it: the group hears
// of a milestone only when it slips. A marker per milestone and due date,
// set with HSETNX before anything is sent, makes each happen once across
// restarts, catch-up runs and replicas; a milestone found overdue is
// never reminded afterwards.
func (h *Projects) Sweep(ctx context.Context, at time.Time) error {
	ps, err := h.Store.ProjectsOf(ctx, cadrebot.OpenProjects)
	if err != nil {
		return err
	}
	ahead := time.Duration(h.Cfg.Projects.RemindDays) * 24 * time.Hour
	stamp := strconv.FormatInt(at.Unix(), 10)
	type work struct {
		p               *cadrebot.Project
		remind, overdue []int
	}
	var todo []work
	var errs []error
	for i := range ps {
		w := work{p: &ps[i]}
		for j, m := range w.p.Milestones {
			if m.Done() || at.Before(m.Due.Add(-ahead)) {
				continue
			}
			key := strconv.Itoa(j) + ":" + strconv.FormatInt(m.Due.Unix(), 10)
			if m.Overdue(at) {
				won, err := h.Store.MarkProject(ctx, w.p.ID, "od:"+key, stamp)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if _, err := h.Store.MarkProject(ctx, w.p.ID, "rem:"+key, stamp); err != nil {
					errs = append(errs, err)
				}
				if won {
					w.overdue = append(w.overdue, j)
				}
				continue
			}
			won, err := h.Store.MarkProject(ctx, w.p.ID, "rem:"+key, stamp)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if won {
				w.remind = append(w.remind, j)
			}
		}
		if len(w.remind)+len(w.overdue) > 0 {
			todo = append(todo, w)
		}
	}
	if len(todo) == 0 {
		return errors.Join(errs...)
	}
	// The villages' zones and languages, in one load for the whole run.
	chats := make([]int64, 0, len(todo))
	for _, w := range todo {
		chats = append(chats, w.p.VillageChat)
	}
	gs, err := h.Store.Groups(ctx, chats)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	groups := make(map[int64]*cadrebot.Group, len(gs))
	for _, g := range gs {
		groups[g.ChatID] = g
	}
	for _, w := range todo {
		g := groups[w.p.VillageChat]
		for _, j := range w.remind {
			errs = append(errs, h.remindLead(ctx, w.p, g, j, at))
		}
		if len(w.overdue) > 0 {
			errs = append(errs, h.tellOverdue(ctx, w.p, g, w.overdue, at))
		}
	}
	return errors.Join(errs...)
}

// remindLead reminds the lead cadre privately of milestone j, with the
// button that marks it done.
func (h *Projects) remindLead(ctx context.Context, p *cadrebot.Project, g *cadrebot.Group, j int, at time.Time) error {
	m := p.Milestones[j]
	loc, lang := h.zoneLang(g)
	left := int(m.Due.Sub(at).Hours()/24 + 0.999) // whole days to the due day, rounded up
	msg := send.Message{ChatID: p.Lead, Ref: pjRef(p.ID), Key: fmt.Sprintf("pj:%d:rem:%d:%d", p.ID, j, m.Due.Unix()),
		Text: h.Texts.T(lang, "pj_remind", i18n.Args{"Lead": p.LeadName, "P": label(p.ID), "Project": p.Name, "Name": m.Name,
			"Due": day(m.Due, loc), "Days": max(0, left), "Village": p.Village}),
		Buttons: [][]send.Button{{{Text: h.Texts.T(lang, "pj_btn_done", i18n.Args{"Name": clip(m.Name, 24)}), Data: pmData(p.ID, p.Version, j)}}}}
	if err := h.Out.Enqueue(ctx, msg); err != nil {
		h.log().Warn("milestone reminder not sent", "project", p.ID, "lead", p.Lead, "err", err)
	}
	return h.Store.AddProjectHistory(ctx, p.ID, cadrebot.ProjectEntry{At: at, Action: cadrebot.PjRemind, Milestone: j + 1, Note: m.Name})
}

// tellOverdue tells the village group of p's milestones that just
// slipped, in one message with a button for each.
func (h *Projects) tellOverdue(ctx context.Context, p *cadrebot.Project, g *cadrebot.Group, js []int, at time.Time) error {
	loc, lang := h.zoneLang(g)
	var b strings.Builder
	b.WriteString(h.Texts.T(lang, "pj_overdue", i18n.Args{"P": label(p.ID), "Project": p.Name,
		"Lead": i18n.HTML(leadMention(p))}))
	var kb [][]send.Button
	keys := make([]string, len(js))
	for i, j := range js {
		m := p.Milestones[j]
		b.WriteString("\n" + h.milestoneLine(lang, m, loc, at))
		kb = append(kb, []send.Button{{Text: h.Texts.T(lang, "pj_btn_done", i18n.Args{"Name": clip(m.Name, 24)}), Data: pmData(p.ID, p.Version, j)}})
		keys[i] = strconv.Itoa(j)
	}
	msg := send.Message{ChatID: p.VillageChat, Text: b.String(), Buttons: kb, Ref: pjRef(p.ID),
		Key: fmt.Sprintf("pj:%d:od:%s:%d", p.ID, strings.Join(keys, "-"), at.Unix())}
	if err := h.Out.Enqueue(ctx, msg); err != nil {
		h.log().Warn("overdue milestone notice not sent", "project", p.ID, "err", err)
	}
	var errs []error
	for _, j := range js {
		errs = append(errs, h.Store.AddProjectHistory(ctx, p.ID, cadrebot.ProjectEntry{At: at, Action: cadrebot.PjOverdue,
			Milestone: j + 1, Note: p.Milestones[j].Name}))
	}
	return errors.Join(errs...)
}

// leadMention names the lead so that the group's notice reaches them.
func leadMention(p *cadrebot.Project) string {
	return `<a href="tg://user?id=` + strconv.FormatInt(p.Lead, 10) + `">` + i18n.Escape(p.LeadName) + `</a>`
}
