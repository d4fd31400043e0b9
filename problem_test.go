package cadrebot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func newProblem(st Status) Problem {
	return Problem{ID: 7, Status: st, Version: 3, Dept: "traffic", Category: "parking", Reporter: 1,
		Created: t0, SLA: 72 * time.Hour, Due: t0.Add(72 * time.Hour), ResolvedAt: t0.Add(time.Hour)}
}

func msgID(err error) string {
	var ue *Error
	if errors.As(err, &ue) {
		return ue.MsgID
	}
	if err != nil {
		return "non-user error: " + err.Error()
	}
	return ""
}

func TestTransition(t *testing.T) {
	const day = 24 * time.Hour
	week := 7 * day
	tests := []struct {
		name    string
		from    Status
		c       Change
		at      time.Time
		want    Status
		wantErr string
	}{
		{"handler accepts new", StatusNew, Change{Action: ActAccept, Roles: RoleHandler}, t0, StatusAccepted, ""},
		{"handler accepts reopened", StatusReopened, Change{Action: ActAccept, Roles: RoleHandler}, t0, StatusAccepted, ""},
		{"accept twice", StatusAccepted, Change{Action: ActAccept, Roles: RoleHandler}, t0, "", "pr_err_status"},
		{"reporter cannot accept", StatusNew, Change{Action: ActAccept, Roles: RoleReporter}, t0, "", "pr_err_forbidden"},
		{"village admin cannot accept", StatusNew, Change{Action: ActAccept, Roles: RoleVillageAdmin}, t0, "", "pr_err_forbidden"},
		{"nobody", StatusNew, Change{Action: ActAccept}, t0, "", "pr_err_forbidden"},
		{"deploy admin accepts", StatusNew, Change{Action: ActAccept, Roles: RoleDeployAdmin}, t0, StatusAccepted, ""},
		{"resolve accepted", StatusAccepted, Change{Action: ActResolve, Roles: RoleHandler, Note: "画了停车线"}, t0, StatusResolved, ""},
		{"resolve new directly", StatusNew, Change{Action: ActResolve, Roles: RoleHandler, Note: "done"}, t0, StatusResolved, ""},
		{"resolve without note", StatusAccepted, Change{Action: ActResolve, Roles: RoleHandler, Note: "  "}, t0, "", "pr_err_note_required"},
		{"resolve twice", StatusResolved, Change{Action: ActResolve, Roles: RoleHandler, Note: "x"}, t0, "", "pr_err_status"},
		{"resolve returned", StatusReturned, Change{Action: ActResolve, Roles: RoleHandler, Note: "x"}, t0, "", "pr_err_status"},
		{"return new", StatusNew, Change{Action: ActReturn, Roles: RoleHandler, Note: "不属于本部门"}, t0, StatusReturned, ""},
		{"return accepted", StatusAccepted, Change{Action: ActReturn, Roles: RoleHandler, Note: "x"}, t0, StatusReturned, ""},
		{"return without reason", StatusNew, Change{Action: ActReturn, Roles: RoleHandler}, t0, "", "pr_err_reason_required"},
		{"return resolved", StatusResolved, Change{Action: ActReturn, Roles: RoleHandler, Note: "x"}, t0, "", "pr_err_status"},
		{"reassign", StatusAccepted, Change{Action: ActReassign, Roles: RoleHandler, Dept: "environment"}, t0, StatusNew, ""},
		{"reassign same dept", StatusAccepted, Change{Action: ActReassign, Roles: RoleHandler, Dept: "traffic"}, t0, "", "pr_err_same_dept"},
		{"reassign returned", StatusReturned, Change{Action: ActReassign, Roles: RoleHandler, Dept: "environment"}, t0, StatusNew, ""},
		{"categorize returned", StatusReturned, Change{Action: ActCategorize, Roles: RoleHandler, Dept: "traffic"}, t0, "", "pr_err_status"},
		{"reassign closed", StatusClosed, Change{Action: ActReassign, Roles: RoleDeployAdmin, Dept: "environment"}, t0, "", "pr_err_status"},
		{"categorize in triage", StatusNew, Change{Action: ActCategorize, Roles: RoleHandler, Dept: "traffic", Category: "parking"}, t0, StatusNew, ""},
		{"resubmit returned", StatusReturned, Change{Action: ActResubmit, Roles: RoleReporter}, t0, StatusNew, ""},
		{"resubmit empty edit", StatusReturned, Change{Action: ActResubmit, Roles: RoleReporter, Edit: &Edit{Text: " "}}, t0, "", "pr_err_empty"},
		{"handler cannot resubmit", StatusReturned, Change{Action: ActResubmit, Roles: RoleHandler}, t0, "", "pr_err_forbidden"},
		{"reporter reopens in window", StatusResolved, Change{Action: ActReopen, Roles: RoleReporter, ReopenWindow: week}, t0.Add(3 * day), StatusReopened, ""},
		{"reporter reopens late", StatusResolved, Change{Action: ActReopen, Roles: RoleReporter, ReopenWindow: week}, t0.Add(8 * day), "", "pr_err_reopen_window"},
		{"village admin reopens late", StatusResolved, Change{Action: ActReopen, Roles: RoleVillageAdmin, ReopenWindow: week}, t0.Add(8 * day), StatusReopened, ""},
		{"reporter cannot reopen closed", StatusClosed, Change{Action: ActReopen, Roles: RoleReporter}, t0, "", "pr_err_reopen_closed"},
		{"village admin reopens closed", StatusClosed, Change{Action: ActReopen, Roles: RoleVillageAdmin}, t0, StatusReopened, ""},
		{"handler cannot reopen", StatusResolved, Change{Action: ActReopen, Roles: RoleHandler}, t0, "", "pr_err_forbidden"},
		{"reopen new", StatusNew, Change{Action: ActReopen, Roles: RoleDeployAdmin}, t0, "", "pr_err_status"},
		{"reporter confirms", StatusResolved, Change{Action: ActClose, Roles: RoleReporter}, t0, StatusClosed, ""},
		{"reporter withdraws returned", StatusReturned, Change{Action: ActClose, Roles: RoleReporter}, t0, StatusClosed, ""},
		{"reporter cannot close new", StatusNew, Change{Action: ActClose, Roles: RoleReporter}, t0, "", "pr_err_status"},
		{"village admin closes new", StatusNew, Change{Action: ActClose, Roles: RoleVillageAdmin}, t0, StatusClosed, ""},
		{"handler cannot close", StatusResolved, Change{Action: ActClose, Roles: RoleHandler}, t0, "", "pr_err_forbidden"},
		{"sweep closes resolved", StatusResolved, Change{Action: ActClose, Roles: RoleSystem}, t0, StatusClosed, ""},
		{"sweep never closes open", StatusAccepted, Change{Action: ActClose, Roles: RoleSystem}, t0, "", "pr_err_status"},
		{"close closed", StatusClosed, Change{Action: ActClose, Roles: RoleDeployAdmin}, t0, "", "pr_err_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProblem(tt.from)
			got, e, err := Transition(p, tt.c, tt.at)
			if id := msgID(err); id != tt.wantErr {
				t.Fatalf("Transition(%s, %s) error %q, want %q", tt.from, tt.c.Action, id, tt.wantErr)
			}
			if err != nil {
				if got.Version != p.Version || got.Status != p.Status {
					t.Errorf("refused transition changed the problem: %+v", got)
				}
				return
			}
			if got.Status != tt.want || e.To != tt.want || e.From != tt.from {
				t.Errorf("Transition(%s, %s) = %s (entry %s→%s), want %s", tt.from, tt.c.Action, got.Status, e.From, e.To, tt.want)
			}
			if got.Version != p.Version+1 {
				t.Errorf("version %d, want %d", got.Version, p.Version+1)
			}
		})
	}
}

