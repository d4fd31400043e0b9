package handlers

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// cardTextMax keeps a card, text included, within one message, so it can
// be edited in place; the full text is one /problem N away.
const cardTextMax = 3000

var statusIcon = map[cadrebot.Status]string{
	cadrebot.StatusNew: "🆕", cadrebot.StatusAccepted: "🔧", cadrebot.StatusReturned: "↩️",
	cadrebot.StatusResolved: "✅", cadrebot.StatusReopened: "🔁", cadrebot.StatusClosed: "🔒",
}

func (h *Problems) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(h.Loc).Format("2006-01-02 15:04")
}

// cardText renders a problem for a department chat (and /problem N).
// Every user field is escaped; the text is quoted so it stands apart.
func (h *Problems) cardText(lang string, p *cadrebot.Problem, full bool, now time.Time) string {
	T := func(id string, a ...i18n.Args) string { return h.Texts.T(lang, id, a...) }
	var b strings.Builder
	b.WriteString(T("pr_card_head", i18n.Args{"Icon": statusIcon[p.Status], "N": p.ID, "Cat": h.catName(lang, p.Category),
		"Status": i18n.HTML(T("pr_status_" + string(p.Status)))}))
	line := func(id string, a i18n.Args) {
		b.WriteString("\n")
		b.WriteString(T(id, a))
	}
	line("pr_card_village", i18n.Args{"Village": p.Village})
	if p.FoundBy != 0 {
		// Handed over: the card keeps who found it, and names who
		// follows it up now.
		line("pr_card_reporter", i18n.Args{"Name": p.FoundName, "At": h.fmtTime(p.Created)})
		line("pr_card_successor", i18n.Args{"Name": p.ReporterName})
	} else {
		line("pr_card_reporter", i18n.Args{"Name": p.ReporterName, "At": h.fmtTime(p.Created)})
	}
	line("pr_card_dept", i18n.Args{"Dept": h.deptName(lang, p.Dept)})
	if len(p.Support) > 0 {
		b.WriteString("\n" + h.supportLine(lang, p))
	}
	if p.Status.Held() {
		id := "pr_card_due"
		if p.Overdue(now) {
			id = "pr_card_overdue"
		}
		line(id, i18n.Args{"Due": h.fmtTime(p.Due)})
	}
	if p.HasLoc || p.Address != "" {
		loc := ""
		if p.HasLoc {
			// Amap understands plain coordinates and opens in the apps
			// cadres have; the link text shows the numbers anyway.
			url := fmt.Sprintf("https://uri.amap.com/marker?position=%.6f,%.6f", p.Lon, p.Lat)
			loc = fmt.Sprintf(`<a href="%s">%.5f, %.5f</a>`, url, p.Lat, p.Lon)
		}
		line("pr_card_location", i18n.Args{"Loc": i18n.HTML(loc), "Address": p.Address})
	}
	if n := len(p.Photos); n > 0 {
		line("pr_card_photos", i18n.Args{"Count": n})
	}
	if p.MeToo > 0 {
		line("pr_card_metoo", i18n.Args{"Count": p.MeToo})
	}
	if p.Stage > 0 {
		if anc := h.Cfg.Ancestors(p.Dept); len(anc) > 0 {
			line("pr_card_escalated", i18n.Args{"Dept": h.deptName(lang, anc[min(p.Stage, len(anc))-1])})
		}
	}
	if p.Undeliverable {
		line("pr_card_undeliverable", nil)
	}
	switch text := p.Text; {
	case utf8.RuneCountInString(text) <= cardTextMax:
		b.WriteString("\n<blockquote>" + i18n.Escape(text) + "</blockquote>")
	case !full:
		b.WriteString("\n<blockquote>" + i18n.Escape(string([]rune(text)[:cardTextMax])) + "…</blockquote>")
		line("pr_card_more", i18n.Args{"N": p.ID})
	default:
		// Too long for one message with the rest: the sender splits it,
		// and may cut only outside elements, so no quote around it.
		b.WriteString("\n" + i18n.Escape(text))
	}
	switch {
	case p.Status == cadrebot.StatusResolved || (p.Status == cadrebot.StatusClosed && p.Note != ""):
		line("pr_card_note", i18n.Args{"Note": clipFull(p.Note, full), "Name": p.Handler})
		if n := len(p.ResolutionPhotos); n > 0 {
			line("pr_card_res_photos", i18n.Args{"Count": n})
		}
	case p.Status == cadrebot.StatusReturned:
		line("pr_card_reason", i18n.Args{"Note": clipFull(p.Reason, full)})
	}
	if p.Rating.Valid() {
		line("pr_card_rating", i18n.Args{"Rating": i18n.HTML(h.Texts.T(lang, "pr_rating_"+string(p.Rating))), "Name": p.RatedBy})
	}
	return b.String()
}

