package handlers

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// The /project dialog follows /report's conventions: typed answers are
// asked with ForceReply prompts (privacy mode delivers only replies to
// the bot), choices are buttons on one live message, the form lives in
// Redis under the group's tag and expires after problems.dialog_ttl by
// the bot's clock, and every press is checked against the message and the
// form. The steps: name → description → lead cadre (roster buttons) →
// budget (or skip) → milestones, one or more per reply → summary →
// confirm.

// projectFormVersion is the layout of projectForm; a form of another
// layout reads as expired.
const projectFormVersion = 1

// Project dialog steps.
const (
	pjStepName   = "name"
	pjStepDesc   = "desc"
	pjStepLead   = "lead"
	pjStepBudget = "budget"
	pjStepMiles  = "ms"
	pjStepSum    = "sum"
)

// pjStepOps are the buttons each step's live message shows.
var pjStepOps = map[string][]string{
	pjStepLead:   {"l", "x"},
	pjStepBudget: {"sk", "x"},
	pjStepMiles:  {"nx", "x"},
	pjStepSum:    {"ok", "x"},
}

// maxLeadButtons bounds the roster shown as lead buttons.
const maxLeadButtons = 12

type formMilestone struct {
	Name string `json:"n"`
	Due  int64  `json:"d"`
}

// projectForm is the /project dialog of one user in one chat.
type projectForm struct {
	V        int             `json:"v"`
	Nonce    string          `json:"n"`
	Step     string          `json:"s"`
	Exp      int64           `json:"e"`
	MsgID    int             `json:"m"` // the /project message
	Name     string          `json:"nm,omitempty"`
	Desc     string          `json:"ds,omitempty"`
	Lead     int64           `json:"ld,omitempty"`
	LeadName string          `json:"ln,omitempty"`
	Budget   string          `json:"bg,omitempty"`
	Miles    []formMilestone `json:"ms,omitempty"`
	// Leads are the cadres the lead step offered; a press for anyone
	// else is forged.
	Leads []int64 `json:"ls,omitempty"`
	// Board and Prompts as in reportForm.
	Board   int   `json:"b,omitempty"`
	Prompts []int `json:"pm,omitempty"`
}

func (f *projectForm) milestones() []cadrebot.Milestone {
	out := make([]cadrebot.Milestone, len(f.Miles))
	for i, m := range f.Miles {
		out[i] = cadrebot.Milestone{Name: m.Name, Due: time.Unix(m.Due, 0)}
	}
	return out
}

// adopt takes in the form's messages that the outbox sent (FormSent).
func (f *projectForm) adopt(msgs map[int]string) {
	for id, mark := range msgs {
		tag, role, ok := strings.Cut(mark, ":")
		if !ok || tag != f.Nonce {
			continue
		}
		if role == "b" && id > f.Board {
			f.Board = id
		}
		if !slices.Contains(f.Prompts, id) {
			f.Prompts = addPrompts(f.Prompts, id)
		}
	}
}

func (h *Projects) dialogTTL() time.Duration { return h.Cfg.Problems.DialogTTL.Duration }

func (h *Projects) loadForm(ctx context.Context, u *Update, f *projectForm) (formState, error) {
	now := u.Now
	b, msgs, err := readForm(ctx, h.Store, u, store.FormProject)
	if err != nil || b == nil {
		return formNone, err
	}
	defer f.adopt(msgs)
	if json.Unmarshal(b, f) != nil || f.V != projectFormVersion || now.Unix() > f.Exp {
		return formExpired, nil
	}
	return formLive, nil
}

func (h *Projects) saveForm(ctx context.Context, chat, user int64, f *projectForm, now time.Time) error {
	f.V, f.Exp = projectFormVersion, now.Add(h.dialogTTL()).Unix()
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return h.Store.SaveForm(ctx, chat, user, store.FormProject, b, h.dialogTTL()+24*time.Hour)
}

