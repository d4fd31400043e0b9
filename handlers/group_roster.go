package handlers

import (
	"context"
	"regexp"
	"strings"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
)

// RosterStore is what the roster and periods of service need.
type RosterStore interface {
	Join(ctx context.Context, j attendance.JoinWrite) (attendance.JoinResult, error)
	EndService(ctx context.Context, l attendance.Departure) (attendance.Service, bool, error)
	Service(ctx context.Context, chat int64) (*attendance.Period, error)
}

// ServiceDetails are what /join and /handover may say about a period of
// service: the batch (批次), the home unit (派出单位) and the title.
type ServiceDetails struct{ Batch, Home, Title string }

// batchRE is a batch as cadres write it: "第19批", "19批" or "19".
var batchRE = regexp.MustCompile(`^(?:第)?([0-9]{1,3})(?:批)?$`)

// titleSuffixes end the titles a cadre can hold (驻村指导员, 第一书记,
// 驻村工作队员, 工作队长); any other word is part of the home unit.
var titleSuffixes = []string{"指导员", "书记", "队员", "队长", "干部", "secretary", "instructor"}

// ParseServiceDetails reads the words after /join or a hand-over's two
// names: a batch ("第19批", "19批", "19"), a title (a word ending in
// 指导员, 书记, 队员, 队长 or 干部) and the home unit (the other words), in
// any order.
func ParseServiceDetails(words []string) ServiceDetails {
	var d ServiceDetails
	var home []string
	for _, w := range words {
		switch {
		case d.Batch == "" && batchRE.MatchString(w):
			d.Batch = "第" + batchRE.FindStringSubmatch(w)[1] + "批"
		case d.Title == "" && hasAnySuffix(w, titleSuffixes):
			d.Title = w
		default:
			home = append(home, w)
		}
	}
	d.Home = strings.Join(home, " ")
	return d
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// maxDetailRunes bounds what /join stores about a period; a home unit's
// full name is well under it.
const maxDetailRunes = 64

// createdDay is the day the bot first saw the group, in its zone: the
// start of service of a member on a roster from before periods were kept.
func createdDay(u *Update) calendar.Date {
	if u.Group == nil || u.Group.Created.IsZero() {
		return calendar.Date{}
	}
	return calendar.DateOf(u.Group.Created.In(u.Loc))
}

// Join handles /join [BATCH] [HOME UNIT] [TITLE]: the sender goes on the
// group's roster and their period of service starts today. Said again, it
// records the details on the current period. A group admin replying to
// someone's message with /join does the same for them.
func Join(st RosterStore, auth Auth, out Sender, texts Texts) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if len([]rune(u.Args)) > maxDetailRunes {
			return cadrebot.Errorf("join_usage")
		}
		who := u.From
		if r := ReplyTarget(u); r != nil && r.From != nil && r.From.ID != u.From.ID && !r.From.IsBot {
			if err := requireGroupAdmin(ctx, auth, u); err != nil {
				return err
			}
			who = *r.From
		}
		d := ParseServiceDetails(strings.Fields(u.Args))
		name := DisplayName(who)
		res, err := st.Join(ctx, attendance.JoinWrite{Chat: u.ChatID, Member: cadrebot.Member{UserID: who.ID, Name: name, Username: who.Username},
			Day: dayOf(u.Now, u.Loc), Batch: d.Batch, Home: d.Home, Title: d.Title, Created: createdDay(u)})
		if err != nil {
			return err
		}
		p, err := st.Service(ctx, u.ChatID)
		if err != nil {
			return err
		}
		var cur attendance.Service
		for _, c := range p.Everyone() {
			if c.UserID == who.ID {
				cur, _ = c.Services.Current()
			}
		}
		args := i18n.Args{"Name": name, "Count": len(p.Roster), "Since": cur.From.String(),
			"Details": i18n.HTML(serviceDetails(texts, u.Lang, cur))}
		id := "join_done"
		switch {
		case res.Already && d != (ServiceDetails{}):
			id = "join_updated"
		case res.Already:
			id = "join_again"
		}
		return Reply(ctx, out, u, texts.T(u.Lang, id, args))
	}
}

// serviceDetails renders a period's batch, home unit and title as
// "（第19批 · 区农业农村局 · 第一书记）", or "" when it has none.
func serviceDetails(texts Texts, lang string, s attendance.Service) string {
	var parts []string
	for _, p := range []string{s.Batch, s.Home, s.Title} {
		if p != "" {
			parts = append(parts, i18n.Escape(p))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return texts.T(lang, "roster_details", i18n.Args{"List": i18n.HTML(strings.Join(parts, " · "))})
}

// Roster handles /roster [all]: the cadres on the roster with the start
// of their service, batch and home unit; with "all", everyone who ever
// served in the group with every period, who served when.
func Roster(st RosterStore, out Sender, texts Texts) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		p, err := st.Service(ctx, u.ChatID)
		if err != nil {
			return err
		}
		all := strings.EqualFold(strings.TrimSpace(u.Args), "all") || strings.TrimSpace(u.Args) == "全部"
		cadres := p.Everyone()
		if !all {
			cadres = cadres[:len(p.Roster)]
		}
		if len(cadres) == 0 {
			return Reply(ctx, out, u, texts.T(u.Lang, "roster_empty"))
		}
		var b strings.Builder
		title := "roster_title"
		if all {
			title = "roster_history_title"
		}
		b.WriteString(texts.T(u.Lang, title, i18n.Args{"Count": len(p.Roster), "N": len(cadres)}))
		for i, c := range cadres {
			b.WriteString("\n")
			b.WriteString(itoa(i+1) + ". " + i18n.Escape(c.Name))
			ss := c.Services
			if !all {
				cur, ok := ss.Current()
				if !ok {
					continue
				}
				ss = attendance.Services{cur}
			}
			for _, s := range ss {
				b.WriteString("\n   " + servicePeriod(texts, u.Lang, s) + serviceDetails(texts, u.Lang, s))
			}
		}
		return Reply(ctx, out, u, b.String())
	}
}

// servicePeriod renders when a period ran: "2026-11-02 起" while serving,
// "2026-11-02 至 2026-12-04（交接）" after.
func servicePeriod(texts Texts, lang string, s attendance.Service) string {
	from := s.From.String()
	if s.From.IsZero() {
		from = texts.T(lang, "roster_since_start")
	}
	if s.Serving() {
		return texts.T(lang, "roster_since", i18n.Args{"From": from})
	}
	why := ""
	if s.Ended != "" {
		why = texts.T(lang, "roster_ended_"+s.Ended)
	}
	return texts.T(lang, "roster_served", i18n.Args{"From": from, "To": s.To.String(), "Why": i18n.HTML(why)})
}
