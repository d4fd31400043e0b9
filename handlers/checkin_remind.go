package handlers

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/i18n"
	"cadrebot/send"
)

// RemindStore is what check-in reminders need from the store.
type RemindStore interface {
	DayStore
	CountReminders(ctx context.Context, chat int64, day calendar.Date, users []int64, max int) ([]int64, error)
	UserStates(ctx context.Context, users []int64) (map[int64]cadrebot.UserState, error)
	SetUser(ctx context.Context, user int64, kv ...string) error
	MemberGroups(ctx context.Context, user int64) ([]int64, error)
}

// AdminLister lists a chat's human administrators (bot.Sender).
type AdminLister interface {
	ChatAdmins(ctx context.Context, chat int64) ([]models.User, error)
}

// ReminderConfig tunes check-in reminders.
type ReminderConfig struct {
	MaxPerDay   int // reminders per person per day
	Location    *time.Location
	BotUsername string // for the "start the bot" link
	Final       bool   // the day's last call, worded accordingly
	Name        string // the job, for idempotency keys
}

// CheckinReminder is the scheduler job that reminds a village group's
// roster members who have not checked in and are not away: nothing on a
// non-workday, nothing when everyone is in, and at most MaxPerDay
// reminders per person per day whichever job sends them. Cadres who opted
// in with /remindme (and started the bot) get a DM instead of a mention;
// if the DM is refused (403) they are mentioned in the group with a hint
// on how to enable DMs. With mentions off, the names go privately to the
// group's admins and the group gets the count only. Group and admin
// messages go through Sender.Enqueue; DMs are sent at once (see dm).
func CheckinReminder(st RemindStore, out Sender, admins AdminLister, texts Texts, cal *calendar.Calendar, sight Sight, log *slog.Logger, cfg ReminderConfig) func(ctx context.Context, g *cadrebot.Group, at time.Time) error {
	return func(ctx context.Context, g *cadrebot.Group, at time.Time) error {
		loc := g.Location(cfg.Location)
		day := dayOf(at, loc)
		if !cal.IsWorkday(day) {
			return nil
		}
		d, err := st.CheckinDay(ctx, g.ChatID, day)
		if err != nil {
			return err
		}
		var missing []cadrebot.Member
		for _, m := range d.Period.Roster {
			row := d.Period.Row(m)
			if row.Checked(day) {
				continue
			}
			if k, ok := row.Leaves.On(day); ok && !k.Reminds() {
				continue
			}
			missing = append(missing, m)
		}
		if len(missing) == 0 {
			return nil
		}
		ids := make([]int64, len(missing))
		for i, m := range missing {
			ids[i] = m.UserID
		}
		allowed, err := st.CountReminders(ctx, g.ChatID, day, ids, cfg.MaxPerDay)
		if err != nil {
			return err
		}
		if len(allowed) == 0 {
			return nil
		}
		ok := make(map[int64]bool, len(allowed))
		for _, id := range allowed {
			ok[id] = true
		}
		states, err := st.UserStates(ctx, allowed)
		if err != nil {
			return err
		}
		// A group whose plain messages the bot cannot see is told only
		// /checkin: a plain "打卡" would never arrive.
		plain := true
		if sight != nil {
			if ok, err := sight.SeesAll(ctx, g); err == nil {
				plain = ok
			}
		}
		r := reminder{st: st, out: out, texts: texts, log: log, cfg: cfg, g: g, at: at, plain: plain}
		var inGroup, hinted []cadrebot.Member
		for _, m := range missing {
			if !ok[m.UserID] {
				continue
			}
			switch s := states[m.UserID]; {
			case s.RemindMe && !s.Started:
				// They asked for DMs but blocked the bot (or never
				// started it): mention them, with how to get DMs.
				hinted = append(hinted, m)
			case s.RemindMe:
				switch err := r.dm(ctx, m); {
				case err == nil:
					continue
				case send.IsForbidden(err):
					hinted = append(hinted, m)
				default:
					log.Warn("reminder DM failed; mentioning in the group", "chat", g.ChatID, "user", m.UserID, "err", err)
				}
			}
			inGroup = append(inGroup, m)
		}
		if len(inGroup) == 0 {
			return nil
		}
		if g.MentionsOff {
			return r.private(ctx, admins, inGroup, hinted)
		}
		return r.mention(ctx, inGroup, hinted)
	}
}

// reminder is one firing for one group.
type reminder struct {
	st    RemindStore
	out   Sender
	texts Texts
	log   *slog.Logger
	cfg   ReminderConfig
	g     *cadrebot.Group
	at    time.Time
	plain bool // the group's plain "打卡" reaches the bot
}

func (r reminder) key(kind string, id int64) string {
	return fmt.Sprintf("%s:%s:%d:%d:%d", r.cfg.Name, kind, r.g.ChatID, id, r.at.Unix())
}

func (r reminder) title() string {
	if r.cfg.Final {
		return "remind_final"
	}
	return "remind_title"
}

