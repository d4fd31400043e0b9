package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// Lifecycle commands mirror the card buttons, for handlers who prefer
// typing and for acting from another chat:
//
//	/accept N   /resolve N NOTE   /reject N REASON   /reopen N [REASON]
//	/close N    /assign N DEPT    /category N CAT (triage)
//	/support N [-]DEPT   /note N TEXT
//
// /resolve (problem_proof.go) takes photos too.

// Accept handles /accept N.
func (h *Problems) Accept() Func {
	return h.command("pr_usage_accept", func(u *Update, rest string) (cadrebot.Change, error) {
		return cadrebot.Change{Action: cadrebot.ActAccept}, nil
	})
}

// Reject handles /reject N REASON: the problem goes back to the reporter.
func (h *Problems) Reject() Func {
	return h.command("pr_usage_reject", func(u *Update, rest string) (cadrebot.Change, error) {
		return cadrebot.Change{Action: cadrebot.ActReturn, Note: rest}, nil
	})
}

// Reopen handles /reopen N [REASON].
func (h *Problems) Reopen() Func {
	return h.command("pr_usage_reopen", func(u *Update, rest string) (cadrebot.Change, error) {
		return cadrebot.Change{Action: cadrebot.ActReopen, Note: rest}, nil
	})
}

// Close handles /close N, for the reporter (after a resolution) and
// village admins.
func (h *Problems) Close() Func {
	return h.command("pr_usage_close", func(u *Update, rest string) (cadrebot.Change, error) {
		return cadrebot.Change{Action: cadrebot.ActClose, Note: rest}, nil
	})
}

// Assign handles /assign N DEPT.
func (h *Problems) Assign() Func {
	return h.command("pr_usage_assign", func(u *Update, rest string) (cadrebot.Change, error) {
		id := strings.TrimSpace(rest)
		if id == "" {
			return cadrebot.Change{}, cadrebot.Errorf("pr_usage_assign", "Depts", h.deptList())
		}
		if _, ok := h.Cfg.Department(id); !ok {
			return cadrebot.Change{}, cadrebot.Errorf("pr_err_unknown_dept", "Dept", id, "Depts", h.deptList())
		}
		return h.reassign(id), nil
	})
}

// Categorize handles /category N CAT: a triage handler sets the category,
// which routes the problem to its department.
func (h *Problems) Categorize() Func {
	return h.command("pr_usage_category", func(u *Update, rest string) (cadrebot.Change, error) {
		id := strings.TrimSpace(rest)
		c, ok := h.category(id)
		if !ok {
			if id == "" {
				return cadrebot.Change{}, cadrebot.Errorf("pr_usage_category", "Cats", h.catList())
			}
			return cadrebot.Change{}, cadrebot.Errorf("pr_err_unknown_category", "Cat", id, "Cats", h.catList())
		}
		return h.categorize(c), nil
	})
}

// categorize routes a problem by its category: the category's department
// leads, with the category's supporting departments.
func (h *Problems) categorize(c config.Category) cadrebot.Change {
	return cadrebot.Change{Action: cadrebot.ActCategorize, Category: c.ID, Dept: c.Department, SLA: c.SLA.Duration,
		Support: cadrebot.SupportOf(c.Department, c.Support)}
}

// reassign hands a problem to dept. The fresh deadline it starts is the
// SLA of the problem's category, which the caller fills in (withSLA for
// /assign, buttonChange for the card), since only they hold the problem.
func (h *Problems) reassign(dept string) cadrebot.Change {
	return cadrebot.Change{Action: cadrebot.ActReassign, Dept: dept}
}

// command parses "N [rest]" and runs the change that build makes of it.
func (h *Problems) command(usage string, build func(u *Update, rest string) (cadrebot.Change, error)) Func {
	return func(ctx context.Context, u *Update) error {
		num, rest, _ := strings.Cut(strings.TrimSpace(u.Args), " ")
		if num == "" {
			return cadrebot.Errorf(usage, "Depts", h.deptList(), "Cats", h.catList())
		}
		id, ok := parseID(num)
		if !ok {
			return cadrebot.Errorf("pr_err_not_number", "Arg", num)
		}
		c, err := build(u, strings.TrimSpace(rest))
		if err != nil {
			return err
		}
		if err := h.withSLA(ctx, id, &c); err != nil {
			return err
		}
		p, err := h.act(ctx, id, u.From.ID, DisplayName(u.From), c, -1, u.Now)
		if err != nil {
			return h.localize(err, u.Lang)
		}
		return Reply(ctx, h.Out, u, h.doneText(u.Lang, &p, c.Action))
	}
}

