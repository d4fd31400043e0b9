package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// ReportButton handles the buttons of the report dialog ("rd:" data).
// Only the reporter may press them; a press on a form that expired, was
// replaced by a newer /report or was stored by an older version of the
// bot gets "this form expired, please start again", and a press on an
// older message of the live form "use the latest message". Data the
// pressed message did not offer, or that the form did not offer (a
// category not listed, a me-too for a problem not shown), is forged.
func (h *Problems) ReportButton() Func {
	return func(ctx context.Context, u *Update) error {
		owner, nonce, op, arg, ok := parseRD(u.Callback.Data)
		if !ok || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if owner != u.From.ID {
			return AnswerCallback(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_dlg_not_yours"), true)
		}
		var f reportForm
		st, err := h.loadForm(ctx, u, store.FormReport, &f)
		if err != nil {
			return err
		}
		if st != formLive || f.Nonce != nonce {
			if st == formExpired {
				if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
					return err
				}
			}
			if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.Texts.T(u.Lang, "pr_dlg_expired"), nil); err != nil {
				h.log().Warn("edit expired form", "err", err)
			}
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_expired")), true)
		}
		adoptBoard(&f.Board, f.Prompts, u.MessageID())
		if u.MessageID() != f.Board {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_old_button")), true)
		}
		if !h.formOffers(&f, op, arg) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if !slices.Contains(stepOps[f.Step], op) {
			// A double tap, or a tap on a keyboard the client had not
			// redrawn yet: the form moved on.
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_dlg_old_button")), false)
		}
		return h.dialogButton(ctx, u, &f, op, arg)
	}
}

// stepOps are the buttons each step's message shows.
var stepOps = map[string][]string{
	stepCat:   {"c", "x"},
	stepMedia: {"nx", "x"},
	stepSum:   {"ok", "ed", "e", "x", "mt"},
	stepDup:   {"mt", "ok", "x"},
}

// formOffers reports whether the form ever offered op with arg: a listed
// category, a part to edit, a problem shown as a possible duplicate.
// Anything else is forged, whatever the step.
func (h *Problems) formOffers(f *reportForm, op, arg string) bool {
	switch op {
	case "x", "nx", "ed", "ok":
		return arg == ""
	case "c":
		_, ok := h.category(arg)
		return ok
	case "e":
		return slices.Contains(h.editChoices(f), arg)
	case "mt":
		id, ok := parseID(arg)
		return ok && slices.Contains(f.Offered, id)
	}
	return false
}

// editChoices are the parts of a report "Edit" offers: with triage, the
// reporter does not choose the category of a new report.
func (h *Problems) editChoices(f *reportForm) []string {
	if h.Cfg.TriageDepartment != "" && f.Resubmit == 0 {
		return []string{stepDesc, stepMedia}
	}
	return []string{stepDesc, stepCat, stepMedia}
}

