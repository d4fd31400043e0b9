package attendance

import (
	"time"

	"cadrebot"
	"cadrebot/calendar"
)

// What the store records and returns for check-ins and periods of
// service: the requests handlers make and what comes back.

// CheckinWrite is one check-in to record.
type CheckinWrite struct {
	Chat   int64
	Member cadrebot.Member // UserID, Name, Username; the index is the store's business
	Day    calendar.Date   // in the group's time zone
	Minute int             // minutes after midnight in the group's zone
	Note   string          // "" keeps the day's earlier note
	Where  *cadrebot.Point // nil without a location
	// OffSite marks a check-in at Where as off-site; a later one that is
	// on site clears it.
	OffSite bool
	// DetailTTL is how long the day's times and notes live after this
	// write; BoardInterval is the board debounce.
	DetailTTL     time.Duration
	BoardInterval time.Duration
}

// CheckinResult is what the check-in script reports.
type CheckinResult struct {
	Index int
	Again bool // the member had already checked in that day
	// Rows has the member's row of Day's year and of the year before,
	// and Leaves their leave: what the streak needs. Row views them.
	Rows   map[int][]byte
	Leaves Leaves
	// BoardCreate is true for the check-in that claimed the creation of
	// the day's board (the first of the day): it must send the board.
	BoardCreate bool
	// BoardDue is true when this check-in claimed the board debounce and
	// so must schedule a refresh of the board.
	BoardDue bool
}

// Row views the member's rows and leave for Streak.
func (r CheckinResult) Row() Row { return NewRow(r.Rows, nil, 0, r.Leaves) }

// Day is one group's check-in day: what /today, the board and the
// reminders read, in one pipelined round trip.
type Day struct {
	Group *cadrebot.Group // nil when the bot does not know the chat
	Date  calendar.Date
	// Period covers the year before Date and Date's year through Date, so
	// streaks can be computed; narrow From for rates.
	Period *Period
	// Details has the check-in of every roster member who checked in,
	// with the time, note and location while they are kept.
	Details map[int64]cadrebot.Checkin
	// Board is the day's board message; BoardPending means another
	// process is creating it.
	Board        int
	BoardPending bool
}

// JoinWrite is one start (or continuation) of service.
type JoinWrite struct {
	Chat   int64
	Member cadrebot.Member // UserID, Name, Username
	Day    calendar.Date   // the first day of a new period, in the group's zone
	// Batch, Home and Title are set on the open period when not empty.
	Batch, Home, Title string
	// Created is the group's creation day: the start of service of a
	// roster member from before periods were kept (store.DB.Join).
	Created calendar.Date
}

// JoinResult says what Join did.
type JoinResult struct {
	Index   int
	Started bool // a new period began on Day
	Already bool // they were on the roster already
}

// Departure is the end of a member's service.
type Departure struct {
	Chat   int64
	Member cadrebot.Member // UserID; Name and Username for a record made now
	Day    calendar.Date   // the day they left, in the group's zone
	Why    string          // EndLeft, EndRemoved or EndHandover
	// Created is the group's creation day, as for JoinWrite.
	Created calendar.Date
}
