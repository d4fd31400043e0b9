package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Joint handling (主办 + 协办). The lead department holds the problem and
// resolves it; supporting departments get a card of their own, whose one
// button asks for a progress note, and /note does the same by command.
// The lead adds and removes supporters from its card (🤝) or with
// /support. Notes go to the history, tick the supporter on every card,
// and are told to the lead's chat, so the lead sees who did their part.

// memberOfDept reports whether user is in dept's chat (cached by Auth).
func (h *Problems) memberOfDept(ctx context.Context, dept string, user int64) (bool, error) {
	chat, err := h.deptChat(ctx, dept)
	if err != nil || chat == 0 {
		return false, err
	}
	return h.Auth.IsChatMember(ctx, chat, user)
}

// postSupportCards sends p's card to each supporting department that has
// none yet, while a department holds p. A marker per department makes it
// once: a card that waits in the outbox has no id to see yet.
func (h *Problems) postSupportCards(ctx context.Context, p *cadrebot.Problem, now time.Time) {
	if !p.Status.Held() {
		return
	}
	for _, d := range p.Support {
		if hasCard(p, d) {
			continue
		}
		won, err := h.Store.MarkProblem(ctx, p.ID, "sc:"+d, strconv.FormatInt(now.Unix(), 10))
		if err != nil {
			h.log().Warn("support card marker", "problem", p.ID, "dept", d, "err", err)
			continue
		}
		if won {
			h.postCard(ctx, p, d, now)
		}
	}
}

// supportButtons are the departments the lead's 🤝 offers: ➕ to add one,
// ➖ for those already supporting, and ◀ back.
func (h *Problems) supportButtons(lang string, p *cadrebot.Problem) [][]send.Button {
	var rows [][]send.Button
	for _, d := range h.Cfg.Departments {
		if d.ID == p.Dept {
			continue
		}
		if p.Supports(d.ID) {
			rows = append(rows, []send.Button{{Text: "➖ " + h.deptName(lang, d.ID), Data: cbData("sr", p.ID, p.Version, d.ID)}})
		} else if len(p.Support) < cadrebot.MaxSupport {
			rows = append(rows, []send.Button{{Text: "➕ " + h.deptName(lang, d.ID), Data: cbData("sa", p.ID, p.Version, d.ID)}})
		}
	}
	return append(rows, []send.Button{{Text: h.Texts.T(lang, "pr_btn_back"), Data: cbData("back", p.ID, p.Version)}})
}

// askSupport turns the lead's card into the supporting-department picker.
func (h *Problems) askSupport(ctx context.Context, u *Update, p *cadrebot.Problem) error {
	if err := h.mayAct(ctx, p, u.From.ID, cadrebot.ActSupport); err != nil {
		return h.localize(err, u.Lang)
	}
	if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), h.cardText(u.Lang, p, false, u.Now)+"\n\n"+
		h.Texts.T(u.Lang, "pr_ask_support", i18n.Args{"N": p.ID}), h.supportButtons(u.Lang, p)); err != nil {
		return err
	}
	return AnswerCallback(ctx, h.Out, u, "", false)
}

// Support handles /support N DEPT (add) and /support N -DEPT (remove),
// for the lead department's handlers.
func (h *Problems) Support() Func {
	return h.command("pr_usage_support", func(u *Update, rest string) (cadrebot.Change, error) {
		arg := strings.TrimSpace(rest)
		c := cadrebot.Change{Action: cadrebot.ActSupport}
		if d, ok := strings.CutPrefix(arg, "-"); ok {
			c.Action, arg = cadrebot.ActUnsupport, strings.TrimSpace(d)
		}
		if arg == "" {
			return c, cadrebot.Errorf("pr_usage_support", "Depts", h.deptList())
		}
		if _, ok := h.Cfg.Department(arg); !ok {
			return c, cadrebot.Errorf("pr_err_unknown_dept", "Dept", arg, "Depts", h.deptList())
		}
		c.Dept = arg
		return c, nil
	})
}

