package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/i18n"
	"cadrebot/send"
)

// AckEmoji acknowledges a check-in. Telegram accepts only its fixed list
// of reaction emoji, which has 👍 but not ✅ (REACTION_INVALID).
const AckEmoji = "👍"

// CheckinConfig tunes check-ins.
type CheckinConfig struct {
	Milestones    []int         // streaks that earn a reply
	DetailTTL     time.Duration // how long times, notes and locations are kept
	BoardInterval time.Duration // the board is edited at most once per interval
	Location      *time.Location
}

// CheckinStore is what check-ins need from the store.
type CheckinStore interface {
	Checkin(ctx context.Context, w attendance.CheckinWrite) (attendance.CheckinResult, error)
	CheckinRows(ctx context.Context, chat int64, index int, years []int) (map[int][]byte, error)
	MemberGroups(ctx context.Context, user int64) ([]int64, error)
	Groups(ctx context.Context, chats []int64) ([]*cadrebot.Group, error)
}

// Checkins records daily check-ins from /checkin, from "打卡"/"签到"
// messages and from shared locations. Each check-in is one Redis round
// trip; it is acknowledged with a reaction, shown on the group's board
// (edited at most once per BoardInterval) and answered in text only for a
// streak milestone, an error, or a check-in made in a private chat.
type Checkins struct {
	st    CheckinStore
	out   Sender
	texts Texts
	cal   *calendar.Calendar
	board *Board
	cfg   CheckinConfig
	log   *slog.Logger
	acks  chan struct{}
}

// NewCheckins builds the check-in handlers.
func NewCheckins(st CheckinStore, out Sender, texts Texts, cal *calendar.Calendar, board *Board, log *slog.Logger, cfg CheckinConfig) *Checkins {
	return &Checkins{st: st, out: out, texts: texts, cal: cal, board: board, cfg: cfg, log: log,
		acks: make(chan struct{}, maxAcksInFlight)}
}

// Command handles /checkin [note].
func (c *Checkins) Command(ctx context.Context, u *Update) error {
	g, err := c.target(ctx, u)
	if err != nil {
		return err
	}
	return c.record(ctx, u, g, u.Args, nil)
}

// Text handles a plain "打卡"/"签到" message, alone or followed by a note.
// In a group that is not a village group it leaves the message alone.
func (c *Checkins) Text(ctx context.Context, u *Update) (bool, error) {
	note, ok := cadrebot.ParseCheckinText(u.Args)
	if !ok || (u.IsGroup() && !u.Group.IsVillage()) {
		return false, nil
	}
	g, err := c.target(ctx, u)
	if err != nil {
		return true, err
	}
	return true, c.record(ctx, u, g, note, nil)
}

// Location handles a shared location: a check-in that keeps its
// coordinates, marked off-site when farther from the village than its
// radius. Live-location updates arrive as edits and are not check-ins.
func (c *Checkins) Location(ctx context.Context, u *Update) error {
	l := u.Msg.Location
	if l == nil || (u.IsGroup() && !u.Group.IsVillage()) {
		return nil
	}
	p := cadrebot.Point{Lat: l.Latitude, Lon: l.Longitude}
	if !p.Valid() {
		return nil
	}
	g, err := c.target(ctx, u)
	if err != nil {
		return err
	}
	return c.record(ctx, u, g, "", &p)
}

// target is the group a check-in is for: the village group it was sent
// in, or, from a private chat, the one village group whose roster has the
// sender.
func (c *Checkins) target(ctx context.Context, u *Update) (*cadrebot.Group, error) {
	if u.IsGroup() {
		if !u.Group.IsVillage() {
			return nil, cadrebot.Errorf("checkin_not_village")
		}
		return u.Group, nil
	}
	ids, err := c.st.MemberGroups(ctx, u.From.ID)
	if err != nil {
		return nil, err
	}
	gs, err := c.st.Groups(ctx, ids)
	if err != nil {
		return nil, err
	}
	gs = slices.DeleteFunc(gs, func(g *cadrebot.Group) bool { return !g.IsVillage() })
	switch len(gs) {
	case 0:
		return nil, cadrebot.Errorf("checkin_private_none")
	case 1:
		return gs[0], nil
	}
	return nil, cadrebot.Errorf("checkin_private_many", "Count", len(gs))
}

