// Package cadrebot holds the domain types and rules of cadrebot, the
// assistant of village-resident instructor (驻村指导员) groups: groups and
// their rosters, check-ins, leave and problem reports. It imports only the
// standard library; Redis, Telegram and cron live in their own packages.
package cadrebot

import (
	"errors"
	"fmt"
	"time"
)

// Error is a failure the user caused or can fix. MsgID names the catalog
// message they see; Args fill it. Anything that is not an *Error becomes
// "internal error" for the user and is logged once.
type Error struct {
	MsgID string
	Args  map[string]any
}

func (e *Error) Error() string { return fmt.Sprintf("user error %s %v", e.MsgID, e.Args) }

// Errorf builds a user-facing error. args are key/value pairs.
func Errorf(msgID string, kv ...any) *Error {
	e := &Error{MsgID: msgID}
	if len(kv) > 0 {
		e.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

// ErrNotFound is returned by the store for a missing record.
var ErrNotFound = errors.New("not found")

// FormKey names a user's form (the state of a dialog) in a chat, for a
// store write that ends the form in the same round trip as its own.
type FormKey struct {
	Chat, User int64
	Kind       string
}

// ErrDuplicate is returned by the store when it refuses to file a problem
// because the village already has an open one of the same category, which
// the reporter should see first.
var ErrDuplicate = errors.New("an open problem of this category exists")

// ErrConflict means the problem changed since it was read: the caller
// reloads it and decides again (a double tap lands here).
var ErrConflict = errors.New("problem changed concurrently")

// ErrUnavailable wraps failures of the backing store, so the user is told
// to try again later rather than that something is wrong with their input.
var ErrUnavailable = errors.New("storage temporarily unavailable")

// Group is a Telegram group chat the bot works in: a village group, a
// department group, or both.
type Group struct {
	ChatID   int64
	Title    string
	Village  string
	Town     string
	Lang     string // "" means the deployment language
	TZ       string // "" means the deployment time zone
	Approved bool
	Dept     string // department bound with /bind
	// Leads is the unit (units.Unit ID) whose leaders' group this is,
	// bound with /leaders; "" for none.
	Leads   string
	Created time.Time
	// Village position for off-site check-ins; RadiusM 0 means unset.
	Lat, Lon, RadiusM float64
	// Mentions off sends reminder lists to admins privately instead of
	// @-mentioning members in the group.
	MentionsOff bool
	Schedules   map[string]string // per-group cron overrides by job name
	// BotStatus is the bot's own status in the group as Telegram last
	// reported it ("administrator", "member", "left", "kicked"); "" when
	// not known yet. An administrator bot sees every message even in
	// privacy mode.
	BotStatus string
}

// BotAdmin reports whether the bot administers the group; known is false
// when the group has not said.
func (g *Group) BotAdmin() (admin, known bool) {
	if g == nil || g.BotStatus == "" {
		return false, false
	}
	return g.BotStatus == "administrator" || g.BotStatus == "creator", true
}

// IsVillage reports whether /setup named a village for the group.
func (g *Group) IsVillage() bool { return g != nil && g.Village != "" }

// Location returns the group's time zone, or def.
func (g *Group) Location(def *time.Location) *time.Location {
	if g == nil || g.TZ == "" {
		return def
	}
	if loc, err := time.LoadLocation(g.TZ); err == nil {
		return loc
	}
	return def
}

// ChatMoves maps the old id of a group that became a supergroup to its new
// id. The deployment config names chats by the ids they had when it was
// written; resolving them through the moves keeps a configured department
// or village working after Telegram changed its id, without editing the
// file.
type ChatMoves map[int64]int64

// Chat returns the chat's current id: its supergroup's when it migrated,
// chat itself otherwise. A group migrates once (a supergroup never does),
// so one step is all there is.
func (m ChatMoves) Chat(chat int64) int64 {
	if n := m[chat]; n != 0 {
		return n
	}
	return chat
}

// Member is a cadre on a group's roster.
type Member struct {
	UserID   int64
	Name     string
	Username string
	Index    int // stable bit index in the group's check-in bitmaps
}

// Mention returns a tg://user link label for HTML; the caller escapes Name.
func (m Member) Mention() string { return fmt.Sprintf("tg://user?id=%d", m.UserID) }

// GroupPatch changes some fields of a group; nil fields stay.
type GroupPatch struct {
	Village, Town, Lang, TZ, Dept, Leads, BotStatus *string
	Approved, MentionsOff                           *bool
	Lat, Lon, RadiusM                               *float64
	Schedule                                        map[string]string // job -> spec; "" deletes the override
}

// UserState is per-user state outside any group.
type UserState struct {
	Lang     string
	Started  bool // the user started the bot privately, so DMs work
	RemindMe bool
}
