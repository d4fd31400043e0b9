package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/digest"
	"cadrebot/i18n"
)

// HandoverStore is what a hand-over needs from the store.
type HandoverStore interface {
	RosterStore
	ProblemsOf(ctx context.Context, l cadrebot.ProblemSet) ([]cadrebot.Problem, error)
	Problem(ctx context.Context, id int64) (cadrebot.Problem, error)
	ApplyProblem(ctx context.Context, old, p cadrebot.Problem, e cadrebot.Entry) error
	CheckinPeriods(ctx context.Context, chats []int64, from, to calendar.Date) (map[int64]*attendance.Period, error)
}

// Handover handles /handover, for group admins: one cadre hands the
// village over to the next. The outgoing period of service ends, the
// incoming one starts (with the batch, home unit and title given), the
// open problems the outgoing cadre reported here pass to the successor
// (each history says so; the finder stays on record), and the successor
// gets a one-message brief of the village: open problems, overdue ones,
// the last 30 days' figures.
type Handover struct {
	Store HandoverStore
	Out   Sender
	Texts Texts
	Auth  Auth
	Cal   *calendar.Calendar
	Cfg   *config.File
	// Cards redraws a problem's department cards, which name the reporter
	// the problem passed to (Problems.RefreshCards).
	Cards func(ctx context.Context, p *cadrebot.Problem, now time.Time)
}

// usernameRE is an @username as Telegram allows them.
var usernameRE = regexp.MustCompile(`^@([A-Za-z][A-Za-z0-9_]{3,31})$`)

// handoverRetries bounds the retries of one problem's transfer when it
// changes under it (a handler acting at the same moment).
const handoverRetries = 5

// party is one side of a hand-over as the command names them.
type party struct {
	ID       int64
	Name     string
	Username string
}

// Command handles /handover @OUTGOING @INCOMING [BATCH] [HOME UNIT]
// [TITLE], or, replying to a message of the incoming cadre, /handover
// @OUTGOING [...]. A name picked from Telegram's mention list (a user
// without a username) works as well as an @username.
func (h *Handover) Command() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !u.Group.IsVillage() {
			return cadrebot.Errorf("checkin_not_village")
		}
		if err := requireGroupAdmin(ctx, h.Auth, u); err != nil {
			return err
		}
		p, err := h.Store.Service(ctx, u.ChatID)
		if err != nil {
			return err
		}
		named, rest, err := h.parties(u, p)
		if err != nil {
			return err
		}
		if r := ReplyTarget(u); r != nil && r.From != nil && !r.From.IsBot && len(named) == 1 {
			named = append(named, party{ID: r.From.ID, Name: DisplayName(*r.From), Username: r.From.Username})
		}
		if len(named) != 2 {
			return cadrebot.Errorf("handover_usage")
		}
		out, in := named[0], named[1]
		if out.ID == in.ID {
			return cadrebot.Errorf("handover_same", "Name", out.Name)
		}
		details := ParseServiceDetails(rest)
		if len([]rune(strings.Join(rest, " "))) > maxDetailRunes {
			return cadrebot.Errorf("handover_usage")
		}
		today := dayOf(u.Now, u.Loc)
		ended, ok, err := h.Store.EndService(ctx, attendance.Departure{Chat: u.ChatID, Member: cadrebot.Member{UserID: out.ID,
			Name: out.Name, Username: out.Username}, Day: today, Why: attendance.EndHandover, Created: createdDay(u)})
		if err != nil {
			return err
		}
		if !ok {
			return cadrebot.Errorf("handover_not_serving", "Name", out.Name)
		}
		if _, err := h.Store.Join(ctx, attendance.JoinWrite{Chat: u.ChatID, Member: cadrebot.Member{UserID: in.ID, Name: in.Name,
			Username: in.Username}, Day: today, Batch: details.Batch, Home: details.Home, Title: details.Title,
			Created: createdDay(u)}); err != nil {
			return err
		}
		moved, err := h.transfer(ctx, u, out, in)
		if err != nil {
			return err
		}
		brief, err := h.brief(ctx, u, today)
		if err != nil {
			return err
		}
		text := h.Texts.T(u.Lang, "handover_done", i18n.Args{"Out": out.Name, "In": in.Name, "From": ended.From.String(),
			"To": ended.To.String(), "Since": today.String(), "Moved": moved,
			"Details": i18n.HTML(serviceDetails(h.Texts, u.Lang, attendance.Service{Batch: details.Batch, Home: details.Home, Title: details.Title}))})
		return Reply(ctx, h.Out, u, text+"\n\n"+brief)
	}
}