// postCard sends p's card to dept's chat and records it. A chat that
// cannot be reached (no chat bound, the bot removed: 403) leaves the
// problem stored and flagged undeliverable; the overdue sweep retries.
// When the department chat's budget is spent the card waits in the
// outbox, which delivers it or flags it (CardFailed) and reports its
// message id to CardSent.
func (h *Problems) postCard(ctx context.Context, p *cadrebot.Problem, dept string, now time.Time) bool {
	delivered, _ := h.postCardDone(ctx, p, dept, now, nil)
	return delivered
}

// postCardDone is postCard for a new report: done is the form that filed
// it, dropped along with the card's record when the card goes out or is
// queued (dropped). Otherwise the caller drops it.
func (h *Problems) postCardDone(ctx context.Context, p *cadrebot.Problem, dept string, now time.Time, done *cadrebot.FormKey) (delivered, dropped bool) {
	chat, err := h.deptChat(ctx, dept)
	if err == nil && chat == 0 {
		err = fmt.Errorf("department %q has no chat: set chat_id or /bind one", dept)
	}
	var msgID int
	if err == nil {
		lang := h.chatLang(ctx, chat)
		shown := *p
		if dept == p.Dept {
			shown.Undeliverable = false // if this gets through, it no longer is
		}
		text, kb := h.cardText(lang, &shown, false, now), h.cardButtons(lang, p, dept)
		msgID, err = h.Out.Send(ctx, send.Message{ChatID: chat, Text: text, Buttons: kb, Ref: cardRef(p.ID, dept, text, kb)})
	}
	if err != nil {
		h.cardUndelivered(ctx, p, dept, chat, now, err)
		return false, false
	}
	if msgID == 0 {
		// Queued: the outbox owns it now, so the card retry must not post
		// it a second time.
		if dept != p.Dept {
			return true, false
		}
		if err := h.Store.CardPosted(ctx, p.ID, done); err != nil {
			h.log().Error("record card queued", "problem", p.ID, "err", err)
			return true, false
		}
		return true, done != nil
	}
	return true, h.cardPosted(ctx, p, chat, msgID, dept, now, done)
}

// cardUndelivered flags p when its card could not reach dept.
func (h *Problems) cardUndelivered(ctx context.Context, p *cadrebot.Problem, dept string, chat int64, now time.Time, err error) {
	permanent := send.IsPermanent(err)
	h.log().Error("problem card not delivered", "problem", p.ID, "dept", dept, "chat", chat, "permanent", permanent, "err", err)
	if dept != p.Dept && p.Supports(dept) {
		// The lead has the problem; a supporter's missing card is in the
		// history for admins, and the problem is not flagged for it.
		if herr := h.Store.AddProblemHistory(ctx, p.ID, cadrebot.Entry{At: now, Action: cadrebot.ActUndeliverable, Dept: dept}); herr != nil {
			h.log().Error("record undeliverable support card", "problem", p.ID, "err", herr)
		}
		return
	}
	e := cadrebot.Entry{At: now, Action: cadrebot.ActUndeliverable, Dept: dept}
	if p.Undeliverable {
		e = cadrebot.Entry{} // already recorded once; keep the history readable
	}
	var ep *cadrebot.Entry
	if e.Action != "" {
		ep = &e
	}
	if ferr := h.Store.SetUndeliverable(ctx, p.ID, now.Add(h.cardRetry()), ep); ferr != nil {
		h.log().Error("flag undeliverable problem", "problem", p.ID, "err", ferr)
	}
	p.Undeliverable = true
}

// cardPosted records the card that reached dept's chat as msgID, and
// sends the report's photos under it. done is dropped with the record
// (see postCardDone); it reports whether that went through.
func (h *Problems) cardPosted(ctx context.Context, p *cadrebot.Problem, chat int64, msgID int, dept string, now time.Time, done *cadrebot.FormKey) bool {
	lead := dept == p.Dept
	err := h.Store.SetCard(ctx, p.ID, chat, msgID, dept, lead && !p.Undeliverable, done)
	if err != nil {
		h.log().Error("record problem card", "problem", p.ID, "err", err)
	}
	if p.Cards == nil {
		p.Cards, p.CardDepts = map[int64]int{}, map[int64]string{}
	}
	p.Cards[chat], p.CardDepts[chat] = msgID, dept
	if p.Undeliverable && lead {
		p.Undeliverable = false
		if err := h.Store.ClearUndeliverable(ctx, p.ID, &cadrebot.Entry{At: now, Action: cadrebot.ActDelivered, Dept: dept}); err != nil {
			h.log().Error("clear undeliverable flag", "problem", p.ID, "err", err)
		}
	}
	for i, f := range p.Photos {
		m := send.Message{ChatID: chat, Photo: &send.File{FileID: f}, ReplyTo: msgID, Silent: true,
			Text: fmt.Sprintf("#%d 📷 %d/%d", p.ID, i+1, len(p.Photos)),
			Key:  "pr:" + strconv.FormatInt(p.ID, 10) + ":ph:" + strconv.Itoa(msgID) + ":" + strconv.Itoa(i), Ref: ref(p.ID)}
		if err := h.Out.Enqueue(ctx, m); err != nil {
			h.log().Warn("problem photo not sent", "problem", p.ID, "err", err)
		}
	}
	return done != nil && err == nil
}

