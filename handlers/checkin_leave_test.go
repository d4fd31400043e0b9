package handlers

import (
	"errors"
	"testing"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

func TestParseLeave(t *testing.T) {
	today := calendar.MustParseDate("2026-11-30")
	d := calendar.MustParseDate
	tests := []struct {
		args  []string
		want  attendance.Leave
		msgID string
	}{
		{[]string{"today"}, attendance.Leave{From: today, To: today, Kind: cadrebot.LeaveAbsence}, ""},
		{[]string{"明天", "出差"}, attendance.Leave{From: d("2026-12-01"), To: d("2026-12-01"), Kind: cadrebot.LeaveTrip}, ""},
		{[]string{"外出", "2026-12-01", "2026-12-03"}, attendance.Leave{From: d("2026-12-01"), To: d("2026-12-03"), Kind: cadrebot.LeaveOuting}, ""},
		{[]string{"2026-12-03", "2026-12-01"}, attendance.Leave{}, "leave_to_before_from"},
		{[]string{"2026-02-30"}, attendance.Leave{}, "leave_bad_arg"},
		{[]string{"12/01"}, attendance.Leave{}, "leave_bad_arg"},
		{[]string{"出差"}, attendance.Leave{}, "leave_usage"},
		{[]string{"today", "出差", "请假"}, attendance.Leave{}, "leave_usage"},
		{[]string{"2026-10-01"}, attendance.Leave{}, "leave_too_old"},
		{[]string{"today", "2027-12-31"}, attendance.Leave{}, "leave_too_long"},
	}
	for _, tt := range tests {
		got, err := parseLeave(tt.args, today, 31)
		var ue *cadrebot.Error
		switch {
		case tt.msgID == "" && (err != nil || got != tt.want):
			t.Errorf("parseLeave(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		case tt.msgID != "" && (!errors.As(err, &ue) || ue.MsgID != tt.msgID):
			t.Errorf("parseLeave(%q) error = %v, want %s", tt.args, err, tt.msgID)
		}
	}
}
