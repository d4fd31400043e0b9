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
	"cadrebot/units"
)

// OverdueSweep is the overdue_sweep job. It retries cards that could not
// be delivered, reminds each department of its items that passed their
// deadline, and escalates items one level up the parents for every further
// SLA period they stay unresolved: at Due the department is reminded
// (stage 0); at Due+SLA the parent gets the card (stage 1); at Due+2·SLA
// the grandparent, and so on. A marker per problem, deadline and stage,
// set with HSETNX before anything is sent, makes each step happen once
// across restarts, catch-up runs and replicas.
func (h *Problems) OverdueSweep(ctx context.Context, at time.Time) error {
	var errs []error
	if err := h.retryCards(ctx, at); err != nil {
		errs = append(errs, err)
	}
	ids, err := h.Store.DueBy(ctx, at)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	ps, err := h.Store.Problems(ctx, ids)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	due := map[string][]cadrebot.Problem{}
	var order []string
	for _, p := range ps {
		stage := p.StageAt(at)
		if stage < 0 {
			continue
		}
		won, err := h.Store.MarkProblem(ctx, p.ID, fmt.Sprintf("od:%d:%d", p.Due.Unix(), stage), strconv.FormatInt(at.Unix(), 10))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !won {
			continue
		}
		if err := h.escalate(ctx, &p, stage, at); err != nil {
			errs = append(errs, err)
		}
		if err := h.escalateToLeaders(ctx, &p, stage, at); err != nil {
			errs = append(errs, err)
		}
		if due[p.Dept] == nil {
			order = append(order, p.Dept)
		}
		due[p.Dept] = append(due[p.Dept], p)
	}
	for _, dept := range order {
		if err := h.remind(ctx, dept, due[dept], at); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// escalate records stage for p and, from stage 1, sends its card to the
// ancestor at that level, if the chain is that long.
func (h *Problems) escalate(ctx context.Context, p *cadrebot.Problem, stage int, at time.Time) error {
	anc := h.Cfg.Ancestors(p.Dept)
	if stage == 0 || stage > len(anc) {
		if stage == 0 {
			h.refreshCards(ctx, p, at) // the cards now say "overdue"
		}
		return h.Store.AddProblemHistory(ctx, p.ID, cadrebot.Entry{At: at, Action: cadrebot.ActRemind, Dept: p.Dept})
	}
	target := anc[stage-1]
	if err := h.Store.SetProblemStage(ctx, p.ID, stage, cadrebot.Entry{At: at, Action: cadrebot.ActEscalate, Dept: target}); err != nil {
		return err
	}
	p.Stage = stage
	h.postCard(ctx, p, target, at)
	h.refreshCards(ctx, p, at)
	return nil
}

// leaderTarget picks the leaders' group an overdue problem reaches at
// stage: the nearest unit above its village that has one at stage 1 (its
// town, usually), the next one up at stage 2, and so on, in step with the
// departments' escalation; none at stage 0 (the department is reminded
// first) or past the top.
func leaderTarget(leaders []units.Unit, stage int) (units.Unit, bool) {
	if stage < 1 || stage > len(leaders) {
		return units.Unit{}, false
	}
	return leaders[stage-1], true
}

// escalateToLeaders tells the leaders' group leaderTarget picks that a
// problem of one of its villages is overdue, once per deadline and stage
// (the caller holds the stage's marker), and notes it in the history.
func (h *Problems) escalateToLeaders(ctx context.Context, p *cadrebot.Problem, stage int, at time.Time) error {
	if h.Leaders == nil || stage < 1 {
		return nil
	}
	ls, err := h.Leaders(ctx, p.VillageChat)
	if err != nil {
		return err
	}
	u, ok := leaderTarget(ls, stage)
	if !ok {
		return nil
	}
	if err := h.Store.AddProblemHistory(ctx, p.ID, cadrebot.Entry{At: at, Action: cadrebot.ActLeaders, Note: u.Name}); err != nil {
		return err
	}
	lang := h.chatLang(ctx, u.Chat)
	text := h.Texts.T(lang, "pr_leaders_overdue", i18n.Args{"Unit": u.Label(lang), "Line": i18n.HTML(h.listLine(lang, p, at)),
		"Dept": h.deptName(lang, p.Dept), "Days": strconv.FormatFloat(at.Sub(p.Due).Hours()/24, 'f', 1, 64), "N": p.ID})
	m := send.Message{ChatID: u.Chat, Text: text, Ref: ref(p.ID), Key: fmt.Sprintf("pr:%d:lead:%d:%d", p.ID, p.Due.Unix(), stage)}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("leaders' escalation not sent", "problem", p.ID, "chat", u.Chat, "err", err)
	}
	return nil
}

// remind sends a department one message listing its newly overdue items,
// rather than one per item, to spare the group's 20 messages a minute.
func (h *Problems) remind(ctx context.Context, dept string, ps []cadrebot.Problem, at time.Time) error {
	chat, err := h.deptChat(ctx, dept)
	if err != nil || chat == 0 {
		return err // no chat: the items are flagged undeliverable already
	}
	lang := h.chatLang(ctx, chat)
	var b strings.Builder
	b.WriteString(h.Texts.T(lang, "pr_overdue_title", i18n.Args{"Dept": h.deptName(lang, dept), "Count": len(ps)}))
	for i := range ps {
		p := &ps[i]
		b.WriteString("\n" + h.listLine(lang, p, at))
		if p.Stage > 0 {
			if anc := h.Cfg.Ancestors(p.Dept); p.Stage <= len(anc) {
				b.WriteString(" " + h.Texts.T(lang, "pr_overdue_escalated", i18n.Args{"Dept": h.deptName(lang, anc[p.Stage-1])}))
			}
		}
	}
	m := send.Message{ChatID: chat, Text: b.String(), Key: fmt.Sprintf("pr:od:%s:%d", dept, at.Unix())}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("overdue reminder not sent", "dept", dept, "chat", chat, "err", err)
	}
	return nil
}