func (h *Problems) dialogButton(ctx context.Context, u *Update, f *reportForm, op, arg string) error {
	edit := func(text string, kb [][]send.Button) error { return h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, kb) }
	save := func() error { return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now) }
	switch op {
	case "x":
		if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
			return err
		}
		return edit(h.Texts.T(u.Lang, "pr_cancelled"), nil)
	case "c":
		f.Cat = arg
		switch {
		case f.OneStep:
			if h.approved(u.Group) {
				// Filed in one round trip, unless the village has an open
				// problem of the category: then the reporter sees those
				// first. (A held report is checked below, before holding.)
				if err := h.file(ctx, u, f, true); !errors.Is(err, cadrebot.ErrDuplicate) {
					return err
				}
			}
			dups, err := h.duplicates(ctx, u.ChatID, f)
			if err != nil {
				return err
			}
			if len(dups) == 0 {
				return h.file(ctx, u, f, false)
			}
			f.Step, f.Offered = stepDup, dupIDs(dups)
			if err := save(); err != nil {
				return err
			}
			kb := h.meTooButtons(u.Lang, u.From.ID, f, dups)
			kb = append(kb, []send.Button{
				{Text: h.Texts.T(u.Lang, "pr_btn_file_new"), Data: rdData(u.From.ID, f.Nonce, "ok")},
				{Text: h.Texts.T(u.Lang, "pr_btn_cancel"), Data: rdData(u.From.ID, f.Nonce, "x")},
			})
			return edit(h.Texts.T(u.Lang, "pr_dup_ask")+h.dupText(u.Lang, f, dups), kb)
		case f.Editing:
			return h.toSummary(ctx, u, f, true)
		}
		return h.toMedia(ctx, u, f, true)
	case "nx":
		return h.toSummary(ctx, u, f, true)
	case "ed":
		labels := map[string]string{stepDesc: "pr_btn_edit_desc", stepCat: "pr_btn_edit_cat", stepMedia: "pr_btn_edit_media"}
		var row []send.Button
		for _, c := range h.editChoices(f) {
			row = append(row, send.Button{Text: h.Texts.T(u.Lang, labels[c]), Data: rdData(u.From.ID, f.Nonce, "e", c)})
		}
		return edit(h.summaryText(u.Lang, f)+"\n\n"+h.Texts.T(u.Lang, "pr_dlg_edit_what"), [][]send.Button{row})
	case "e":
		f.Editing = true
		switch arg {
		case stepDesc:
			// The new description is typed: the summary loses its buttons
			// and a new message asks for it with ForceReply, which an edit
			// cannot carry.
			f.Step = stepDesc
			if err := edit(h.summaryText(u.Lang, f), nil); err != nil {
				return err
			}
			if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pr_dlg_desc_again", i18n.Args{"Text": clip(f.Text, 1000)}), "pr_ph_desc"); err != nil {
				return err
			}
			return save()
		case stepCat:
			f.Step = stepCat
			if err := save(); err != nil {
				return err
			}
			return edit(h.Texts.T(u.Lang, "pr_dlg_cat"), h.catKeyboard(u.Lang, u.From.ID, f))
		}
		f.Photos, f.HasLoc, f.Addr, f.Album = nil, false, "", ""
		return h.toMedia(ctx, u, f, true)
	case "ok":
		return h.file(ctx, u, f, false)
	case "mt":
		id, _ := parseID(arg)
		return h.meToo(ctx, u, f, id)
	}
	return refuseForged(ctx, h.Out, h.Texts, u)
}

// file creates the problem (or resubmits the returned one) and turns the
// pressed message into the confirmation.
func (h *Problems) file(ctx context.Context, u *Update, f *reportForm, unlessDuplicate bool) error {
	var p cadrebot.Problem
	var err error
	if f.Resubmit != 0 {
		p, err = h.resubmit(ctx, u, f)
	} else {
		p, err = h.create(ctx, u, f, unlessDuplicate)
	}
	if errors.Is(err, errHeld) {
		return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.heldText(u.Lang, len(h.Cfg.Admins) > 0), nil)
	}
	if err != nil {
		return err
	}
	return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.createdText(u.Lang, &p), nil)
}

// create stores a new problem from a finished form and routes it. With
// unlessDuplicate it stores nothing and returns cadrebot.ErrDuplicate when
// the village has an open problem of the category (see duplicates).
func (h *Problems) create(ctx context.Context, u *Update, f *reportForm, unlessDuplicate bool) (cadrebot.Problem, error) {
	dept, sla := h.Cfg.TriageDepartment, h.Cfg.Problems.DefaultSLA.Duration
	var support []string
	if c, ok := h.category(f.Cat); ok {
		dept, sla, support = c.Department, c.SLA.Duration, cadrebot.SupportOf(c.Department, c.Support)
		if h.Cfg.TriageDepartment != "" {
			// With triage, a category the reporter chose is a hint; the
			// triage handler confirms it, and its supporters with it.
			dept, support = h.Cfg.TriageDepartment, nil
		}
	}
	if dept == "" {
		return cadrebot.Problem{}, cadrebot.Errorf("pr_err_unknown_category", "Cat", f.Cat, "Cats", h.catList())
	}
	if h.Cfg.TriageDepartment != "" && dept == h.Cfg.TriageDepartment {
		f.Cat = "" // the triage handler sets it, which routes the problem
	}
	p := cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: u.ChatID, Village: villageName(u.Group),
		Reporter: u.From.ID, ReporterName: DisplayName(u.From), ReportMsgID: f.MsgID,
		Category: f.Cat, Dept: dept, Support: support, Text: f.Text, Photos: f.Photos, HasLoc: f.HasLoc, Lat: f.Lat, Lon: f.Lon, Address: f.Addr,
		Created: u.Now, SLA: sla, Due: u.Now.Add(sla)}
	if !h.approved(u.Group) {
		if err := h.hold(ctx, u, &p); err != nil {
			return p, err
		}
		return p, errHeld
	}
	if _, err := h.Store.CreateProblem(ctx, &p, cadrebot.Entry{At: u.Now, By: u.From.ID, Name: p.ReporterName,
		Action: cadrebot.ActCreate, To: p.Status, Dept: dept}, unlessDuplicate); err != nil {
		return p, err
	}
	// The problem is stored: from here on nothing the user did is lost,
	// whatever happens to the card. The form goes with the card's record
	// when the card goes straight out, else on its own.
	if f.Album != "" {
		if err := h.Store.SetAlbum(ctx, u.ChatID, f.Album, p.ID); err != nil {
			h.log().Warn("remember report album", "err", err)
		}
	}
	_, dropped := h.postCardDone(ctx, &p, dept, u.Now, &cadrebot.FormKey{Chat: u.ChatID, User: u.From.ID, Kind: store.FormReport})
	if !dropped {
		if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
			h.log().Warn("drop finished report form", "err", err)
		}
	}
	h.postSupportCards(ctx, &p, u.Now)
	return p, nil
}

