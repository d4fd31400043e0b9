package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// Two admins approving one request at once: exactly one moves it into the
// member's leave; the other finds it decided. A request never shows as
// leave before that.
func TestApproveLeaveRequestOnce(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	d := calendar.MustParseDate
	r := attendance.Request{ID: "abc123", Chat: -7, User: 42, Name: "王芳", Msg: 9,
		Leave: attendance.Leave{From: d("2026-12-01"), To: d("2026-12-02"), Kind: cadrebot.LeaveTrip, By: 42}}
	if err := db.SaveLeaveRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	if ls, _ := db.MemberLeaves(ctx, -7, 42); len(ls) != 0 {
		t.Fatalf("a pending request reads as leave: %+v", ls)
	}
	if got, err := db.LeaveRequests(ctx, -7, 42); err != nil || len(got) != 1 || got[0].Msg != 9 {
		t.Fatalf("LeaveRequests = %+v, %v", got, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = db.ApproveLeaveRequest(ctx, -7, "abc123", func(req attendance.Request, cur attendance.Leaves) (attendance.Leaves, error) {
				l := req.Leave
				l.OKBy = int64(100 + i)
				return cur.Set(l), nil
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, cadrebot.ErrNotFound):
			t.Errorf("the losing approval failed with %v, want ErrNotFound", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d approvals succeeded, want 1 (%v)", won, errs)
	}
	ls, err := db.MemberLeaves(ctx, -7, 42)
	if err != nil || len(ls) != 1 || ls[0].Kind != cadrebot.LeaveTrip || ls[0].OKBy < 100 || ls[0].By != 42 {
		t.Fatalf("leave after approval = %+v, %v", ls, err)
	}
	if ok, err := db.DeleteLeaveRequest(ctx, -7, "abc123"); ok || err != nil {
		t.Errorf("rejecting a decided request: %v, %v", ok, err)
	}
	// A refusal from fn (the outing cap) leaves the request pending.
	r.ID = "def456"
	if err := db.SaveLeaveRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	capErr := cadrebot.Errorf("leave_outing_cap")
	_, err = db.ApproveLeaveRequest(ctx, -7, "def456", func(attendance.Request, attendance.Leaves) (attendance.Leaves, error) { return nil, capErr })
	if !errors.Is(err, capErr) {
		t.Errorf("fn's error = %v, want it as is", err)
	}
	if _, err := db.LeaveRequest(ctx, -7, "def456"); err != nil {
		t.Errorf("a refused approval dropped the request: %v", err)
	}
}