// withSLA fills the deadline a reassignment starts: the SLA of the
// problem's category (reassigning keeps the category).
func (h *Problems) withSLA(ctx context.Context, id int64, c *cadrebot.Change) error {
	if c.Action != cadrebot.ActReassign {
		return nil
	}
	p, err := h.Store.Problem(ctx, id)
	if errors.Is(err, cadrebot.ErrNotFound) {
		return cadrebot.Errorf("pr_err_unknown", "N", id)
	}
	if err != nil {
		return err
	}
	if cat, ok := h.category(p.Category); ok {
		c.SLA = cat.SLA.Duration
	}
	return nil
}

// doneText confirms an action to whoever did it.
func (h *Problems) doneText(lang string, p *cadrebot.Problem, a cadrebot.Action) string {
	return h.Texts.T(lang, "pr_done", i18n.Args{"N": p.ID, "Action": i18n.HTML(h.Texts.T(lang, "pr_act_"+string(a))),
		"Status": i18n.HTML(h.Texts.T(lang, "pr_status_"+string(p.Status))), "Dept": h.deptName(lang, p.Dept)})
}

// statusLine says where a problem stands, for messages whose buttons
// went out of date.
func (h *Problems) statusLine(lang string, p *cadrebot.Problem) string {
	return h.Texts.T(lang, "pr_status_line", i18n.Args{"N": p.ID,
		"Status": i18n.HTML(h.Texts.T(lang, "pr_status_"+string(p.Status))), "Dept": h.deptName(lang, p.Dept)})
}