// Note handles /note N TEXT: a progress note of the department whose
// chat it is sent in, the lead or a supporting one.
func (h *Problems) Note() Func {
	return func(ctx context.Context, u *Update) error {
		num, rest, _ := strings.Cut(strings.TrimSpace(u.Args), " ")
		if num == "" {
			return cadrebot.Errorf("pr_usage_note")
		}
		id, ok := parseID(num)
		if !ok {
			return cadrebot.Errorf("pr_err_not_number", "Arg", num)
		}
		p, err := h.Store.Problem(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return cadrebot.Errorf("pr_err_unknown", "N", id)
		}
		if err != nil {
			return err
		}
		depts, err := h.deptsOfChat(ctx, u.ChatID)
		if err != nil {
			return err
		}
		dept := ""
		for _, d := range depts {
			if d == p.Dept || p.Supports(d) {
				dept = d
				break
			}
		}
		if dept == "" {
			return cadrebot.Errorf("pr_err_note_where", "N", id)
		}
		return h.addNote(ctx, u, &p, dept, strings.TrimSpace(rest))
	}
}

// addNote records a department's progress note on p, ticks it on the
// cards and tells the lead's chat. Whoever sends it must be in that
// department's chat (or a deployment admin).
func (h *Problems) addNote(ctx context.Context, u *Update, p *cadrebot.Problem, dept, note string) error {
	if note == "" {
		return cadrebot.Errorf("pr_err_note_empty", "N", p.ID)
	}
	if !p.Status.Held() {
		return h.localize(cadrebot.Errorf("pr_err_status", "N", p.ID, "Status", string(p.Status), "Action", string(cadrebot.ActNote)), u.Lang)
	}
	if !h.Auth.IsDeploymentAdmin(u.From.ID) {
		ok, err := h.memberOfDept(ctx, dept, u.From.ID)
		if err != nil {
			return err
		}
		if !ok {
			return h.localize(cadrebot.Errorf("pr_err_forbidden", "N", p.ID, "Action", string(cadrebot.ActNote)), u.Lang)
		}
	}
	e := cadrebot.Entry{At: u.Now, By: u.From.ID, Name: DisplayName(u.From), Action: cadrebot.ActNote, Note: note, Dept: dept}
	if err := h.Store.AddSupportNote(ctx, p.ID, e); err != nil {
		return err
	}
	if p.SupportNoted == nil {
		p.SupportNoted = map[string]time.Time{}
	}
	p.SupportNoted[dept] = u.Now
	h.refreshCards(ctx, p, u.Now)
	if dept != p.Dept {
		h.tellLead(ctx, p, e)
	}
	return Reply(ctx, h.Out, u, h.Texts.T(u.Lang, "pr_note_added", i18n.Args{"N": p.ID, "Dept": h.deptName(u.Lang, dept)}))
}

// tellLead posts a supporting department's note in the lead's chat, as
// a reply to the lead's card.
func (h *Problems) tellLead(ctx context.Context, p *cadrebot.Problem, e cadrebot.Entry) {
	chat, err := h.deptChat(ctx, p.Dept)
	if err != nil || chat == 0 {
		return
	}
	lang := h.chatLang(ctx, chat)
	m := send.Message{ChatID: chat, ReplyTo: p.Cards[chat], Ref: ref(p.ID),
		Key:  "pr:" + strconv.FormatInt(p.ID, 10) + ":sn:" + e.Dept + ":" + strconv.FormatInt(e.At.UnixNano(), 36),
		Text: h.Texts.T(lang, "pr_note_support", i18n.Args{"N": p.ID, "Dept": h.deptName(lang, e.Dept), "Name": e.Name, "Note": e.Note})}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("support note not told to the lead", "problem", p.ID, "err", err)
	}
}

// supportLine is the card's line of supporting departments, each ticked
// once it added a note.
func (h *Problems) supportLine(lang string, p *cadrebot.Problem) string {
	names := make([]string, 0, len(p.Support))
	for _, d := range p.Support {
		n := h.deptName(lang, d)
		if _, ok := p.Noted(d); ok {
			n += " ✓"
		}
		names = append(names, n)
	}
	return h.Texts.T(lang, "pr_card_support", i18n.Args{"Depts": strings.Join(names, h.Texts.T(lang, "pr_list_sep"))})
}
