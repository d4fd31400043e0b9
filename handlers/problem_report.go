package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// Report handles /report. "/report TEXT" files in one step (after the
// category buttons, unless a triage department sorts reports); "/report"
// alone starts the dialog; a photo captioned "/report ..." does either
// with the photo attached.
func (h *Problems) Report() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !u.Group.IsVillage() {
			// A department's or leaders' group, or one never set up:
			// it would become the report's "village".
			return cadrebot.Errorf("pr_err_village_only")
		}
		return h.startReport(ctx, u, u.Args)
	}
}

func (h *Problems) startReport(ctx context.Context, u *Update, text string) error {
	f := &reportForm{Nonce: newNonce(), MsgID: u.Msg.ID}
	if ph := bestPhoto(u.Msg); ph != "" {
		f.Photos, f.Album = []string{ph}, u.Msg.MediaGroupID
	}
	if text == "" {
		f.Step = stepDesc
		if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pr_dlg_desc", i18n.Args{"Name": DisplayName(u.From)}), "pr_ph_desc"); err != nil {
			return err
		}
		return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now)
	}
	if err := cadrebot.ValidateText(text); err != nil {
		return err
	}
	f.Text, f.OneStep = text, true
	if h.Cfg.TriageDepartment != "" {
		p, err := h.create(ctx, u, f, false)
		if errors.Is(err, errHeld) {
			return Reply(ctx, h.Out, u, h.heldText(u.Lang, len(h.Cfg.Admins) > 0))
		}
		if err != nil {
			return err
		}
		return Reply(ctx, h.Out, u, h.createdText(u.Lang, &p))
	}
	f.Step = stepCat
	if err := h.board(ctx, u, f, h.reply(u, h.Texts.T(u.Lang, "pr_dlg_cat_onestep"), h.catKeyboard(u.Lang, u.From.ID, f))); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now)
}

// reply is a message answering u in its chat.
func (h *Problems) reply(u *Update, text string, kb [][]send.Button) send.Message {
	return send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: u.MessageID(), Buttons: kb}
}

// board sends the form's new live message (the one with its buttons) and
// records it. The caller saves the form afterwards: updates of one chat
// are handled in order, so no press or answer can arrive in between. A
// message queued behind the group's others is recorded by FormSent.
func (h *Problems) board(ctx context.Context, u *Update, f *reportForm, m send.Message) error {
	m.Ref = formRef(store.FormReport, u.ChatID, u.From.ID, f.Nonce, true)
	id, err := h.Out.Send(ctx, m)
	if err != nil {
		return err
	}
	if id != 0 {
		f.Board, f.Prompts = id, addPrompts(f.Prompts, id)
	}
	return nil
}

// askText posts a question that wants typed text as a new ForceReply message,
// selective and replying to the user's own message (the one u carries,
// or the report itself after a button), so the answer comes back as a
// reply: the only kind of group message a bot in privacy mode receives.
// The caller saves the form afterwards.
func (h *Problems) askText(ctx context.Context, u *Update, f *reportForm, text, placeholder string) error {
	to := f.MsgID
	if u.Msg != nil {
		to = u.Msg.ID
	}
	id, err := h.Out.Send(ctx, send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, Text: text, ReplyTo: to, ForceReply: true,
		Placeholder: i18n.Plain(h.Texts.T(u.Lang, placeholder)), Ref: formRef(store.FormReport, u.ChatID, u.From.ID, f.Nonce, false)})
	if err != nil {
		return err
	}
	f.Prompts = addPrompts(f.Prompts, id)
	return nil
}

// Cancel handles /cancel: it ends the user's report or project dialog
// or pending note in this chat.
func (h *Problems) Cancel() Func {
	return func(ctx context.Context, u *Update) error {
		had := false
		for _, kind := range []string{store.FormReport, store.FormAction, store.FormProject} {
			b, err := h.Store.Form(ctx, u.ChatID, u.From.ID, kind)
			if err != nil {
				return err
			}
			if b != nil {
				had = true
				if err := h.dropForm(ctx, u.ChatID, u.From.ID, kind); err != nil {
					return err
				}
			}
		}
		if !had {
			return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_cancel_nothing"))
		}
		return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_cancelled"))
	}
}