func (h *Projects) dropForm(ctx context.Context, chat, user int64) error {
	return h.Store.DeleteForm(ctx, chat, user, store.FormProject)
}

// pjData builds the project dialog's button data (see dialogData).
func pjData(user int64, nonce, op string, arg ...string) string {
	return dialogData(PrefixProjectDialog, user, nonce, op, arg...)
}

func parsePJ(data string) (user int64, nonce, op, arg string, ok bool) {
	return parseDialogData(PrefixProjectDialog, data)
}

// startDialog opens the /project dialog in a village group, for its
// cadres and admins.
func (h *Projects) startDialog(ctx context.Context, u *Update, name string) error {
	if !u.IsGroup() || !u.Group.IsVillage() {
		return cadrebot.Errorf("pj_err_village_only")
	}
	ok, err := h.mayWrite(ctx, u.ChatID, u.From.ID)
	if err != nil {
		return err
	}
	if !ok {
		return cadrebot.Errorf("pj_err_not_cadre")
	}
	f := &projectForm{Nonce: newNonce(), MsgID: u.Msg.ID, Step: pjStepName}
	if name != "" {
		if err := cadrebot.CheckProjectText("pj_err_name", name, cadrebot.MaxProjectName, true); err != nil {
			return err
		}
		f.Name, f.Step = name, pjStepDesc
		if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_desc", i18n.Args{"Name": DisplayName(u.From), "Project": name}), "pj_ph_desc"); err != nil {
			return err
		}
	} else if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_name", i18n.Args{"Name": DisplayName(u.From)}), "pj_ph_name"); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now)
}

// askText posts a ForceReply prompt of the form, replying to the user's
// message (or the /project message after a button). The caller saves.
func (h *Projects) askText(ctx context.Context, u *Update, f *projectForm, text, placeholder string) error {
	to := f.MsgID
	if u.Msg != nil {
		to = u.Msg.ID
	}
	id, err := h.Out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: to, ForceReply: true,
		Placeholder: i18n.Plain(h.Texts.T(u.Lang, placeholder)), Ref: formRef(store.FormProject, u.ChatID, u.From.ID, f.Nonce, false)})
	if err != nil {
		return err
	}
	f.Prompts = addPrompts(f.Prompts, id)
	return nil
}

// board shows the form's live message: edited in place after a button,
// new after typed text. The caller saves.
func (h *Projects) board(ctx context.Context, u *Update, f *projectForm, text string, kb [][]send.Button) error {
	if u.Callback != nil && u.MessageID() == f.Board {
		return h.Out.Edit(ctx, u.ChatID, f.Board, text, kb)
	}
	id, err := h.Out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: u.MessageID(), Buttons: kb,
		Ref: formRef(store.FormProject, u.ChatID, u.From.ID, f.Nonce, true)})
	if err != nil {
		return err
	}
	if id != 0 {
		f.Board, f.Prompts = id, addPrompts(f.Prompts, id)
	}
	return nil
}

// Intercept takes the answers of a /project dialog, and the rest of an
// album whose first photo carried a progress note.
func (h *Projects) Intercept(ctx context.Context, u *Update) (bool, error) {
	if u.Msg == nil {
		return false, nil
	}
	if done, err := h.noteAlbum(ctx, u); done || err != nil {
		return done, err
	}
	if !u.IsGroup() || u.NoForms {
		return false, nil
	}
	var f projectForm
	st, err := h.loadForm(ctx, u, &f)
	if err != nil || st == formNone {
		return false, err
	}
	to := replyToBot(u)
	if !answers(f.Prompts, to) {
		return false, nil
	}
	if st == formExpired {
		if err := h.dropForm(ctx, u.ChatID, u.From.ID); err != nil {
			return true, err
		}
		return true, Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pj_dlg_expired"))
	}
	return true, h.dialogInput(ctx, u, &f)
}