func TestTransitionDeadlines(t *testing.T) {
	p := newProblem(StatusAccepted)
	p.Stage = 2
	now := t0.Add(100 * time.Hour)
	got, e, err := Transition(p, Change{Action: ActReassign, Roles: RoleHandler, Dept: "environment", SLA: 7 * 24 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(7 * 24 * time.Hour); !got.Due.Equal(want) || got.Stage != 0 || got.SLA != 7*24*time.Hour {
		t.Errorf("after reassign due %v stage %d sla %v, want due %v stage 0", got.Due, got.Stage, got.SLA, want)
	}
	if got.Dept != "environment" || e.Dept != "environment" {
		t.Errorf("dept %q entry dept %q, want environment", got.Dept, e.Dept)
	}
	// Reopen keeps the SLA the item had when no new one is given.
	r := newProblem(StatusResolved)
	got, _, err = Transition(r, Change{Action: ActReopen, Roles: RoleReporter, ReopenWindow: 7 * 24 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(72 * time.Hour); !got.Due.Equal(want) {
		t.Errorf("after reopen due %v, want %v", got.Due, want)
	}
	// After "is this fixed?" was asked, "No" reopens past the window.
	r.AskedAt = t0.Add(8 * 24 * time.Hour)
	if _, _, err := Transition(r, Change{Action: ActReopen, Roles: RoleReporter, ReopenWindow: 7 * 24 * time.Hour}, t0.Add(9*24*time.Hour)); err != nil {
		t.Errorf("reopen after the question was asked: %v", err)
	}
}

func TestResubmitEdits(t *testing.T) {
	p := newProblem(StatusReturned)
	p.Reason = "写清楚位置"
	got, _, err := Transition(p, Change{Action: ActResubmit, Roles: RoleReporter, Category: "sanitation", Dept: "environment",
		Edit: &Edit{Text: "新描述", Address: "村口"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "新描述" || got.Address != "村口" || got.Category != "sanitation" || got.Dept != "environment" || got.Reason != "" {
		t.Errorf("resubmit = %+v", got)
	}
}

func TestValidateText(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "pr_err_empty"},
		{" \n\t", "pr_err_empty"},
		{"工业园区旁没有划定停车位", ""},
		{strings.Repeat("停", MaxReportText), ""},
		{strings.Repeat("停", MaxReportText+1), "pr_err_too_long"},
		{"<b>&amp;</b> *bold* _x_", ""},
	}
	for _, tt := range tests {
		if got := msgID(ValidateText(tt.in)); got != tt.want {
			t.Errorf("ValidateText(%.20q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStageAt(t *testing.T) {
	p := newProblem(StatusAccepted) // due t0+72h, SLA 72h
	tests := []struct {
		at   time.Duration
		want int
	}{
		{0, -1}, {71 * time.Hour, -1}, {72 * time.Hour, 0}, {143 * time.Hour, 0}, {144 * time.Hour, 1}, {216 * time.Hour, 2},
	}
	for _, tt := range tests {
		if got := p.StageAt(t0.Add(tt.at)); got != tt.want {
			t.Errorf("StageAt(+%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
	p.Status = StatusResolved
	if got := p.StageAt(t0.Add(500 * time.Hour)); got != -1 {
		t.Errorf("resolved StageAt = %d, want -1", got)
	}
}

func TestDistance(t *testing.T) {
	// Two points 0.001° of latitude apart are about 111 m apart.
	if d := Distance(30.0, 120.0, 30.001, 120.0); d < 110 || d > 112 {
		t.Errorf("Distance = %.1f m, want ~111", d)
	}
	p := Problem{HasLoc: true, Lat: 30, Lon: 120}
	if !p.Near(30.001, 120, 500) || p.Near(30.01, 120, 500) {
		t.Error("Near does not respect the radius")
	}
	if (&Problem{}).Near(0, 0, 500) {
		t.Error("a problem without a location is near everything")
	}
}