// Intercept sees plain messages before anything else: a handler's note
// for a pending card action, the next answer of a report dialog, or a
// photo captioned "#上报". An answer comes as a reply to one of the
// form's prompts (privacy mode) or as a plain message (privacy off); a
// reply to any other bot message, such as another user's prompt, is not
// taken for one.
func (h *Problems) Intercept(ctx context.Context, u *Update) (bool, error) {
	if u.Msg == nil {
		return false, nil
	}
	// /resolve works from any chat, and so does the rest of its album.
	if done, err := h.resolutionAlbum(ctx, u); done || err != nil {
		return done, err
	}
	if !u.IsGroup() {
		return false, nil
	}
	if u.NoForms {
		return h.taggedReport(ctx, u)
	}
	to := replyToBot(u)
	if done, err := h.actionNote(ctx, u, to); done || err != nil {
		return done, err
	}
	var f reportForm
	st, err := h.loadForm(ctx, u, store.FormReport, &f)
	if err != nil {
		return false, err
	}
	switch st {
	case formNone:
		return h.taggedReport(ctx, u)
	case formExpired:
		if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
			return true, err
		}
		return true, Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_dlg_expired"))
	}
	if !answers(f.Prompts, to) {
		return false, nil
	}
	return true, h.dialogInput(ctx, u, &f)
}

// taggedReport files "#上报 TEXT" messages and captions, and attaches the
// rest of an album whose first photo reported a problem.
func (h *Problems) taggedReport(ctx context.Context, u *Update) (bool, error) {
	m := u.Msg
	if ph := bestPhoto(m); ph != "" && m.MediaGroupID != "" {
		id, err := h.Store.Album(ctx, u.ChatID, m.MediaGroupID)
		if err != nil {
			return false, err
		}
		if id != 0 {
			_, err := h.Store.AddProblemPhoto(ctx, id, ph, h.Cfg.Problems.MaxPhotos)
			if errors.Is(err, cadrebot.ErrNotFound) {
				err = nil
			}
			return true, err
		}
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	rest, ok := cutReportTag(text)
	if !ok {
		return false, nil
	}
	return true, h.startReport(ctx, u, rest)
}

// dialogInput takes the user's next message in an open dialog.
func (h *Problems) dialogInput(ctx context.Context, u *Update, f *reportForm) error {
	m := u.Msg
	ph := bestPhoto(m)
	save := func() error { return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now) }
	// Later photos of an album sent with the report join it at any step.
	if ph != "" && f.Album != "" && m.MediaGroupID == f.Album {
		if len(f.Photos) < h.Cfg.Problems.MaxPhotos {
			f.Photos = append(f.Photos, ph)
		}
		return save()
	}
	switch f.Step {
	case stepDesc:
		text := strings.TrimSpace(m.Text)
		if ph != "" {
			if len(f.Photos) < h.Cfg.Problems.MaxPhotos {
				f.Photos = append(f.Photos, ph)
			}
			f.Album = m.MediaGroupID
			text = strings.TrimSpace(m.Caption)
		}
		if text == "" {
			if ph == "" {
				return cadrebot.Errorf("pr_err_empty")
			}
			if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pr_dlg_desc_needed"), "pr_ph_desc"); err != nil {
				return err
			}
			return save()
		}
		if err := cadrebot.ValidateText(text); err != nil {
			return err
		}
		f.Text = text
		switch {
		case f.Editing:
			return h.toSummary(ctx, u, f, false)
		case h.Cfg.TriageDepartment != "":
			return h.toMedia(ctx, u, f, false)
		}
		f.Step = stepCat
		if err := h.board(ctx, u, f, h.reply(u, h.Texts.T(u.Lang, "pr_dlg_cat"), h.catKeyboard(u.Lang, u.From.ID, f))); err != nil {
			return err
		}
		return save()
	case stepMedia:
		switch {
		case ph != "":
			if len(f.Photos) >= h.Cfg.Problems.MaxPhotos {
				return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_dlg_photos_full", i18n.Args{"Max": h.Cfg.Problems.MaxPhotos}))
			}
			f.Photos = append(f.Photos, ph)
		case m.Location != nil:
			f.HasLoc, f.Lat, f.Lon = true, m.Location.Latitude, m.Location.Longitude
		default:
			addr := strings.TrimSpace(m.Text)
			if addr == "" {
				if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pr_dlg_media_ask"), "pr_ph_address"); err != nil {
					return err
				}
				return save()
			}
			if n := utf8.RuneCountInString(addr); n > cadrebot.MaxAddress {
				return cadrebot.Errorf("pr_err_address_long", "Len", n, "Max", cadrebot.MaxAddress)
			}
			f.Addr = addr
		}
		if err := save(); err != nil {
			return err
		}
		// A reaction acknowledges each photo, location and address, and
		// the form's message shows what it has, edited in place: no new
		// message spends the group's 20 a minute.
		if err := h.Out.React(ctx, u.ChatID, m.ID, "👍"); err != nil {
			h.log().Warn("react to report input", "err", err)
		}
		if ph != "" {
			return nil
		}
		return h.Out.Edit(ctx, u.ChatID, f.Board, h.mediaPrompt(u.Lang, f), h.mediaKeyboard(u.Lang, u.From.ID, f))
	default:
		// Buttons are expected; say so instead of dropping the message.
		return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_dlg_use_buttons"))
	}
}

