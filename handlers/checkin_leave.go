package handlers

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
)

// LeaveStore is what /leave needs from the store.
type LeaveStore interface {
	UpdateLeave(ctx context.Context, chat, user int64, fn func(attendance.Leaves) (attendance.Leaves, error)) error
	MemberLeaves(ctx context.Context, chat, user int64) (attendance.Leaves, error)
	MemberGroups(ctx context.Context, user int64) ([]int64, error)
	Groups(ctx context.Context, chats []int64) ([]*cadrebot.Group, error)
	SaveLeaveRequest(ctx context.Context, r attendance.Request) error
	LeaveRequest(ctx context.Context, chat int64, id string) (attendance.Request, error)
	LeaveRequests(ctx context.Context, chat, user int64) ([]attendance.Request, error)
	DeleteLeaveRequest(ctx context.Context, chat int64, id string) (bool, error)
	ApproveLeaveRequest(ctx context.Context, chat int64, id string, fn func(attendance.Request, attendance.Leaves) (attendance.Leaves, error)) (attendance.Request, error)
}

// LeaveConfig tunes /leave.
type LeaveConfig struct {
	OutingMonthlyCap int // 外出 workdays per member per month
	// MaxBackDays is how far back an admin may record leave: last week's
	// sick leave is normal, rewriting last year's record is not. Members
	// themselves record leave from today on only.
	MaxBackDays int
	// Approval makes a member's own leave a request that a group admin
	// approves or rejects; it counts only once approved.
	Approval bool
	Location *time.Location
}

// Leave handles /leave FROM [TO] [KIND], /leave cancel and /leave (show).
// Dates are YYYY-MM-DD, today or tomorrow, in the group's zone; KIND is
// 请假 (default), 出差 or 外出.
//
// Leave changes the attendance record (出差 even counts as present), so
// who may record what is kept tight: a member records their own leave
// from today on; earlier days, up to MaxBackDays, only a group admin (or
// a deployment admin) records, for themselves or, replying to one of
// their messages, for a member. With Approval a member's own leave is a
// request for the group's admins, and counts from their approval on.
// Every range keeps who recorded it and when, and who approved it. In a
// private chat it applies to every village roster the sender is on.
func Leave(st LeaveStore, auth Auth, out Sender, texts Texts, cal *calendar.Calendar, cfg LeaveConfig) Func {
	return func(ctx context.Context, u *Update) error {
		who, err := leaveTarget(ctx, auth, u)
		if err != nil {
			return err
		}
		chats, err := leaveChats(ctx, st, u, cfg.Location)
		if err != nil {
			return err
		}
		loc := chats[0].Location(cfg.Location)
		today := dayOf(u.Now, loc)
		args := strings.Fields(u.Args)
		name := DisplayName(who)
		switch {
		case len(args) == 0:
			return showLeave(ctx, st, out, texts, u, chats[0].ChatID, who, today, loc)
		case len(args) == 1 && isCancel(args[0]):
			return cancelLeave(ctx, st, out, texts, u, chats, who, cfg.Location)
		}
		l, err := parseLeave(args, today, cfg.MaxBackDays)
		if err != nil {
			return err
		}
		// leaveTarget lets only an admin record for someone else; for
		// one's own leave, ask only when it matters.
		admin := who.ID != u.From.ID
		if !admin && (l.From.Before(today) || cfg.Approval) {
			if admin, err = isLeaveAdmin(ctx, auth, u); err != nil {
				return err
			}
		}
		if l.From.Before(today) && !admin {
			return cadrebot.Errorf("leave_past_admin_only", "Today", today.String())
		}
		l.By, l.ByName, l.At = u.From.ID, DisplayName(u.From), u.Now.Unix()
		if cfg.Approval && !admin {
			return requestLeave(ctx, st, out, texts, cal, cfg, u, chats, who, l)
		}
		for _, g := range chats {
			err := st.UpdateLeave(ctx, g.ChatID, who.ID, func(cur attendance.Leaves) (attendance.Leaves, error) {
				return withLeave(cur, l, cal, cfg.OutingMonthlyCap)
			})
			if err != nil {
				return err
			}
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "leave_done", leaveArgs(texts, u.Lang, cal, name, l)))
	}
}