// dialogInput takes a typed answer.
func (h *Projects) dialogInput(ctx context.Context, u *Update, f *projectForm) error {
	text := strings.TrimSpace(u.Msg.Text)
	save := func() error { return h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now) }
	switch f.Step {
	case pjStepName:
		if err := cadrebot.CheckProjectText("pj_err_name", text, cadrebot.MaxProjectName, true); err != nil {
			return err
		}
		f.Name, f.Step = text, pjStepDesc
		if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_desc", i18n.Args{"Name": DisplayName(u.From), "Project": text}), "pj_ph_desc"); err != nil {
			return err
		}
		return save()
	case pjStepDesc:
		if err := cadrebot.CheckProjectText("pj_err_desc", text, cadrebot.MaxProjectDesc, true); err != nil {
			return err
		}
		f.Desc = text
		return h.toLead(ctx, u, f)
	case pjStepBudget:
		if err := cadrebot.CheckProjectText("pj_err_budget", text, cadrebot.MaxBudget, true); err != nil {
			return err
		}
		f.Budget = text
		return h.toMilestones(ctx, u, f)
	case pjStepMiles:
		_, loc, _ := h.villageOf(ctx, u.ChatID)
		now := u.Now.In(loc)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		ms, err := cadrebot.ParseMilestones(u.Msg.Text, today)
		if err != nil {
			return err
		}
		if len(f.Miles)+len(ms) > cadrebot.MaxMilestones {
			return cadrebot.Errorf("pj_err_many_milestones", "Max", cadrebot.MaxMilestones)
		}
		for _, m := range ms {
			f.Miles = append(f.Miles, formMilestone{Name: m.Name, Due: m.Due.Unix()})
		}
		slices.SortStableFunc(f.Miles, func(a, b formMilestone) int { return int(a.Due - b.Due) })
		if err := save(); err != nil {
			return err
		}
		// A reaction acknowledges; the live message lists them, edited in
		// place, so that adding milestones spends no new messages.
		if err := h.Out.React(ctx, u.ChatID, u.Msg.ID, "👍"); err != nil {
			h.log().Warn("react to milestone", "err", err)
		}
		return h.Out.Edit(ctx, u.ChatID, f.Board, h.milestonesText(u.Lang, f, loc), h.milestonesKeyboard(u.Lang, u.From.ID, f))
	}
	return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pj_dlg_use_buttons"))
}

