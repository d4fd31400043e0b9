package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Proof of rectification (整改前后): a resolution carries photos as well as
// its note. /resolve takes a photo captioned "/resolve N NOTE", and the
// Resolve button's prompt takes photos (one or an album) with or before
// the note. The village's notice shows them, and /problem N shows the
// report's photos beside the resolution's. Photos stay on Telegram: the
// bot keeps their file_ids and resends those, downloading nothing.

// albumWait is how long after the first photo of an album the rest is
// taken to have arrived. Telegram delivers an album as one message per
// photo, within a second of each other, and says nowhere which is the
// last; the village's notice waits that long so that it shows them all.
const albumWait = 2 * time.Second

// Resolve handles /resolve N NOTE, as text or as the caption of a photo
// (whose album joins the resolution); the note is required.
func (h *Problems) Resolve() Func {
	return func(ctx context.Context, u *Update) error {
		num, rest, _ := strings.Cut(strings.TrimSpace(u.Args), " ")
		if num == "" {
			return cadrebot.Errorf("pr_usage_resolve")
		}
		id, ok := parseID(num)
		if !ok {
			return cadrebot.Errorf("pr_err_not_number", "Arg", num)
		}
		c := cadrebot.Change{Action: cadrebot.ActResolve, Note: strings.TrimSpace(rest)}
		album := ""
		if ph := bestPhoto(u.Msg); ph != "" {
			c.Photos, album = []string{ph}, u.Msg.MediaGroupID
		}
		p, err := h.resolve(ctx, u, id, c, -1, album)
		if err != nil {
			return h.localize(err, u.Lang)
		}
		return Reply(ctx, h.Out, u, h.doneText(u.Lang, &p, cadrebot.ActResolve))
	}
}

// resolve applies a resolution. When it came with an album, the rest of
// the album joins it as it arrives (resolutionAlbum), and the village's
// notice waits albumWait so that it shows every photo.
func (h *Problems) resolve(ctx context.Context, u *Update, id int64, c cadrebot.Change, ver int64, album string) (cadrebot.Problem, error) {
	name := DisplayName(u.From)
	p, err := h.actNotify(ctx, id, u.From.ID, name, c, ver, u.Now, album == "")
	if err != nil || album == "" {
		return p, err
	}
	if err := h.Store.SetResolutionAlbum(ctx, u.ChatID, album, p.ID, u.From.ID); err != nil {
		h.log().Warn("remember resolution album", "problem", p.ID, "err", err)
	}
	e := cadrebot.Entry{At: u.Now, By: u.From.ID, Name: name, Action: cadrebot.ActResolve, Note: c.Note}
	// The wait starts now, so that a fake clock moved right after the
	// update sees it.
	wait := h.clock().After(albumWait)
	u.Go(func() {
		select {
		case <-wait:
		case <-ctx.Done():
		}
		h.noticeAfterAlbum(context.WithoutCancel(ctx), p, e)
	})
	return p, nil
}

// noticeAfterAlbum tells the village of a resolution once its album is
// in, unless the problem moved on meanwhile (the notice would then speak
// of a state that no longer holds; the next one's notice says it).
func (h *Problems) noticeAfterAlbum(ctx context.Context, was cadrebot.Problem, e cadrebot.Entry) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := h.Store.Problem(ctx, was.ID)
	if err != nil {
		h.log().Warn("resolution notice after album", "problem", was.ID, "err", err)
		return
	}
	if p.Version != was.Version {
		return
	}
	h.refreshCards(ctx, &p, h.now()) // the cards count the photos too
	h.notifyVillage(ctx, &p, e)
}

// resolutionAlbum attaches a photo to the resolution its album's first
// photo made, if the same person sent it. It reports whether it did.
func (h *Problems) resolutionAlbum(ctx context.Context, u *Update) (bool, error) {
	ph := bestPhoto(u.Msg)
	if ph == "" || u.Msg.MediaGroupID == "" {
		return false, nil
	}
	id, user, err := h.Store.ResolutionAlbum(ctx, u.ChatID, u.Msg.MediaGroupID)
	if err != nil || id == 0 || user != u.From.ID {
		return false, err
	}
	_, err = h.Store.AddResolutionPhoto(ctx, id, ph, h.Cfg.Problems.MaxPhotos)
	if errors.Is(err, cadrebot.ErrNotFound) {
		err = nil
	}
	return true, err
}

// sendResolutionPhotos shows a resolution's photos in the village group,
// as a reply to the report, before the notice that asks for a rating.
func (h *Problems) sendResolutionPhotos(ctx context.Context, p *cadrebot.Problem, lang string) {
	if len(p.ResolutionPhotos) == 0 {
		return
	}
	m := send.Photos(p.VillageChat, p.ResolutionPhotos, h.Texts.T(lang, "pr_photos_after", i18n.Args{"N": p.ID, "Count": len(p.ResolutionPhotos)}))
	m.ReplyTo, m.Ref, m.Silent = p.ReportMsgID, ref(p.ID), true
	m.Key = fmt.Sprintf("pr:%d:v%d:ph", p.ID, p.Version)
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("resolution photos not sent", "problem", p.ID, "err", err)
	}
}

// showPhotos answers /problem N with the photos before and after: the
// report's and the latest resolution's, each one photo or an album.
func (h *Problems) showPhotos(ctx context.Context, u *Update, p *cadrebot.Problem) error {
	for _, x := range []struct {
		id     string
		photos []string
	}{{"pr_photos_before", p.Photos}, {"pr_photos_after", p.ResolutionPhotos}} {
		if len(x.photos) == 0 {
			continue
		}
		m := send.Photos(u.ChatID, x.photos, h.Texts.T(u.Lang, x.id, i18n.Args{"N": p.ID, "Count": len(x.photos)}))
		m.ReplyTo, m.ThreadID = u.MessageID(), u.ThreadID
		if _, err := h.Out.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