// CardButton handles "p:" buttons: the actions on department cards and
// the reporter's answers in the village group. Data can be forged, so
// every press is checked again: the pressed card must be the problem's,
// the version must be the one drawn, the button must be one the card (or
// question) shows for the problem as it is, and the presser must hold a
// role. A forgery changes nothing, not even the pressed message.
func (h *Problems) CardButton() Func {
	return func(ctx context.Context, u *Update) error {
		act, id, ver, arg, ok := parseCB(u.Callback.Data)
		onCard, known := cardActs[act]
		if !ok || !known {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if onCard {
			real, err := h.Store.CardProblem(ctx, u.ChatID, u.MessageID())
			if err != nil {
				return err
			}
			if real != id {
				// Tampered data, or a button on a message that is no card.
				return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_err_forged")), true)
			}
		} else if !offered(u) {
			// A question is never redrawn, so its buttons are still on it.
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		p, err := h.Store.Problem(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if err != nil {
			return err
		}
		if !onCard && p.VillageChat != u.ChatID {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if p.Version != ver {
			return h.stale(ctx, u, &p, onCard)
		}
		if !slices.Contains(h.offers(&p, u.ChatID, onCard), u.Callback.Data) || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		switch act {
		case "back":
			h.refreshPressed(ctx, u, p.ID)
			return nil
		case "res", "ret", "nt":
			return h.askNote(ctx, u, &p, act)
		case "asg":
			return h.askDept(ctx, u, &p)
		case "sp":
			return h.askSupport(ctx, u, &p)
		case "rsb":
			return h.startResubmit(ctx, u, &p)
		case "rate", "ok", "no":
			return h.ratePressed(ctx, u, &p, act, arg)
		}
		c, err := h.buttonChange(u.Lang, act, arg, &p)
		if err != nil {
			return err
		}
		next, err := h.act(ctx, id, u.From.ID, DisplayName(u.From), c, ver, u.Now)
		if errors.Is(err, errStale) {
			return h.stale(ctx, u, &next, onCard)
		}
		if err != nil {
			return h.localize(err, u.Lang)
		}
		if !onCard {
			// The question is answered: its buttons go.
			if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.doneText(u.Lang, &next, c.Action), nil); err != nil {
				h.log().Warn("edit answered question", "err", err)
			}
		}
		return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.doneText(u.Lang, &next, c.Action)), false)
	}
}

// cardActs are the "p:" actions: true for buttons on department cards,
// false for the questions in the village group.
var cardActs = map[string]bool{"acc": true, "res": true, "ret": true, "asg": true, "to": true, "cat": true, "back": true,
	"sp": true, "sa": true, "sr": true, "nt": true,
	"rate": false, "ok": false, "no": false, "rsb": false, "wd": false}

// offers is every button data the problem's current version shows in
// chat: on a card, its actions and the department list behind 🔀; on the
// village's question, the answers its status asks for.
func (h *Problems) offers(p *cadrebot.Problem, chat int64, onCard bool) []string {
	var out []string
	add := func(rows [][]send.Button) {
		for _, r := range rows {
			for _, b := range r {
				out = append(out, b.Data)
			}
		}
	}
	if onCard {
		rows := h.cardButtons(h.Cfg.Language, p, p.CardDepts[chat])
		add(rows)
		if slices.Contains(out, cbData("asg", p.ID, p.Version)) {
			add(h.deptButtons(h.Cfg.Language, p))
		}
		if slices.Contains(out, cbData("sp", p.ID, p.Version)) {
			add(h.supportButtons(h.Cfg.Language, p))
		}
		return out
	}
	add(h.villageButtons(h.Cfg.Language, p))
	if p.Status == cadrebot.StatusResolved {
		// The "is it fixed?" answers of messages sent before ratings; a
		// message offers them only if it carries them (offered).
		out = append(out, cbData("ok", p.ID, p.Version), cbData("no", p.ID, p.Version))
	}
	return out
}

func (h *Problems) buttonChange(lang, act, arg string, p *cadrebot.Problem) (cadrebot.Change, error) {
	switch act {
	case "acc":
		return cadrebot.Change{Action: cadrebot.ActAccept}, nil
	case "to":
		if _, ok := h.Cfg.Department(arg); !ok {
			return cadrebot.Change{}, cadrebot.Errorf("pr_err_unknown_dept", "Dept", arg, "Depts", h.deptList())
		}
		c := h.reassign(arg)
		if cat, ok := h.category(p.Category); ok {
			c.SLA = cat.SLA.Duration
		}
		return c, nil
	case "cat":
		cat, ok := h.category(arg)
		if !ok {
			return cadrebot.Change{}, cadrebot.Errorf("pr_err_unknown_category", "Cat", arg, "Cats", h.catList())
		}
		return h.categorize(cat), nil
	case "sa", "sr":
		if _, ok := h.Cfg.Department(arg); !ok {
			return cadrebot.Change{}, cadrebot.Errorf("pr_err_unknown_dept", "Dept", arg, "Depts", h.deptList())
		}
		a := cadrebot.ActSupport
		if act == "sr" {
			a = cadrebot.ActUnsupport
		}
		return cadrebot.Change{Action: a, Dept: arg}, nil
	case "wd":
		return cadrebot.Change{Action: cadrebot.ActClose}, nil
	}
	return cadrebot.Change{}, cadrebot.Errorf("err_stale_button")
}

// stale answers a press on an out-of-date message and brings the message
// up to date.
func (h *Problems) stale(ctx context.Context, u *Update, p *cadrebot.Problem, onCard bool) error {
	if onCard {
		h.refreshPressed(ctx, u, p.ID)
	} else if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.statusLine(u.Lang, p), nil); err != nil {
		h.log().Warn("edit stale question", "err", err)
	}
	return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_err_stale", i18n.Args{"N": p.ID})), true)
}

// refreshPressed redraws the pressed card as the problem it belongs to
// is now; a message that is no card loses its buttons.
func (h *Problems) refreshPressed(ctx context.Context, u *Update, id int64) {
	if id == 0 {
		return
	}
	p, err := h.Store.Problem(ctx, id)
	if err != nil {
		h.log().Warn("refresh card", "problem", id, "err", err)
		return
	}
	dept := p.CardDepts[u.ChatID]
	h.editCard(ctx, &p, u.ChatID, u.MessageID(), dept, u.Now)
}

