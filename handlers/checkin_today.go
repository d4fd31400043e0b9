package handlers

import (
	"context"
	"slices"
	"strings"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
)

// DayStore reads a group's check-in day.
type DayStore interface {
	CheckinDay(ctx context.Context, chat int64, day calendar.Date) (*attendance.Day, error)
	CheckinYears(ctx context.Context, chat int64, years []int) (map[int][]byte, error)
}

// Today handles /today: who has checked in (time, note, off-site mark,
// streak), who has not yet (the roster minus people on leave), who is
// away, the counts, and the month's rate so far.
func Today(st DayStore, out Sender, texts Texts, cal *calendar.Calendar) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !u.Group.IsVillage() {
			return cadrebot.Errorf("checkin_not_village")
		}
		v, err := loadDay(ctx, st, cal, u.ChatID, dayOf(u.Now, u.Loc))
		if err != nil {
			return err
		}
		return Reply(ctx, out, u, renderDay(texts, u.Lang, cal, v, false))
	}
}

// dayView is a day with the streak of everyone who checked in.
type dayView struct {
	*attendance.Day
	streak map[int64]int
}

// loadDay reads a group's day: one round trip, plus one per three extra
// years for the rare streak longer than a year.
func loadDay(ctx context.Context, st DayStore, cal *calendar.Calendar, chat int64, day calendar.Date) (*dayView, error) {
	d, err := st.CheckinDay(ctx, chat, day)
	if err != nil {
		return nil, err
	}
	return streaks(ctx, st, cal, d)
}

// streaks adds the streak of everyone who checked in on the day.
func streaks(ctx context.Context, st DayStore, cal *calendar.Calendar, d *attendance.Day) (*dayView, error) {
	v := &dayView{Day: d, streak: map[int64]int{}}
	p, day := d.Period, d.Date
	for _, m := range p.Roster {
		row := p.Row(m)
		if !row.Checked(day) {
			continue
		}
		n, complete := attendance.Streak(cal, row, day)
		for !complete && len(p.Bits) < maxStreakYears {
			oldest := day.Year
			for y := range p.Bits {
				oldest = min(oldest, y)
			}
			more, err := st.CheckinYears(ctx, d.Period.Chat, []int{oldest - 1, oldest - 2, oldest - 3})
			if err != nil {
				return nil, err
			}
			for y, b := range more {
				p.Bits[y] = b // the row sees them: it shares the map
			}
			n, complete = attendance.Streak(cal, row, day)
		}
		v.streak[m.UserID] = n
	}
	return v, nil
}

// boardNoteRunes shortens notes on the board, which must stay one
// message; /today shows them whole.
const boardNoteRunes = 30

// renderDay is the text of /today and of the board.
func renderDay(texts Texts, lang string, cal *calendar.Calendar, v *dayView, board bool) string {
	day := v.Date
	village := ""
	if v.Group != nil {
		village = v.Group.Village
	}
	title := "today_title"
	if board {
		title = "board_title"
	}
	var b strings.Builder
	b.WriteString(texts.T(lang, title, i18n.Args{"Village": village, "Date": i18n.HTML(dateLabel(texts, lang, day))}))
	workday := cal.IsWorkday(day)
	if !workday {
		b.WriteString("\n")
		if name := cal.HolidayName(day); name != "" {
			b.WriteString(texts.T(lang, "today_holiday", i18n.Args{"Name": name}))
		} else {
			b.WriteString(texts.T(lang, "today_weekend"))
		}
	}

	type in struct {
		m cadrebot.Member
		c cadrebot.Checkin
	}
	var ins []in
	var notYet, away []string
	for _, m := range v.Period.Roster {
		row := v.Period.Row(m)
		if row.Checked(day) {
			c, ok := v.Details[m.UserID]
			if !ok {
				c = cadrebot.Checkin{UserID: m.UserID, Minute: -1}
			}
			ins = append(ins, in{m, c})
			continue
		}
		if k, ok := row.Leaves.On(day); ok {
			away = append(away, texts.T(lang, "today_away_name", i18n.Args{"Name": m.Name, "Kind": i18n.HTML(texts.T(lang, "leave_kind_"+string(k)))}))
			continue
		}
		notYet = append(notYet, i18n.Escape(m.Name))
	}
	// By time; a check-in whose time expired sorts first, as the oldest.
	slices.SortStableFunc(ins, func(a, b in) int { return a.c.Minute - b.c.Minute })

	b.WriteString("\n")
	if len(v.Period.Roster) == 0 {
		// Nobody to expect: "0/0, everyone is in" would congratulate an
		// empty group.
		b.WriteString(texts.T(lang, "today_no_roster"))
		return b.String()
	}
	if workday {
		b.WriteString(texts.T(lang, "today_counts", i18n.Args{"In": len(ins), "Expected": len(ins) + len(notYet),
			"Away": len(away), "NotYet": len(notYet)}))
	} else {
		b.WriteString(texts.T(lang, "today_counts_off", i18n.Args{"In": len(ins)}))
	}
	for _, x := range ins {
		note := x.c.Note
		if board {
			note = shorten(note, boardNoteRunes)
		}
		b.WriteString("\n")
		b.WriteString(texts.T(lang, "today_line", i18n.Args{"Name": x.m.Name, "Time": x.c.Clock(), "Note": note,
			"Off": x.c.OffSite, "Streak": v.streak[x.m.UserID]}))
	}
	if workday {
		b.WriteString("\n")
		if len(notYet) == 0 {
			b.WriteString(texts.T(lang, "today_all_in"))
		} else {
			b.WriteString(texts.T(lang, "today_not_yet", i18n.Args{"Names": i18n.HTML(strings.Join(notYet, "、"))}))
		}
	}
	if len(away) > 0 {
		b.WriteString("\n")
		b.WriteString(texts.T(lang, "today_away", i18n.Args{"Names": i18n.HTML(strings.Join(away, "、"))}))
	}
	if !board {
		if first := (calendar.Date{Year: day.Year, Month: day.Month, Day: 1}); first.Before(day) {
			p := *v.Period
			p.From, p.To = first, day.AddDays(-1)
			// Only the days of each cadre's service count: a group set
			// up today has no rate yet, rather than 0%.
			if g := attendance.Rates(cal, &p); g.Expected > 0 {
				b.WriteString("\n")
				b.WriteString(texts.T(lang, "today_month_rate", i18n.Args{"Rate": g.Percent(), "Workdays": g.Workdays}))
			}
		}
	}
	return b.String()
}

// dateLabel is "11月30日 周一" / "Mon 30 Nov".
func dateLabel(texts Texts, lang string, d calendar.Date) string {
	return texts.T(lang, "date_label", i18n.Args{"Month": int(d.Month), "Day": d.Day,
		"MonthName": d.Month.String()[:3], "Weekday": i18n.HTML(texts.T(lang, "weekday_"+itoa(int(d.Weekday()))))})
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