// toLead offers the village's cadres as the project's lead.
func (h *Projects) toLead(ctx context.Context, u *Update, f *projectForm) error {
	roster, err := h.Store.Roster(ctx, u.ChatID)
	if err != nil {
		return err
	}
	f.Step, f.Leads = pjStepLead, []int64{u.From.ID}
	rows := [][]send.Button{{{Text: h.Texts.T(u.Lang, "pj_btn_lead_me"), Data: pjData(u.From.ID, f.Nonce, "l", strconv.FormatInt(u.From.ID, 36))}}}
	var row []send.Button
	for _, m := range roster {
		if m.UserID == u.From.ID || len(f.Leads) > maxLeadButtons {
			continue
		}
		f.Leads = append(f.Leads, m.UserID)
		row = append(row, send.Button{Text: m.Name, Data: pjData(u.From.ID, f.Nonce, "l", strconv.FormatInt(m.UserID, 36))})
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, []send.Button{{Text: h.Texts.T(u.Lang, "pr_btn_cancel"), Data: pjData(u.From.ID, f.Nonce, "x")}})
	if err := h.board(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_lead", i18n.Args{"Project": f.Name, "Days": h.Cfg.Projects.RemindDays}), rows); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now)
}

// toMilestones asks for the milestones.
func (h *Projects) toMilestones(ctx context.Context, u *Update, f *projectForm) error {
	f.Step = pjStepMiles
	_, loc, _ := h.villageOf(ctx, u.ChatID)
	if err := h.board(ctx, u, f, h.milestonesText(u.Lang, f, loc), h.milestonesKeyboard(u.Lang, u.From.ID, f)); err != nil {
		return err
	}
	if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_ms_ask", i18n.Args{"Example": u.Now.In(loc).AddDate(0, 1, 0).Format("2006-01-02")}), "pj_ph_ms"); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now)
}

func (h *Projects) milestonesText(lang string, f *projectForm, loc *time.Location) string {
	var b strings.Builder
	b.WriteString(h.Texts.T(lang, "pj_dlg_ms", i18n.Args{"Project": f.Name, "Count": len(f.Miles), "Max": cadrebot.MaxMilestones}))
	for i, m := range f.Miles {
		b.WriteString("\n" + h.Texts.T(lang, "pj_dlg_ms_line", i18n.Args{"N": i + 1, "Due": day(time.Unix(m.Due, 0), loc), "Name": m.Name}))
	}
	return b.String()
}

func (h *Projects) milestonesKeyboard(lang string, user int64, f *projectForm) [][]send.Button {
	row := []send.Button{{Text: h.Texts.T(lang, "pr_btn_cancel"), Data: pjData(user, f.Nonce, "x")}}
	if len(f.Miles) > 0 {
		row = append([]send.Button{{Text: h.Texts.T(lang, "pr_btn_next"), Data: pjData(user, f.Nonce, "nx")}}, row...)
	}
	return [][]send.Button{row}
}

// summaryText shows what Confirm creates.
func (h *Projects) summaryText(lang string, f *projectForm, loc *time.Location) string {
	var b strings.Builder
	b.WriteString(h.Texts.T(lang, "pj_sum_title", i18n.Args{"Project": f.Name}))
	b.WriteString("\n" + h.Texts.T(lang, "pj_detail_lead", i18n.Args{"Lead": f.LeadName, "Budget": f.Budget}))
	b.WriteString("\n<blockquote>" + i18n.Escape(clip(f.Desc, 600)) + "</blockquote>")
	for i, m := range f.Miles {
		b.WriteString("\n" + h.Texts.T(lang, "pj_dlg_ms_line", i18n.Args{"N": i + 1, "Due": day(time.Unix(m.Due, 0), loc), "Name": m.Name}))
	}
	return b.String()
}

// DialogButton handles "pj:" buttons. Only the form's owner presses
// them; data the message did not offer, or the form did not (a lead not
// listed, a step the form is not at), is forged.
func (h *Projects) DialogButton() Func {
	return func(ctx context.Context, u *Update) error {
		owner, nonce, op, arg, ok := parsePJ(u.Callback.Data)
		if !ok || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if owner != u.From.ID {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_not_yours")), true)
		}
		var f projectForm
		st, err := h.loadForm(ctx, u, &f)
		if err != nil {
			return err
		}
		if st != formLive || f.Nonce != nonce {
			if st == formExpired {
				if err := h.dropForm(ctx, u.ChatID, u.From.ID); err != nil {
					return err
				}
			}
			if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.Texts.T(u.Lang, "pj_dlg_expired"), nil); err != nil {
				h.log().Warn("edit expired project form", "err", err)
			}
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pj_dlg_expired")), true)
		}
		adoptBoard(&f.Board, f.Prompts, u.MessageID())
		if u.MessageID() != f.Board {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_old_button")), true)
		}
		if !pjOffers(&f, op, arg) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if !slices.Contains(pjStepOps[f.Step], op) {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_old_button")), false)
		}
		if err := h.dialogButton(ctx, u, &f, op, arg); err != nil {
			return err
		}
		return AnswerCallback(ctx, h.Out, u, "", false)
	}
}

// pjOffers reports whether the form ever offered op with arg.
func pjOffers(f *projectForm, op, arg string) bool {
	switch op {
	case "x", "sk", "nx", "ok":
		return arg == ""
	case "l":
		id, err := strconv.ParseInt(arg, 36, 64)
		return err == nil && slices.Contains(f.Leads, id)
	}
	return false
}