func (c *Checkins) record(ctx context.Context, u *Update, g *cadrebot.Group, note string, where *cadrebot.Point) error {
	if n := utf8.RuneCountInString(note); n > cadrebot.MaxNoteRunes {
		return cadrebot.Errorf("checkin_note_too_long", "Max", cadrebot.MaxNoteRunes, "Len", n)
	}
	loc := g.Location(c.cfg.Location)
	now := u.Now.In(loc)
	day := calendar.DateOf(now)
	w := attendance.CheckinWrite{Chat: g.ChatID, Day: day, Minute: cadrebot.MinuteOf(now), Note: note, Where: where,
		Member:    cadrebot.Member{UserID: u.From.ID, Name: DisplayName(u.From), Username: u.From.Username},
		DetailTTL: c.cfg.DetailTTL, BoardInterval: c.cfg.BoardInterval}
	if where != nil {
		w.OffSite = g.OffSite(*where)
	}
	res, err := c.st.Checkin(ctx, w)
	if err != nil {
		return err
	}
	// The first check-in of the day creates the board at once; later ones
	// refresh it after the interval, reading fresh state.
	switch {
	case res.BoardCreate:
		c.board.Create(ctx, g.ChatID, day)
	case res.BoardDue:
		c.board.Schedule(ctx, g.ChatID, day, c.cfg.BoardInterval)
	}
	if err := c.ack(ctx, u, g); err != nil {
		return err
	}
	if res.Again || !c.cal.IsWorkday(day) {
		return nil
	}
	streak, err := c.streak(ctx, g.ChatID, res, day)
	if err != nil {
		return err
	}
	if !slices.Contains(c.cfg.Milestones, streak) {
		return nil
	}
	return Reply(ctx, c.out, u, c.texts.T(c.lang(u, g), "checkin_milestone",
		i18n.Args{"Name": DisplayName(u.From), "Days": streak}))
}

// ack confirms the check-in without spending the group's message budget:
// a reaction. Where reactions are off (or in a private chat, where the
// user needs to know which group it went to) a short text does it.
//
// The reaction is sent in the background once the check-in is stored, so
// the chat's next update need not wait for Telegram: acknowledging is most
// of a check-in's latency. It is part of the update (Update.Go), which is
// not finished, nor forgotten by the intake, until the reaction is out: a
// crash before that handles the update again, and the check-in, stored
// already, is acknowledged then. At most maxAcksInFlight go at once; past
// that the handler waits, which is the back-pressure a slow Telegram
// needs.
func (c *Checkins) ack(ctx context.Context, u *Update, g *cadrebot.Group) error {
	if u.IsPrivate() {
		return Reply(ctx, c.out, u, c.texts.T(u.Lang, "checkin_private_done", i18n.Args{"Village": g.Village}))
	}
	select {
	case c.acks <- struct{}{}:
		u.Go(func() {
			defer func() { <-c.acks }()
			if err := c.react(ctx, u); err != nil && ctx.Err() == nil {
				c.log.Warn("check-in not acknowledged", "chat", u.ChatID, "user", u.From.ID, "err", err)
			}
		})
		return nil
	default:
		return c.react(ctx, u)
	}
}

// maxAcksInFlight bounds the reactions being sent at once.
const maxAcksInFlight = 256

// react acknowledges with a reaction, which is idempotent: a check-in
// handled again after a crash shows one 👍, not two. Where reactions are
// refused the fallback is a reply, keyed by the message so that it too
// goes out once however often the update is handled.
func (c *Checkins) react(ctx context.Context, u *Update) error {
	err := c.out.React(ctx, u.ChatID, u.Msg.ID, AckEmoji)
	if err == nil {
		return nil
	}
	m := send.Message{ChatID: u.ChatID, ThreadID: u.ThreadID, ReplyTo: u.Msg.ID, Text: c.texts.T(u.Lang, "checkin_done"),
		Key: "ack:" + strconv.FormatInt(u.ChatID, 10) + ":" + strconv.Itoa(u.Msg.ID)}
	if rerr := c.out.Enqueue(ctx, m); rerr != nil {
		return fmt.Errorf("acknowledge check-in: react: %w; reply: %w", err, rerr)
	}
	return nil
}

func (c *Checkins) lang(u *Update, g *cadrebot.Group) string {
	if u.IsGroup() || g.Lang == "" {
		return u.Lang
	}
	return g.Lang
}

// maxStreakYears bounds how far back a streak is followed.
const maxStreakYears = 20

// streak computes the member's streak from the rows the check-in
// returned, reading earlier years only for a streak that reaches back
// past them (longer than a year): one extra round trip per extra batch.
func (c *Checkins) streak(ctx context.Context, chat int64, res attendance.CheckinResult, day calendar.Date) (int, error) {
	rows := res.Rows
	for {
		n, complete := attendance.Streak(c.cal, attendance.NewRow(rows, nil, 0, res.Leaves), day)
		oldest := day.Year
		for y := range rows {
			oldest = min(oldest, y)
		}
		if complete || day.Year-oldest >= maxStreakYears {
			return n, nil
		}
		years := []int{oldest - 1, oldest - 2, oldest - 3}
		more, err := c.st.CheckinRows(ctx, chat, res.Index, years)
		if err != nil {
			return 0, err
		}
		for y, b := range more {
			rows[y] = b
		}
	}
}
