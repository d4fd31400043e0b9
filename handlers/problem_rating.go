package handlers

import (
	"context"
	"errors"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Satisfaction (满意度). The village's notice of a resolution, and the
// question the resolved sweep asks later, carry three buttons: 满意,
// 基本满意, 不满意. Only the reporter or an admin of the village group
// rates. 满意 and 基本满意 are recorded and may be changed until the
// problem closes (the message keeps its buttons, the chosen one ticked);
// 不满意 asks for the reason with ForceReply and reopens the problem with
// it, which makes the old buttons stale.

// ratingCodes are the ratings as button data carries them.
var ratingCodes = map[cadrebot.Rating]string{cadrebot.RatingSatisfied: "s", cadrebot.RatingBasic: "b",
	cadrebot.RatingUnsatisfied: "u"}

// ratingOf reads a rating button: "rate" with its code, or the "is it
// fixed?" answers of messages sent before ratings ("ok" was fixed, "no"
// not fixed).
func ratingOf(act, arg string) (cadrebot.Rating, bool) {
	switch act {
	case "ok":
		return cadrebot.RatingSatisfied, arg == ""
	case "no":
		return cadrebot.RatingUnsatisfied, arg == ""
	}
	for r, code := range ratingCodes {
		if code == arg {
			return r, true
		}
	}
	return "", false
}

// ratingButtons are the three ratings of p, the one given ticked.
func (h *Problems) ratingButtons(lang string, p *cadrebot.Problem) [][]send.Button {
	row := make([]send.Button, 0, len(cadrebot.Ratings))
	for _, r := range cadrebot.Ratings {
		label := h.Texts.T(lang, "pr_btn_rate_"+string(r))
		if p.Rating == r && r.Satisfied() {
			label = "✓ " + label
		}
		row = append(row, send.Button{Text: label, Data: cbData("rate", p.ID, p.Version, ratingCodes[r])})
	}
	return [][]send.Button{row}
}

// ratePressed handles a rating button on the village's notice or
// question; the press was checked against the message and the problem.
func (h *Problems) ratePressed(ctx context.Context, u *Update, p *cadrebot.Problem, act, arg string) error {
	r, ok := ratingOf(act, arg)
	if !ok {
		return refuseForged(ctx, h.Out, h.Texts, u)
	}
	roles, err := h.roles(ctx, p, u.From.ID, cadrebot.ActRate)
	if err != nil {
		return err
	}
	if !roles.Has(cadrebot.MayAct(cadrebot.ActRate)) {
		return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_err_rate_forbidden", i18n.Args{"N": p.ID})), true)
	}
	if r == cadrebot.RatingUnsatisfied {
		return h.askNote(ctx, u, p, "un")
	}
	next, err := h.act(ctx, p.ID, u.From.ID, DisplayName(u.From), cadrebot.Change{Action: cadrebot.ActRate, Rating: r}, p.Version, u.Now)
	if errors.Is(err, errStale) {
		return h.stale(ctx, u, &next, false)
	}
	if err != nil {
		return h.localize(err, u.Lang)
	}
	asked := false
	if m := u.Callback.Message.Message; m != nil && !next.AskedAt.IsZero() {
		// The question the sweep asked, not the notice of the resolution.
		asked = int64(m.Date) >= next.AskedAt.Unix()
	}
	if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.ratingPrompt(u.Lang, &next, asked), h.ratingButtons(u.Lang, &next)); err != nil {
		h.log().Warn("edit rated message", "problem", p.ID, "err", err)
	}
	return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_rated_toast", i18n.Args{"N": p.ID,
		"Rating": i18n.HTML(h.Texts.T(u.Lang, "pr_rating_"+string(r)))})), false)
}

// ratingPrompt is the text of a message that asks for p's rating, the
// resolution's notice or the sweep's question, with the rating given.
func (h *Problems) ratingPrompt(lang string, p *cadrebot.Problem, asked bool) string {
	var s string
	if asked {
		s = h.Texts.T(lang, "pr_ask_fixed", i18n.Args{"N": p.ID, "Name": p.ReporterName, "Note": p.Note, "Days": h.Cfg.Problems.ReopenDays})
	} else {
		s = h.Texts.T(lang, "pr_note_resolved", i18n.Args{"N": p.ID, "Dept": h.deptName(lang, p.Dept), "Name": p.Handler,
			"Note": p.Note, "Reporter": p.ReporterName, "Days": h.Cfg.Problems.ReopenDays, "Photos": len(p.ResolutionPhotos)})
	}
	if p.Rating.Valid() {
		s += "\n" + h.Texts.T(lang, "pr_rated", i18n.Args{"Rating": i18n.HTML(h.Texts.T(lang, "pr_rating_"+string(p.Rating))),
			"Name": p.RatedBy})
	}
	return s
}