// resubmit files the reporter's corrections of a returned problem.
func (h *Problems) resubmit(ctx context.Context, u *Update, f *reportForm) (cadrebot.Problem, error) {
	c := cadrebot.Change{Action: cadrebot.ActResubmit, Edit: &cadrebot.Edit{Text: f.Text, Photos: f.Photos,
		HasLoc: f.HasLoc, Lat: f.Lat, Lon: f.Lon, Address: f.Addr}}
	if cat, ok := h.category(f.Cat); ok {
		c.Category, c.Dept, c.SLA = cat.ID, cat.Department, cat.SLA.Duration
		if h.Cfg.TriageDepartment != "" {
			c.Dept = h.Cfg.TriageDepartment
		}
	}
	p, err := h.act(ctx, f.Resubmit, u.From.ID, DisplayName(u.From), c, f.ResubVer, u.Now)
	if errors.Is(err, errStale) {
		_ = h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport)
		return p, cadrebot.Errorf("pr_err_stale", "N", f.Resubmit)
	}
	if err != nil {
		return p, h.localize(err, u.Lang)
	}
	if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
		h.log().Warn("drop finished report form", "err", err)
	}
	return p, nil
}

// meToo adds the reporter's note to an existing open problem instead of
// filing a duplicate.
func (h *Problems) meToo(ctx context.Context, u *Update, f *reportForm, id int64) error {
	e := cadrebot.Entry{At: u.Now, By: u.From.ID, Name: DisplayName(u.From), Action: cadrebot.ActMeToo, Note: f.Text}
	var p cadrebot.Problem
	for attempt := 0; ; attempt++ {
		cur, err := h.Store.Problem(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return cadrebot.Errorf("pr_err_unknown", "N", id)
		}
		if err != nil {
			return err
		}
		if cur.VillageChat != u.ChatID {
			// Offered only within its village; never joins another's card.
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if !cur.Status.Held() {
			return h.localize(cadrebot.Errorf("pr_err_metoo_closed", "N", id, "Status", string(cur.Status)), u.Lang)
		}
		p, err = h.Store.AddMeToo(ctx, id, e)
		if errors.Is(err, cadrebot.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
		h.log().Warn("drop finished report form", "err", err)
	}
	h.refreshCards(ctx, &p, u.Now)
	return h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.Texts.T(u.Lang, "pr_metoo_done", i18n.Args{"N": p.ID, "Count": p.MeToo + 1}), nil)
}

func (h *Problems) createdText(lang string, p *cadrebot.Problem) string {
	id := "pr_created"
	if p.Dept == h.Cfg.TriageDepartment && p.Category == "" {
		id = "pr_created_triage"
	}
	s := h.Texts.T(lang, id, i18n.Args{"N": p.ID, "Cat": h.catName(lang, p.Category), "Dept": h.deptName(lang, p.Dept),
		"Due": h.fmtTime(p.Due)})
	if p.Undeliverable {
		s += "\n" + h.Texts.T(lang, "pr_created_undeliverable")
	}
	return s
}

func (h *Problems) catList() string {
	ids := make([]string, 0, len(h.Cfg.Categories))
	for _, c := range h.Cfg.Categories {
		ids = append(ids, c.ID)
	}
	return strings.Join(ids, ", ")
}

func (h *Problems) deptList() string {
	ids := make([]string, 0, len(h.Cfg.Departments))
	for _, d := range h.Cfg.Departments {
		ids = append(ids, d.ID)
	}
	return strings.Join(ids, ", ")
}