func (h *Projects) dialogButton(ctx context.Context, u *Update, f *projectForm, op, arg string) error {
	switch op {
	case "x":
		if err := h.dropForm(ctx, u.ChatID, u.From.ID); err != nil {
			return err
		}
		return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.Texts.T(u.Lang, "pr_cancelled"), nil)
	case "l":
		f.Lead, _ = strconv.ParseInt(arg, 36, 64)
		f.LeadName = DisplayName(u.From)
		if f.Lead != u.From.ID {
			roster, err := h.Store.Roster(ctx, u.ChatID)
			if err != nil {
				return err
			}
			for _, m := range roster {
				if m.UserID == f.Lead {
					f.LeadName = m.Name
				}
			}
		}
		f.Step = pjStepBudget
		kb := [][]send.Button{{{Text: h.Texts.T(u.Lang, "pj_btn_skip"), Data: pjData(u.From.ID, f.Nonce, "sk")},
			{Text: h.Texts.T(u.Lang, "pr_btn_cancel"), Data: pjData(u.From.ID, f.Nonce, "x")}}}
		if err := h.board(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_budget", i18n.Args{"Project": f.Name, "Lead": f.LeadName}), kb); err != nil {
			return err
		}
		if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pj_dlg_budget_ask", i18n.Args{"Name": mention(u.From)}), "pj_ph_budget"); err != nil {
			return err
		}
		return h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now)
	case "sk":
		return h.toMilestones(ctx, u, f)
	case "nx":
		f.Step = pjStepSum
		_, loc, _ := h.villageOf(ctx, u.ChatID)
		kb := [][]send.Button{{{Text: h.Texts.T(u.Lang, "pj_btn_create"), Data: pjData(u.From.ID, f.Nonce, "ok")},
			{Text: h.Texts.T(u.Lang, "pr_btn_cancel"), Data: pjData(u.From.ID, f.Nonce, "x")}}}
		if err := h.saveForm(ctx, u.ChatID, u.From.ID, f, u.Now); err != nil {
			return err
		}
		return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.summaryText(u.Lang, f, loc), kb)
	case "ok":
		return h.create(ctx, u, f)
	}
	return refuseForged(ctx, h.Out, h.Texts, u)
}

// create stores the project and turns the summary into its announcement.
func (h *Projects) create(ctx context.Context, u *Update, f *projectForm) error {
	p := cadrebot.Project{Version: 1, VillageChat: u.ChatID, Village: villageName(u.Group), Town: u.Group.Town,
		Name: f.Name, Desc: f.Desc, Lead: f.Lead, LeadName: f.LeadName, Budget: f.Budget, Milestones: f.milestones(),
		Created: u.Now, CreatedBy: u.From.ID, CreatorName: DisplayName(u.From)}
	cadrebot.SortMilestones(p.Milestones)
	if err := cadrebot.ValidateProject(&p); err != nil {
		return err
	}
	if _, err := h.Store.CreateProject(ctx, &p, cadrebot.ProjectEntry{At: u.Now, By: u.From.ID, Name: p.CreatorName,
		Action: cadrebot.PjCreate}); err != nil {
		return err
	}
	if err := h.dropForm(ctx, u.ChatID, u.From.ID); err != nil {
		h.log().Warn("drop finished project form", "err", err)
	}
	_, loc, _ := h.villageOf(ctx, u.ChatID)
	text := h.Texts.T(u.Lang, "pj_created", i18n.Args{"P": label(p.ID), "Project": p.Name, "Lead": p.LeadName,
		"Count": len(p.Milestones), "Next": p.Milestones[0].Name, "Due": day(p.Milestones[0].Due, loc)})
	// Reminders go privately, which works only once the lead started the
	// bot: say so now rather than let them go missing.
	if st, err := h.Store.UserState(ctx, p.Lead); err == nil && !st.Started {
		text += "\n" + h.Texts.T(u.Lang, "pj_lead_start_first", i18n.Args{"Lead": p.LeadName, "Bot": h.BotUsername})
	}
	return h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, nil)
}