// askNote checks that the presser may resolve or return, then asks for
// the note; their next message in this chat is it (see actionNote).
func (h *Problems) askNote(ctx context.Context, u *Update, p *cadrebot.Problem, act string) error {
	a := noteAction[act]
	f := &actionForm{ID: p.ID, Ver: p.Version, Act: act}
	switch act {
	case "nt":
		// The note is the pressed card's department's: it must be one of
		// p's supporters, and the presser in its chat.
		f.Dept = p.CardDepts[u.ChatID]
		ok, err := h.memberOfDept(ctx, f.Dept, u.From.ID)
		if err != nil {
			return err
		}
		if !ok && !h.Auth.IsDeploymentAdmin(u.From.ID) {
			return h.localize(cadrebot.Errorf("pr_err_forbidden", "N", p.ID, "Action", string(a)), u.Lang)
		}
	default:
		if err := h.mayAct(ctx, p, u.From.ID, a); err != nil {
			return h.localize(err, u.Lang)
		}
	}
	// The note is typed: a new message asks for it with ForceReply, and
	// names the presser, since a button press has no message of theirs
	// to reply to and a selective prompt must reach them.
	mid, err := h.Out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, ReplyTo: u.MessageID(), ForceReply: true,
		Placeholder: i18n.Plain(h.Texts.T(u.Lang, noteAsk[act]+"_ph")),
		Text:        h.Texts.T(u.Lang, noteAsk[act], i18n.Args{"N": p.ID, "Name": mention(u.From)}),
		Ref:         formRef(store.FormAction, u.ChatID, u.From.ID, strconv.FormatInt(p.ID, 10), false)})
	if err != nil {
		return err
	}
	f.Prompts = addPrompts(f.Prompts, mid)
	if err := h.saveForm(ctx, u.ChatID, u.From.ID, store.FormAction, f, u.Now); err != nil {
		return err
	}
	return AnswerCallback(ctx, h.Out, u, "", false)
}

// noteAsk is the question for each action's note: a resolution note, a
// return reason, a supporting department's progress, the reason a
// reporter is unsatisfied.
var noteAsk = map[string]string{"res": "pr_ask_note", "ret": "pr_ask_reason", "nt": "pr_ask_support_note", "un": "pr_ask_unsatisfied"}

// noteAction is the action each pending note is for.
var noteAction = map[string]cadrebot.Action{"res": cadrebot.ActResolve, "ret": cadrebot.ActReturn, "nt": cadrebot.ActNote,
	"un": cadrebot.ActReopen}

// mayAct refuses early, before asking for a note or a department, anyone
// the transition would refuse anyway.
func (h *Problems) mayAct(ctx context.Context, p *cadrebot.Problem, user int64, a cadrebot.Action) error {
	roles, err := h.roles(ctx, p, user, a)
	if err != nil {
		return err
	}
	if !roles.Has(cadrebot.MayAct(a)) {
		return cadrebot.Errorf("pr_err_forbidden", "N", p.ID, "Action", string(a))
	}
	return nil
}

// actionNote takes the note of a pending action: a reply to the bot's
// question, or (privacy off) a plain message. A reply to any other bot
// message, such as a colleague's question, is not it. A resolution takes
// photos too: with the note as their caption, or before it.
func (h *Problems) actionNote(ctx context.Context, u *Update, replyTo int) (bool, error) {
	var f actionForm
	st, err := h.loadForm(ctx, u, store.FormAction, &f)
	if err != nil || st == formNone {
		return false, err
	}
	if st == formExpired {
		// Too late to be the note; let the message be what it is.
		return false, h.dropForm(ctx, u.ChatID, u.From.ID, store.FormAction)
	}
	if !answers(f.Prompts, replyTo) {
		return false, nil
	}
	note := strings.TrimSpace(u.Msg.Text)
	if note == "" {
		note = strings.TrimSpace(u.Msg.Caption)
	}
	ph := bestPhoto(u.Msg)
	if f.Act == "res" && ph != "" {
		if len(f.Photos) < h.Cfg.Problems.MaxPhotos {
			f.Photos = append(f.Photos, ph)
		}
		if f.Album == "" {
			f.Album = u.Msg.MediaGroupID
		}
		if note == "" {
			// Evidence before the words: kept, acknowledged, and the
			// question asked already stands.
			if err := h.saveForm(ctx, u.ChatID, u.From.ID, store.FormAction, &f, u.Now); err != nil {
				return true, err
			}
			if err := h.Out.React(ctx, u.ChatID, u.Msg.ID, "👍"); err != nil {
				h.log().Warn("react to resolution photo", "err", err)
			}
			return true, nil
		}
	}
	if note == "" {
		mid, err := h.Out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, ReplyTo: u.Msg.ID, ForceReply: true,
			Placeholder: i18n.Plain(h.Texts.T(u.Lang, noteAsk[f.Act]+"_ph")),
			Text:        h.Texts.T(u.Lang, noteAsk[f.Act], i18n.Args{"N": f.ID, "Name": DisplayName(u.From)}),
			Ref:         formRef(store.FormAction, u.ChatID, u.From.ID, strconv.FormatInt(f.ID, 10), false)})
		if err != nil {
			return true, err
		}
		f.Prompts = addPrompts(f.Prompts, mid)
		return true, h.saveForm(ctx, u.ChatID, u.From.ID, store.FormAction, &f, u.Now)
	}
	if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormAction); err != nil {
		return true, err
	}
	return true, h.finishNote(ctx, u, &f, note)
}

