package handlers

import (
	"context"
	"errors"
	"strings"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Progress handles /progress P<N> TEXT: a progress note on a project, as
// text or as the caption of a photo (the rest of its album joins the
// note). It is sent in the project's village group, or privately by its
// lead or an admin of its village.
func (h *Projects) Progress() Func {
	return func(ctx context.Context, u *Update) error {
		num, text, _ := strings.Cut(strings.TrimSpace(u.Args), " ")
		if num == "" {
			return cadrebot.Errorf("pj_usage_progress")
		}
		id, ok := cadrebot.ParseProjectID(num)
		if !ok {
			return cadrebot.Errorf("pj_err_not_number", "Arg", num)
		}
		p, err := h.load(ctx, id)
		if err != nil {
			return err
		}
		if u.ChatID != p.VillageChat && !u.IsPrivate() {
			return hidden(id)
		}
		may := u.From.ID == p.Lead
		if !may {
			if may, err = h.mayWrite(ctx, p.VillageChat, u.From.ID); err != nil {
				return err
			}
		}
		if !may {
			if u.ChatID == p.VillageChat {
				return cadrebot.Errorf("pj_err_not_cadre")
			}
			return hidden(id)
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return cadrebot.Errorf("pj_usage_progress")
		}
		if err := cadrebot.CheckProjectText("pj_err_progress", text, cadrebot.MaxProgress, true); err != nil {
			return err
		}
		e := cadrebot.ProjectEntry{At: u.Now, By: u.From.ID, Name: DisplayName(u.From), Action: cadrebot.PjNote, Note: text}
		if ph := bestPhoto(u.Msg); ph != "" {
			e.Photos = []string{ph}
		}
		idx, err := h.Store.AddProjectNote(ctx, p.ID, e)
		if err != nil {
			return err
		}
		if len(e.Photos) > 0 && u.Msg.MediaGroupID != "" {
			if err := h.Store.SetProjectAlbum(ctx, u.ChatID, u.Msg.MediaGroupID, p.ID, idx, u.From.ID); err != nil {
				h.log().Warn("remember progress album", "project", p.ID, "err", err)
			}
		}
		return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pj_progress_done", i18n.Args{"P": label(p.ID), "Project": p.Name,
			"Count": p.Notes + 1}))
	}
}

// noteAlbum attaches a photo to the progress note its album's first photo
// carried, if the same person sent it; it reports whether it did.
func (h *Projects) noteAlbum(ctx context.Context, u *Update) (bool, error) {
	ph := bestPhoto(u.Msg)
	if ph == "" || u.Msg.MediaGroupID == "" {
		return false, nil
	}
	id, idx, user, err := h.Store.ProjectAlbum(ctx, u.ChatID, u.Msg.MediaGroupID)
	if err != nil || id == 0 || user != u.From.ID {
		return false, err
	}
	_, err = h.Store.AddProjectNotePhoto(ctx, id, idx, ph, send.MaxAlbum)
	if errors.Is(err, cadrebot.ErrNotFound) {
		err = nil
	}
	return true, err
}