// parties reads who the command names, in order: mentions picked from
// Telegram's list (text_mention entities carry the user) and @usernames,
// which must be on the group's service records (the bot cannot look a
// username up). The other words are the incoming period's details.
func (h *Handover) parties(u *Update, p *attendance.Period) ([]party, []string, error) {
	var named []party
	var rest []string
	mentions := textMentions(u.Msg)
	for _, w := range strings.Fields(u.Args) {
		if who, ok := mentions[w]; ok {
			named = append(named, party{ID: who.ID, Name: DisplayName(who), Username: who.Username})
			delete(mentions, w)
			continue
		}
		m := usernameRE.FindStringSubmatch(w)
		if m == nil {
			rest = append(rest, w)
			continue
		}
		c, ok := byUsername(p, m[1])
		if !ok {
			return nil, nil, cadrebot.Errorf("handover_unknown_user", "User", w)
		}
		named = append(named, party{ID: c.UserID, Name: c.Name, Username: c.Username})
	}
	return named, rest, nil
}

// byUsername finds a cadre of the group, on the roster or not, by
// username, ignoring case as Telegram does.
func byUsername(p *attendance.Period, username string) (attendance.Cadre, bool) {
	for _, c := range p.Everyone() {
		if c.Username != "" && strings.EqualFold(c.Username, username) {
			return c, true
		}
	}
	return attendance.Cadre{}, false
}

// textMentions maps the text of each text_mention entity of the command
// (the first word of it) to its user.
func textMentions(m *models.Message) map[string]models.User {
	out := map[string]models.User{}
	if m == nil {
		return out
	}
	units := utf16.Encode([]rune(m.Text))
	for _, e := range m.Entities {
		if e.Type != models.MessageEntityTypeTextMention || e.User == nil || e.Offset+e.Length > len(units) {
			continue
		}
		s := string(utf16.Decode(units[e.Offset : e.Offset+e.Length]))
		if f := strings.Fields(s); len(f) > 0 {
			out[f[0]] = *e.User
		}
	}
	return out
}

// transfer passes the open problems out reported in this village to in,
// and returns how many moved. A problem that changes meanwhile is read
// again; one that closed meanwhile stays with out.
func (h *Handover) transfer(ctx context.Context, u *Update, out, in party) (int, error) {
	ps, err := h.Store.ProblemsOf(ctx, cadrebot.UserProblems(out.ID))
	if err != nil {
		return 0, err
	}
	note := h.Texts.T(h.Cfg.Language, "handover_note", i18n.Args{"Out": out.Name, "In": in.Name})
	moved := 0
	for _, p := range ps {
		for try := 0; ; try++ {
			if p.VillageChat != u.ChatID || p.Reporter != out.ID || !p.Status.Open() {
				break
			}
			np, e := cadrebot.HandOver(p, in.ID, in.Name, u.From.ID, DisplayName(u.From), i18n.Plain(note), u.Now)
			err := h.Store.ApplyProblem(ctx, p, np, e)
			if err == nil {
				moved++
				if h.Cards != nil {
					h.Cards(ctx, &np, u.Now)
				}
				break
			}
			if !errors.Is(err, cadrebot.ErrConflict) || try == handoverRetries {
				return moved, fmt.Errorf("hand over #%d: %w", p.ID, err)
			}
			if p, err = h.Store.Problem(ctx, p.ID); err != nil {
				return moved, err
			}
		}
	}
	return moved, nil
}

// brief is the village's brief for the successor: the last BriefDays
// days to today, and the problems open now.
func (h *Handover) brief(ctx context.Context, u *Update, today calendar.Date) (string, error) {
	per := digest.Period{Kind: digest.Range, From: today.AddDays(1 - digest.BriefDays), To: today, Loc: u.Loc}
	ck, err := h.Store.CheckinPeriods(ctx, []int64{u.ChatID}, per.From, per.To)
	if err != nil {
		return "", err
	}
	ps, err := h.Store.ProblemsOf(ctx, cadrebot.VillageProblems(u.ChatID, false))
	if err != nil {
		return "", err
	}
	d := &digest.Data{Period: per, Now: u.Now, Checkins: ck, Problems: ps}
	c := &digest.Composer{Texts: h.Texts, Cal: h.Cal, Cfg: h.Cfg}
	return c.Brief(d, u.ChatID, digest.VillageName(u.Group.Village, u.Group.Title), u.Lang), nil
}