// withLeave is cur with l set, unless that takes a month past the cap of
// 外出 workdays.
func withLeave(cur attendance.Leaves, l attendance.Leave, cal *calendar.Calendar, limit int) (attendance.Leaves, error) {
	next := cur.Set(l)
	if y, m, used, ok := next.OverOutingCap(cal, l, limit); !ok {
		return nil, cadrebot.Errorf("leave_outing_cap", "Cap", limit, "Year", y, "Month", int(m), "Used", used)
	}
	return next, nil
}

// leaveArgs are the catalog arguments that describe l.
func leaveArgs(texts Texts, lang string, cal *calendar.Calendar, name string, l attendance.Leave) i18n.Args {
	return i18n.Args{"Name": name, "Kind": i18n.HTML(texts.T(lang, "leave_kind_"+string(l.Kind))),
		"From": l.From.String(), "To": l.To.String(), "Workdays": cal.CountWorkdays(l.From, l.To)}
}

// isLeaveAdmin reports whether the sender administers the group (or the
// deployment): who may record past leave and needs no approval.
func isLeaveAdmin(ctx context.Context, auth Auth, u *Update) (bool, error) {
	if auth.IsDeploymentAdmin(u.From.ID) {
		return true, nil
	}
	if !u.IsGroup() {
		return false, nil
	}
	return auth.IsGroupAdmin(ctx, u.ChatID, u.From.ID)
}

// cancelLeave drops leave from today on, and withdraws pending requests.
func cancelLeave(ctx context.Context, st LeaveStore, out Sender, texts Texts, u *Update, chats []*cadrebot.Group, who models.User, def *time.Location) error {
	changed := false
	for _, g := range chats {
		err := st.UpdateLeave(ctx, g.ChatID, who.ID, func(cur attendance.Leaves) (attendance.Leaves, error) {
			next, ch := cur.Cancel(dayOf(u.Now, g.Location(def)))
			changed = changed || ch
			return next, nil
		})
		if err != nil {
			return err
		}
		n, err := withdrawRequests(ctx, st, out, texts, g, who.ID)
		if err != nil {
			return err
		}
		changed = changed || n > 0
	}
	name := DisplayName(who)
	if !changed {
		return Reply(ctx, out, u, texts.T(u.Lang, "leave_nothing_to_cancel", i18n.Args{"Name": name}))
	}
	return Reply(ctx, out, u, texts.T(u.Lang, "leave_cancelled", i18n.Args{"Name": name}))
}

// leaveTarget is whose leave it is: the sender's, or, for a group admin
// replying to someone's message, that person's.
func leaveTarget(ctx context.Context, auth Auth, u *Update) (models.User, error) {
	r := ReplyTarget(u)
	if r == nil || r.From == nil || r.From.IsBot || r.From.ID == u.From.ID || !u.IsGroup() {
		return u.From, nil
	}
	if err := requireGroupAdmin(ctx, auth, u); err != nil {
		return models.User{}, cadrebot.Errorf("leave_admin_for_others")
	}
	return *r.From, nil
}

// leaveChats are the groups the leave applies to.
func leaveChats(ctx context.Context, st LeaveStore, u *Update, loc *time.Location) ([]*cadrebot.Group, error) {
	if u.IsGroup() {
		if !u.Group.IsVillage() {
			return nil, cadrebot.Errorf("checkin_not_village")
		}
		return []*cadrebot.Group{u.Group}, nil
	}
	ids, err := st.MemberGroups(ctx, u.From.ID)
	if err != nil {
		return nil, err
	}
	gs, err := st.Groups(ctx, ids)
	if err != nil {
		return nil, err
	}
	gs = slices.DeleteFunc(gs, func(g *cadrebot.Group) bool { return !g.IsVillage() })
	if len(gs) == 0 {
		return nil, cadrebot.Errorf("checkin_private_none")
	}
	return gs, nil
}