// retryCards tries again to deliver cards that failed: the bot may be
// back in the chat, or a new chat bound with /bind.
func (h *Problems) retryCards(ctx context.Context, at time.Time) error {
	ids, err := h.Store.CardRetries(ctx, at)
	if err != nil {
		return err
	}
	ps, err := h.Store.Problems(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ps {
		p := &ps[i]
		if !p.Status.Held() {
			// Nothing for a department to do any more.
			if err := h.Store.ClearUndeliverable(ctx, p.ID, nil); err != nil {
				return err
			}
			continue
		}
		if hasCard(p, p.Dept) && !p.Undeliverable {
			// Posted after all: the sender recorded the card but died
			// before taking the problem off the retry list.
			if err := h.Store.CardPosted(ctx, p.ID, nil); err != nil {
				return err
			}
			continue
		}
		h.postCard(ctx, p, p.Dept, at)
	}
	return nil
}

// hasCard reports whether dept already has p's card.
func hasCard(p *cadrebot.Problem, dept string) bool {
	for _, d := range p.CardDepts {
		if d == dept {
			return true
		}
	}
	return false
}

// ResolvedSweep is the resolved_sweep job. When problems.reopen_days have
// passed since a resolution, a problem the reporter rated satisfied or
// basically satisfied closes (a rating may change until then); an
// unrated one gets the question "is this fixed?" with the rating buttons,
// as a reply to the report, and closes by itself after as many days
// again if nobody answers. "Unsatisfied" reopened it long before.
func (h *Problems) ResolvedSweep(ctx context.Context, at time.Time) error {
	window := h.reopenWindow()
	ids, err := h.Store.ResolvedBy(ctx, at.Add(-window))
	if err != nil {
		return err
	}
	ps, err := h.Store.Problems(ctx, ids)
	if err != nil {
		return err
	}
	var errs []error
	for i := range ps {
		p := &ps[i]
		if p.Status != cadrebot.StatusResolved {
			continue
		}
		if p.Rating.Satisfied() && !p.RatedAt.Before(p.ResolvedAt) {
			// Rated this resolution: nothing left to ask.
			_, err := h.act(ctx, p.ID, 0, "", cadrebot.Change{Action: cadrebot.ActClose, Roles: cadrebot.RoleSystem}, p.Version, at)
			if err != nil && !errors.Is(err, errStale) {
				errs = append(errs, fmt.Errorf("close rated #%d: %w", p.ID, err))
			}
			continue
		}
		if p.AskedAt.IsZero() {
			if err := h.ask(ctx, p, at); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if at.Before(p.AskedAt.Add(window)) {
			continue
		}
		_, err := h.act(ctx, p.ID, 0, "", cadrebot.Change{Action: cadrebot.ActClose, Roles: cadrebot.RoleSystem}, p.Version, at)
		if err != nil && !errors.Is(err, errStale) {
			errs = append(errs, fmt.Errorf("auto-close #%d: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Problems) ask(ctx context.Context, p *cadrebot.Problem, at time.Time) error {
	won, err := h.Store.MarkProblem(ctx, p.ID, "ask:"+strconv.FormatInt(p.ResolvedAt.Unix(), 10), strconv.FormatInt(at.Unix(), 10))
	if err != nil || !won {
		return err
	}
	if err := h.Store.SetProblemAsked(ctx, p.ID, at, cadrebot.Entry{At: at, Action: cadrebot.ActAsk}); err != nil {
		return err
	}
	lang := h.chatLang(ctx, p.VillageChat)
	m := send.Message{ChatID: p.VillageChat, ReplyTo: p.ReportMsgID, Ref: ref(p.ID),
		Key:     fmt.Sprintf("pr:%d:ask:%d", p.ID, p.ResolvedAt.Unix()),
		Text:    h.Texts.T(lang, "pr_ask_fixed", i18n.Args{"N": p.ID, "Name": p.ReporterName, "Note": p.Note, "Days": h.Cfg.Problems.ReopenDays}),
		Buttons: h.villageButtons(lang, p)}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("is-it-fixed question not sent", "problem", p.ID, "err", err)
	}
	return nil
}