// finishNote performs the action a note was waiting for.
func (h *Problems) finishNote(ctx context.Context, u *Update, f *actionForm, note string) error {
	a := noteAction[f.Act]
	var p cadrebot.Problem
	var err error
	switch f.Act {
	case "nt":
		if p, err = h.Store.Problem(ctx, f.ID); err != nil {
			return err
		}
		return h.addNote(ctx, u, &p, f.Dept, note)
	case "un":
		// The reason reopens the problem and is the rating's.
		p, err = h.act(ctx, f.ID, u.From.ID, DisplayName(u.From), cadrebot.Change{Action: a, Note: note,
			Rating: cadrebot.RatingUnsatisfied}, f.Ver, u.Now)
	case "res":
		album := f.Album
		if bestPhoto(u.Msg) == "" || u.Msg.MediaGroupID != album {
			album = "" // the album, if any, is all in already
		}
		p, err = h.resolve(ctx, u, f.ID, cadrebot.Change{Action: a, Note: note, Photos: f.Photos}, f.Ver, album)
	default:
		p, err = h.act(ctx, f.ID, u.From.ID, DisplayName(u.From), cadrebot.Change{Action: a, Note: note}, f.Ver, u.Now)
	}
	if errors.Is(err, errStale) {
		return cadrebot.Errorf("pr_err_stale", "N", f.ID)
	}
	if err != nil {
		return h.localize(err, u.Lang)
	}
	if f.Act == "un" {
		return nil // the village's notice of the reopening answers it
	}
	return Reply(ctx, h.Out, u, h.doneText(u.Lang, &p, a))
}

// askDept offers the departments to reassign to.
func (h *Problems) askDept(ctx context.Context, u *Update, p *cadrebot.Problem) error {
	if err := h.mayAct(ctx, p, u.From.ID, cadrebot.ActReassign); err != nil {
		return h.localize(err, u.Lang)
	}
	return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.cardText(u.Lang, p, false, u.Now)+"\n\n"+
		h.Texts.T(u.Lang, "pr_ask_dept", i18n.Args{"N": p.ID}), h.deptButtons(u.Lang, p))
}

// deptButtons are the departments a card's 🔀 offers, and ◀ back.
func (h *Problems) deptButtons(lang string, p *cadrebot.Problem) [][]send.Button {
	var rows [][]send.Button
	for _, d := range h.Cfg.Departments {
		if d.ID == p.Dept {
			continue
		}
		rows = append(rows, []send.Button{{Text: h.deptName(lang, d.ID), Data: cbData("to", p.ID, p.Version, d.ID)}})
	}
	return append(rows, []send.Button{{Text: h.Texts.T(lang, "pr_btn_back"), Data: cbData("back", p.ID, p.Version)}})
}

// startResubmit opens the report dialog on a returned problem, filled in,
// at the summary, so the reporter corrects what the department asked.
func (h *Problems) startResubmit(ctx context.Context, u *Update, p *cadrebot.Problem) error {
	if err := h.mayAct(ctx, p, u.From.ID, cadrebot.ActResubmit); err != nil {
		return h.localize(err, u.Lang)
	}
	f := &reportForm{Nonce: newNonce(), MsgID: p.ReportMsgID, Text: p.Text, Cat: p.Category, Photos: p.Photos,
		HasLoc: p.HasLoc, Lat: p.Lat, Lon: p.Lon, Addr: p.Address, Resubmit: p.ID, ResubVer: p.Version}
	if f.Cat == "" && len(h.Cfg.Categories) > 0 && h.Cfg.TriageDepartment == "" {
		f.Cat = h.Cfg.Categories[0].ID
	}
	if err := h.toSummary(ctx, u, f, false); err != nil {
		return err
	}
	return AnswerCallback(ctx, h.Out, u, "", false)
}