// cardRef names a card in the outbox: "card:<problem>:<dept>#<stamp>",
// the stamp a checksum of what the card shows. When the outbox reports
// the card sent, an edit is due only if the card would read differently
// now (the problem moved on while the card waited).
func cardRef(id int64, dept, text string, kb [][]send.Button) string {
	return "card:" + strconv.FormatInt(id, 10) + ":" + dept + "#" + cardStamp(text, kb)
}

func cardStamp(text string, kb [][]send.Button) string {
	h := fnv.New64a()
	h.Write([]byte(text))
	for _, row := range kb {
		for _, b := range row {
			h.Write([]byte{0})
			h.Write([]byte(b.Text))
			h.Write([]byte{1})
			h.Write([]byte(b.Data))
		}
		h.Write([]byte{2})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// parseCardRef reads a card's ref; stamp is "" in refs written before
// stamps were.
func parseCardRef(r string) (id int64, dept, stamp string, ok bool) {
	rest, ok := strings.CutPrefix(r, "card:")
	if !ok {
		return 0, "", "", false
	}
	n, dept, ok := strings.Cut(rest, ":")
	dept, stamp, _ = strings.Cut(dept, "#")
	id, err := strconv.ParseInt(n, 10, 64)
	return id, dept, stamp, ok && err == nil
}

// CardSent records a card the outbox delivered (a hook for refs "card:").
// The problem may have moved on meanwhile; the card is then edited to
// show it as it is now.
func (h *Problems) CardSent(ctx context.Context, r string, chat int64, msgID int) error {
	p, dept, err := h.cardOf(ctx, r)
	if err != nil {
		return err
	}
	now := h.now()
	h.cardPosted(ctx, &p, chat, msgID, dept, now, nil)
	lang := h.chatLang(ctx, chat)
	text, kb := h.cardText(lang, &p, false, now), h.cardButtons(lang, &p, dept)
	if _, _, stamp, _ := parseCardRef(r); stamp == cardStamp(text, kb) {
		return nil // it went out as it reads now
	}
	if err := h.Out.Edit(ctx, chat, msgID, text, kb); err != nil {
		h.log().Warn("problem card not edited", "problem", p.ID, "chat", chat, "err", err)
	}
	return nil
}

// CardFailed flags a problem whose queued card the outbox could not
// deliver (a Flagger for refs "card:"); the card retry posts it again.
func (h *Problems) CardFailed(ctx context.Context, r, reason string) error {
	p, dept, err := h.cardOf(ctx, r)
	if err != nil {
		return err
	}
	h.cardUndelivered(ctx, &p, dept, 0, h.now(), errors.New(reason))
	return nil
}

// cardOf loads the problem of a card's ref and names the card's
// department.
func (h *Problems) cardOf(ctx context.Context, r string) (cadrebot.Problem, string, error) {
	id, dept, _, ok := parseCardRef(r)
	if !ok {
		return cadrebot.Problem{}, "", fmt.Errorf("card ref %q", r)
	}
	p, err := h.Store.Problem(ctx, id)
	return p, dept, err
}

func (h *Problems) cardRetry() time.Duration {
	if h.CardRetry > 0 {
		return h.CardRetry
	}
	return time.Hour
}

// RefreshCards edits every card of p to show it as it is now, for a
// change made outside the problem handlers (a hand-over).
func (h *Problems) RefreshCards(ctx context.Context, p *cadrebot.Problem, now time.Time) {
	h.refreshCards(ctx, p, now)
}

// refreshCards edits every card of p to show it as it is now.
func (h *Problems) refreshCards(ctx context.Context, p *cadrebot.Problem, now time.Time) {
	for chat, msg := range p.Cards {
		h.editCard(ctx, p, chat, msg, p.CardDepts[chat], now)
	}
}

func (h *Problems) editCard(ctx context.Context, p *cadrebot.Problem, chat int64, msg int, dept string, now time.Time) {
	lang := h.chatLang(ctx, chat)
	if err := h.Out.Edit(ctx, chat, msg, h.cardText(lang, p, false, now), h.cardButtons(lang, p, dept)); err != nil {
		h.log().Warn("problem card not edited", "problem", p.ID, "chat", chat, "err", err)
	}
}

// clipFull keeps a card's notes short enough that the card stays one
// editable message; /problem N (full) shows them whole.
func clipFull(s string, full bool) string {
	if full {
		return s
	}
	return clip(s, 500)
}