func (r reminder) dm(ctx context.Context, m cadrebot.Member) error {
	text := r.texts.T(r.g.Lang, "remind_dm", i18n.Args{"Village": r.g.Village, "Final": r.cfg.Final, "Plain": r.plain})
	// Sent now rather than queued: a refusal must turn into a mention in
	// this firing's group reminder. The key keeps a re-run firing from
	// sending it twice.
	_, err := r.out.Send(ctx, send.Message{ChatID: m.UserID, Text: text, Key: r.key("dm", m.UserID),
		Ref: fmt.Sprintf("remind:%d:%d", r.g.ChatID, m.UserID)})
	if send.IsForbidden(err) {
		// They blocked the bot or never started it: stop trying until
		// they write to it again (the router sets started on any DM).
		if serr := r.st.SetUser(ctx, m.UserID, "started", "0"); serr != nil {
			r.log.Warn("reminder: forget started", "user", m.UserID, "err", serr)
		}
	}
	return err
}

// mention reminds in the group with tg://user links.
func (r reminder) mention(ctx context.Context, ms, hinted []cadrebot.Member) error {
	links := make([]string, len(ms))
	for i, m := range ms {
		links[i] = mentionLink(m)
	}
	var b strings.Builder
	b.WriteString(r.texts.T(r.g.Lang, r.title(), i18n.Args{"Names": i18n.HTML(strings.Join(links, " ")), "Count": len(ms), "Plain": r.plain}))
	r.hint(&b, hinted)
	return r.out.Enqueue(ctx, send.Message{ChatID: r.g.ChatID, Text: b.String(), Key: r.key("group", 0)})
}

// private sends the names to each admin and the count to the group.
func (r reminder) private(ctx context.Context, admins AdminLister, ms, hinted []cadrebot.Member) error {
	var b strings.Builder
	b.WriteString(r.texts.T(r.g.Lang, "remind_count", i18n.Args{"Count": len(ms), "Final": r.cfg.Final}))
	r.hint(&b, hinted)
	if err := r.out.Enqueue(ctx, send.Message{ChatID: r.g.ChatID, Text: b.String(), Key: r.key("group", 0)}); err != nil {
		return err
	}
	as, err := admins.ChatAdmins(ctx, r.g.ChatID)
	if err != nil {
		return err
	}
	links := make([]string, len(ms))
	for i, m := range ms {
		links[i] = mentionLink(m)
	}
	title := r.g.Village
	if title == "" {
		title = r.g.Title
	}
	text := r.texts.T(r.g.Lang, "remind_admin", i18n.Args{"Village": title, "Count": len(ms),
		"Names": i18n.HTML(strings.Join(links, "、"))})
	for _, a := range as {
		err := r.out.Enqueue(ctx, send.Message{ChatID: a.ID, Text: text, Key: r.key("admin", a.ID)})
		if err != nil {
			// An admin who never started the bot cannot get DMs; the
			// others still should.
			r.log.Warn("reminder list not delivered to an admin", "chat", r.g.ChatID, "admin", a.ID, "err", err)
		}
	}
	return nil
}

// hint tells cadres whose reminder DM was refused how to enable DMs.
func (r reminder) hint(b *strings.Builder, hinted []cadrebot.Member) {
	if len(hinted) == 0 {
		return
	}
	names := make([]string, len(hinted))
	for i, m := range hinted {
		names[i] = html.EscapeString(m.Name)
	}
	b.WriteString("\n\n")
	b.WriteString(r.texts.T(r.g.Lang, "remind_dm_blocked", i18n.Args{"Names": i18n.HTML(strings.Join(names, "、")),
		"Bot": r.cfg.BotUsername}))
}

func mentionLink(m cadrebot.Member) string {
	return `<a href="` + m.Mention() + `">` + html.EscapeString(m.Name) + `</a>`
}

// RemindMe handles /remindme [on|off] in a private chat: the cadre gets
// check-in reminders by DM instead of an @-mention in the group. In a
// group it explains where to send it.
func RemindMe(st RemindStore, out Sender, texts Texts, botUsername string) Func {
	return func(ctx context.Context, u *Update) error {
		if !u.IsPrivate() {
			return Reply(ctx, out, u, texts.T(u.Lang, "remindme_in_group", i18n.Args{"Bot": botUsername}))
		}
		on := true
		switch strings.ToLower(strings.TrimSpace(u.Args)) {
		case "", "on", "开", "开启":
		case "off", "关", "关闭":
			on = false
		default:
			return cadrebot.Errorf("remindme_usage")
		}
		v := "0"
		if on {
			v = "1"
		}
		if err := st.SetUser(ctx, u.From.ID, "remindme", v, "started", "1"); err != nil {
			return err
		}
		if !on {
			return Reply(ctx, out, u, texts.T(u.Lang, "remindme_off"))
		}
		ids, err := st.MemberGroups(ctx, u.From.ID)
		if err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "remindme_on", i18n.Args{"Groups": len(ids)}))
	}
}