// toMedia moves the form to the photos-location-address step: its message
// (edited in place after a button, new after typed text) shows what the
// form has, with Next and Cancel, and a ForceReply prompt asks for the
// address, which is typed.
func (h *Problems) toMedia(ctx context.Context, u *Update, f *reportForm, edit bool) error {
	f.Step = stepMedia
	text, kb := h.mediaPrompt(u.Lang, f), h.mediaKeyboard(u.Lang, u.From.ID, f)
	if edit {
		if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, kb); err != nil {
			return err
		}
	} else if err := h.board(ctx, u, f, h.reply(u, text, kb)); err != nil {
		return err
	}
	if err := h.askText(ctx, u, f, h.Texts.T(u.Lang, "pr_dlg_media_ask"), "pr_ph_address"); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now)
}

func (h *Problems) catKeyboard(lang string, user int64, f *reportForm) [][]send.Button {
	var rows [][]send.Button
	var row []send.Button
	for _, c := range h.Cfg.Categories {
		row = append(row, send.Button{Text: h.catName(lang, c.ID), Data: rdData(user, f.Nonce, "c", c.ID)})
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return append(rows, []send.Button{{Text: h.Texts.T(lang, "pr_btn_cancel"), Data: rdData(user, f.Nonce, "x")}})
}

func (h *Problems) mediaPrompt(lang string, f *reportForm) string {
	return h.Texts.T(lang, "pr_dlg_media", i18n.Args{"Max": h.Cfg.Problems.MaxPhotos, "Photos": len(f.Photos),
		"HasLoc": f.HasLoc, "Addr": f.Addr})
}

func (h *Problems) mediaKeyboard(lang string, user int64, f *reportForm) [][]send.Button {
	return [][]send.Button{{
		{Text: h.Texts.T(lang, "pr_btn_next"), Data: rdData(user, f.Nonce, "nx")},
		{Text: h.Texts.T(lang, "pr_btn_cancel"), Data: rdData(user, f.Nonce, "x")},
	}}
}

// toSummary shows the summary with Confirm, Edit and Cancel, and the open
// problems it may duplicate. edit says whether to edit the pressed message
// or to send a new one.
func (h *Problems) toSummary(ctx context.Context, u *Update, f *reportForm, edit bool) error {
	f.Step, f.Editing = stepSum, false
	dups, err := h.duplicates(ctx, u.ChatID, f)
	if err != nil {
		return err
	}
	f.Offered = dupIDs(dups)
	text := h.summaryText(u.Lang, f) + h.dupText(u.Lang, f, dups)
	kb := [][]send.Button{{
		{Text: h.Texts.T(u.Lang, "pr_btn_confirm"), Data: rdData(u.From.ID, f.Nonce, "ok")},
		{Text: h.Texts.T(u.Lang, "pr_btn_edit"), Data: rdData(u.From.ID, f.Nonce, "ed")},
		{Text: h.Texts.T(u.Lang, "pr_btn_cancel"), Data: rdData(u.From.ID, f.Nonce, "x")},
	}}
	kb = append(kb, h.meTooButtons(u.Lang, u.From.ID, f, dups)...)
	if edit {
		if err := h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now); err != nil {
			return err
		}
		return h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, kb)
	}
	if err := h.board(ctx, u, f, h.reply(u, text, kb)); err != nil {
		return err
	}
	return h.saveForm(ctx, u.ChatID, u.From.ID, store.FormReport, f, u.Now)
}

