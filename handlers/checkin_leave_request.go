package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Leave approval (checkin.leave_approval): a member's own /leave posts a
// request in each village group it applies to, with Approve and Reject
// for the group's admins. The request is kept apart from leave, so until
// an admin approves it no rate, reminder or streak counts it; approving
// moves it into the member's leave in one transaction, with the
// approver's name. The member is told the outcome where they asked.

// requestLeave files l as a request in every group of chats.
func requestLeave(ctx context.Context, st LeaveStore, out Sender, texts Texts, cal *calendar.Calendar, cfg LeaveConfig,
	u *Update, chats []*cadrebot.Group, who models.User, l attendance.Leave) error {
	// The cap is checked now, so the member hears at once, and again on
	// approval, against the leave as it is then.
	for _, g := range chats {
		cur, err := st.MemberLeaves(ctx, g.ChatID, who.ID)
		if err != nil {
			return err
		}
		if _, err := withLeave(cur, l, cal, cfg.OutingMonthlyCap); err != nil {
			return err
		}
	}
	name := DisplayName(who)
	for _, g := range chats {
		r := attendance.Request{ID: newNonce(), Chat: g.ChatID, User: who.ID, Name: name, Leave: l,
			Origin: u.ChatID, OriginMsg: u.Msg.ID, Lang: u.Lang}
		lang := u.Lang
		if g.ChatID != u.ChatID && g.Lang != "" {
			lang = g.Lang
		}
		m := send.Message{ChatID: g.ChatID, Text: texts.T(lang, "leave_req_posted", leaveArgs(texts, lang, cal, name, l)),
			Buttons: [][]send.Button{{
				{Text: texts.T(lang, "leave_btn_approve"), Data: PrefixLeave + ":a:" + r.ID},
				{Text: texts.T(lang, "leave_btn_reject"), Data: PrefixLeave + ":r:" + r.ID},
			}}}
		if g.ChatID == u.ChatID {
			m.ReplyTo, m.ThreadID = u.Msg.ID, u.ThreadID
		}
		// Queued behind the group's other messages, its id comes later
		// (LeaveRequestSent).
		m.Ref = "leavereq:" + r.ID
		id, err := out.Send(ctx, m)
		if err != nil {
			return err
		}
		r.Msg = id
		if err := st.SaveLeaveRequest(ctx, r); err != nil {
			return err
		}
	}
	if u.IsGroup() {
		return nil // the request itself answers the member's message
	}
	return Reply(ctx, out, u, texts.T(u.Lang, "leave_req_sent", i18n.Args{"Count": len(chats)}))
}

// withdrawRequests drops a member's pending requests in g (for /leave
// cancel) and takes the buttons off their messages.
func withdrawRequests(ctx context.Context, st LeaveStore, out Sender, texts Texts, g *cadrebot.Group, user int64) (int, error) {
	reqs, err := st.LeaveRequests(ctx, g.ChatID, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range reqs {
		ok, err := st.DeleteLeaveRequest(ctx, g.ChatID, r.ID)
		if err != nil {
			return n, err
		}
		if !ok {
			continue // decided in the meantime
		}
		n++
		lang := g.Lang
		if lang == "" {
			lang = r.Lang
		}
		args := i18n.Args{"Name": r.Name, "Kind": i18n.HTML(texts.T(lang, "leave_kind_"+string(r.Leave.Kind))),
			"From": r.Leave.From.String(), "To": r.Leave.To.String()}
		if err := out.Edit(ctx, g.ChatID, r.Msg, texts.T(lang, "leave_req_withdrawn", args), nil); err != nil {
			return n, err
		}
	}
	return n, nil
}

// LeaveDecision handles the Approve and Reject buttons of a leave request
// ("lv:<a|r>:<request id>"). Only a group admin of the request's group, or
// a deployment admin, decides; the button must be on the request's own
// message; a request already decided or withdrawn is not decided again.
func LeaveDecision(st LeaveStore, auth Auth, out Sender, texts Texts, cal *calendar.Calendar, cfg LeaveConfig) Func {
	return func(ctx context.Context, u *Update) error {
		f := strings.Split(u.Callback.Data, ":")
		if len(f) != 3 || (f[1] != "a" && f[1] != "r") {
			return refuseForged(ctx, out, texts, u)
		}
		// A decided request is told as such (its message lost the buttons,
		// but an old client may still show them); a pending one only
		// through its own message's buttons.
		r, err := st.LeaveRequest(ctx, u.ChatID, f[2])
		if errors.Is(err, cadrebot.ErrNotFound) {
			return AnswerCallback(ctx, out, u, i18n.Plain(texts.T(u.Lang, "leave_req_gone")), true)
		}
		if err != nil {
			return err
		}
		if r.Msg != u.MessageID() || !offered(u) {
			return refuseForged(ctx, out, texts, u)
		}
		admin, err := isLeaveAdmin(ctx, auth, u)
		if err != nil {
			return err
		}
		if !admin {
			return AnswerCallback(ctx, out, u, i18n.Plain(texts.T(u.Lang, "leave_req_admin_only")), true)
		}
		by := DisplayName(u.From)
		outcome := "rejected"
		if f[1] == "a" {
			outcome = "approved"
			r, err = st.ApproveLeaveRequest(ctx, u.ChatID, r.ID, func(req attendance.Request, cur attendance.Leaves) (attendance.Leaves, error) {
				l := req.Leave
				l.OKBy, l.OKByName, l.OKAt = u.From.ID, by, u.Now.Unix()
				return withLeave(cur, l, cal, cfg.OutingMonthlyCap)
			})
		} else {
			var ok bool
			if ok, err = st.DeleteLeaveRequest(ctx, u.ChatID, r.ID); err == nil && !ok {
				err = cadrebot.ErrNotFound
			}
		}
		if errors.Is(err, cadrebot.ErrNotFound) {
			return AnswerCallback(ctx, out, u, i18n.Plain(texts.T(u.Lang, "leave_req_gone")), true)
		}
		if err != nil {
			return err
		}
		args := leaveArgs(texts, u.Lang, cal, r.Name, r.Leave)
		args["By"] = by
		text := texts.T(u.Lang, "leave_req_"+outcome, args)
		if err := out.Edit(ctx, u.ChatID, u.MessageID(), text, nil); err != nil {
			return err
		}
		told := leaveArgs(texts, r.Lang, cal, r.Name, r.Leave)
		told["By"] = by
		m := send.Message{ChatID: r.Origin, ReplyTo: r.OriginMsg, Text: texts.T(r.Lang, "leave_req_told_"+outcome, told),
			Key: "lv:" + strconv.FormatInt(r.Chat, 10) + ":" + r.ID}
		if err := out.Enqueue(ctx, m); err != nil {
			return err
		}
		return AnswerCallback(ctx, out, u, i18n.Plain(text), false)
	}
}

// LeaveRequestSent records the message of a leave request that waited in
// the outbox (a hook for refs "leavereq:"), so its buttons work.
func LeaveRequestSent(st LeaveStore) func(ctx context.Context, ref string, chat int64, msgID int) error {
	return func(ctx context.Context, ref string, chat int64, msgID int) error {
		r, err := st.LeaveRequest(ctx, chat, strings.TrimPrefix(ref, "leavereq:"))
		if errors.Is(err, cadrebot.ErrNotFound) {
			return nil // decided or withdrawn meanwhile
		}
		if err != nil {
			return err
		}
		r.Msg = msgID
		return st.SaveLeaveRequest(ctx, r)
	}
}