func isCancel(s string) bool {
	switch strings.ToLower(s) {
	case "cancel", "取消", "撤销", "销假":
		return true
	}
	return false
}

// parseLeave reads FROM [TO] [KIND], in any order of dates and kind.
func parseLeave(args []string, today calendar.Date, maxBack int) (attendance.Leave, error) {
	var dates []calendar.Date
	kind, kinds := cadrebot.LeaveAbsence, 0
	for _, a := range args {
		if k, ok := cadrebot.ParseLeaveKind(a); ok {
			kind, kinds = k, kinds+1
			continue
		}
		d, ok := parseDay(a, today)
		if !ok {
			return attendance.Leave{}, cadrebot.Errorf("leave_bad_arg", "Arg", a)
		}
		dates = append(dates, d)
	}
	if len(dates) == 0 || len(dates) > 2 || kinds > 1 {
		return attendance.Leave{}, cadrebot.Errorf("leave_usage")
	}
	l := attendance.Leave{From: dates[0], To: dates[0], Kind: kind}
	if len(dates) == 2 {
		l.To = dates[1]
	}
	switch {
	case l.To.Before(l.From):
		return l, cadrebot.Errorf("leave_to_before_from", "From", l.From.String(), "To", l.To.String())
	case l.From.Before(today.AddDays(-maxBack)):
		return l, cadrebot.Errorf("leave_too_old", "Days", maxBack)
	case calendar.DaysBetween(l.From, l.To) >= attendance.MaxLeaveDays:
		return l, cadrebot.Errorf("leave_too_long", "Days", attendance.MaxLeaveDays)
	}
	return l, nil
}

func parseDay(s string, today calendar.Date) (calendar.Date, bool) {
	switch strings.ToLower(s) {
	case "today", "今天", "今日":
		return today, true
	case "tomorrow", "明天", "明日":
		return today.AddDays(1), true
	}
	d, err := calendar.ParseDate(s)
	return d, err == nil
}

func showLeave(ctx context.Context, st LeaveStore, out Sender, texts Texts, u *Update, chat int64, who models.User, today calendar.Date, loc *time.Location) error {
	ls, err := st.MemberLeaves(ctx, chat, who.ID)
	if err != nil {
		return err
	}
	reqs, err := st.LeaveRequests(ctx, chat, who.ID)
	if err != nil {
		return err
	}
	ls = ls.From(today)
	T := func(id string, a ...i18n.Args) string { return texts.T(u.Lang, id, a...) }
	var b strings.Builder
	if len(ls) == 0 && len(reqs) == 0 {
		b.WriteString(T("leave_none", i18n.Args{"Name": DisplayName(who)}))
	} else {
		b.WriteString(T("leave_list", i18n.Args{"Name": DisplayName(who)}))
		for _, l := range ls {
			args := i18n.Args{"From": l.From.String(), "To": l.To.String(), "Kind": i18n.HTML(T("leave_kind_" + string(l.Kind)))}
			b.WriteString("\n" + T("leave_item", args))
			if l.By == 0 {
				// Recorded before the bot kept who did.
				b.WriteString(T("leave_item_unrecorded"))
				continue
			}
			b.WriteString(T("leave_item_by", i18n.Args{"By": l.ByName, "At": stamp(l.At, loc), "OK": l.OKByName}))
		}
		for _, r := range reqs {
			b.WriteString("\n" + T("leave_item_pending", i18n.Args{"From": r.Leave.From.String(), "To": r.Leave.To.String(),
				"Kind": i18n.HTML(T("leave_kind_" + string(r.Leave.Kind)))}))
		}
	}
	b.WriteString("\n\n")
	b.WriteString(T("leave_usage"))
	return Reply(ctx, out, u, b.String())
}

// stamp shows a unix time in loc.
func stamp(unix int64, loc *time.Location) string {
	return time.Unix(unix, 0).In(loc).Format("2006-01-02 15:04")
}