func dupIDs(ps []cadrebot.Problem) []int64 {
	ids := make([]int64, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	return ids
}

func (h *Problems) summaryText(lang string, f *reportForm) string {
	T := func(id string, a ...i18n.Args) string { return h.Texts.T(lang, id, a...) }
	var b strings.Builder
	b.WriteString(T("pr_sum_title"))
	if f.Resubmit != 0 {
		b.WriteString(" " + T("pr_sum_resubmit", i18n.Args{"N": f.Resubmit}))
	}
	b.WriteString("\n" + T("pr_sum_cat", i18n.Args{"Cat": h.catName(lang, f.Cat)}))
	// Clipped: the summary is edited in place, and an edit cannot be split.
	b.WriteString("\n<blockquote>" + i18n.Escape(clip(f.Text, 1000)) + "</blockquote>")
	if len(f.Photos) > 0 {
		b.WriteString("\n" + T("pr_card_photos", i18n.Args{"Count": len(f.Photos)}))
	}
	if f.HasLoc || f.Addr != "" {
		loc := ""
		if f.HasLoc {
			loc = strconv.FormatFloat(f.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(f.Lon, 'f', 5, 64)
		}
		b.WriteString("\n" + T("pr_card_location", i18n.Args{"Loc": loc, "Address": f.Addr}))
	}
	return b.String()
}

// duplicates are the open problems of the same category in the same
// village: what the reporter may join as "me too" instead of filing
// again. Those near the reported location come first. Problems of other
// villages are never offered, however near: joining one would put this
// reporter's text on another village's card, and listing them would show
// another village's reports here.
func (h *Problems) duplicates(ctx context.Context, chat int64, f *reportForm) ([]cadrebot.Problem, error) {
	if f.Cat == "" {
		return nil, nil // triage decides the category; nothing to match on
	}
	ids, _, err := h.Store.ProblemPage(ctx, cadrebot.VillageProblems(chat, true), 0, 100)
	if err != nil {
		return nil, err
	}
	ps, err := h.Store.Problems(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []cadrebot.Problem
	for _, p := range ps {
		if p.Category == f.Cat && p.Status.Held() && p.ID != f.Resubmit && p.VillageChat == chat {
			out = append(out, p)
		}
	}
	near := func(p *cadrebot.Problem) bool {
		_, ok := h.dupDistance(f, p)
		return ok
	}
	slices.SortFunc(out, func(a, b cadrebot.Problem) int {
		if na, nb := near(&a), near(&b); na != nb {
			if na {
				return -1
			}
			return 1
		}
		return int(b.ID - a.ID)
	})
	return out[:min(len(out), 5)], nil
}

// dupDistance is how far p is from the form's map pin, when both have one
// and it is within the duplicate radius.
func (h *Problems) dupDistance(f *reportForm, p *cadrebot.Problem) (float64, bool) {
	if !f.HasLoc || !p.HasLoc {
		return 0, false
	}
	d := cadrebot.Distance(f.Lat, f.Lon, p.Lat, p.Lon)
	return d, d <= h.Cfg.Problems.DuplicateRadiusM
}

// dupText lists possible duplicates without anything personal: number,
// category, status, the day it was reported and, near a pin, the
// distance. No reporter, no description or address, which are free text
// and may hold names and phone numbers; the village group can read the
// whole problem with /problem N.
func (h *Problems) dupText(lang string, f *reportForm, dups []cadrebot.Problem) string {
	if len(dups) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\n" + h.Texts.T(lang, "pr_dup_title", i18n.Args{"Count": len(dups)}))
	for i := range dups {
		p := &dups[i]
		dist := ""
		if d, ok := h.dupDistance(f, p); ok {
			dist = strconv.Itoa(int(d + 0.5))
		}
		b.WriteString("\n" + h.Texts.T(lang, "pr_dup_line", i18n.Args{"Icon": statusIcon[p.Status], "N": p.ID,
			"Cat": h.catName(lang, p.Category), "Status": i18n.HTML(h.Texts.T(lang, "pr_status_"+string(p.Status))),
			"Date": p.Created.In(h.Loc).Format("2006-01-02"), "Dist": dist}))
	}
	return b.String()
}

func (h *Problems) meTooButtons(lang string, user int64, f *reportForm, dups []cadrebot.Problem) [][]send.Button {
	var rows [][]send.Button
	for _, p := range dups {
		rows = append(rows, []send.Button{{Text: h.Texts.T(lang, "pr_btn_metoo", i18n.Args{"N": p.ID}),
			Data: rdData(user, f.Nonce, "mt", strconv.FormatInt(p.ID, 10))}})
	}
	return rows
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
