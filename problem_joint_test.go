package cadrebot

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSupportTransitions(t *testing.T) {
	tests := []struct {
		name    string
		from    Status
		support []string
		c       Change
		want    []string
		wantErr string
	}{
		{"lead adds", StatusAccepted, nil, Change{Action: ActSupport, Roles: RoleHandler, Dept: "env"}, []string{"env"}, ""},
		{"lead removes", StatusNew, []string{"env", "county"}, Change{Action: ActUnsupport, Roles: RoleHandler, Dept: "env"}, []string{"county"}, ""},
		{"admin adds", StatusReopened, []string{"env"}, Change{Action: ActSupport, Roles: RoleDeployAdmin, Dept: "county"}, []string{"env", "county"}, ""},
		{"supporter may not", StatusNew, []string{"env"}, Change{Action: ActSupport, Roles: RoleSupport, Dept: "county"}, nil, "pr_err_forbidden"},
		{"reporter may not", StatusNew, nil, Change{Action: ActSupport, Roles: RoleReporter, Dept: "env"}, nil, "pr_err_forbidden"},
		{"the lead itself", StatusNew, nil, Change{Action: ActSupport, Roles: RoleHandler, Dept: "traffic"}, nil, "pr_err_support_lead"},
		{"twice", StatusNew, []string{"env"}, Change{Action: ActSupport, Roles: RoleHandler, Dept: "env"}, nil, "pr_err_support_already"},
		{"remove a stranger", StatusNew, []string{"env"}, Change{Action: ActUnsupport, Roles: RoleHandler, Dept: "county"}, nil, "pr_err_support_not"},
		{"no department", StatusNew, nil, Change{Action: ActSupport, Roles: RoleHandler}, nil, "pr_err_dept_required"},
		{"resolved", StatusResolved, nil, Change{Action: ActSupport, Roles: RoleHandler, Dept: "env"}, nil, "pr_err_status"},
		{"returned", StatusReturned, nil, Change{Action: ActSupport, Roles: RoleHandler, Dept: "env"}, nil, "pr_err_status"},
		{"too many", StatusNew, []string{"a", "b", "c", "d", "e", "f", "g", "h"}, Change{Action: ActSupport, Roles: RoleHandler, Dept: "env"}, nil, "pr_err_support_many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProblem(tt.from)
			p.Support = tt.support
			got, e, err := Transition(p, tt.c, t0)
			if id := msgID(err); id != tt.wantErr {
				t.Fatalf("Transition error = %q, want %q", id, tt.wantErr)
			}
			if err != nil {
				if !slices.Equal(got.Support, tt.support) || got.Version != p.Version {
					t.Errorf("a refused change changed the problem: %v v%d", got.Support, got.Version)
				}
				return
			}
			if !slices.Equal(got.Support, tt.want) {
				t.Errorf("Support = %q, want %q", got.Support, tt.want)
			}
			if got.Version != p.Version+1 || got.Status != p.Status || e.Dept != tt.c.Dept || e.From != e.To {
				t.Errorf("version %d status %s entry %+v", got.Version, got.Status, e)
			}
			if slices.Equal(p.Support, got.Support) && len(p.Support) > 0 {
				t.Error("the input's support list was modified in place")
			}
		})
	}
}

func TestReassignDropsNewLeadFromSupport(t *testing.T) {
	p := newProblem(StatusAccepted)
	p.Support = []string{"env", "county"}
	got, _, err := Transition(p, Change{Action: ActReassign, Roles: RoleHandler, Dept: "env"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Dept != "env" || !slices.Equal(got.Support, []string{"county"}) {
		t.Errorf("after reassigning to a supporter: lead %s, support %q", got.Dept, got.Support)
	}
	p = newProblem(StatusNew)
	p.Dept, p.Category = "triage", ""
	got, _, err = Transition(p, Change{Action: ActCategorize, Roles: RoleHandler, Dept: "traffic", Category: "parking",
		Support: []string{"env"}}, t0)
	if err != nil || got.Dept != "traffic" || !slices.Equal(got.Support, []string{"env"}) {
		t.Errorf("categorize: %v lead %s support %q", err, got.Dept, got.Support)
	}
}

func TestSupportOf(t *testing.T) {
	if got := SupportOf("traffic", []string{"env", "traffic", "", "env", "county"}); !slices.Equal(got, []string{"env", "county"}) {
		t.Errorf("SupportOf = %q", got)
	}
	if got := SupportOf("traffic", nil); got != nil {
		t.Errorf("SupportOf(nil) = %q", got)
	}
}

func TestRating(t *testing.T) {
	at := t0.Add(2 * time.Hour)
	tests := []struct {
		name    string
		from    Status
		roles   Roles
		rating  Rating
		wantErr string
	}{
		{"reporter satisfied", StatusResolved, RoleReporter, RatingSatisfied, ""},
		{"village admin basic", StatusResolved, RoleVillageAdmin, RatingBasic, ""},
		{"deployment admin is not the village", StatusResolved, RoleDeployAdmin, RatingSatisfied, "pr_err_forbidden"},
		{"handler is not the village", StatusResolved, RoleHandler, RatingSatisfied, "pr_err_forbidden"},
		{"closed", StatusClosed, RoleReporter, RatingSatisfied, "pr_err_rating_closed"},
		{"not resolved", StatusAccepted, RoleReporter, RatingSatisfied, "pr_err_status"},
		{"unsatisfied needs a reason", StatusResolved, RoleReporter, RatingUnsatisfied, "pr_err_rating_reason"},
		{"no such rating", StatusResolved, RoleReporter, "great", "pr_err_rating"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProblem(tt.from)
			got, e, err := Transition(p, Change{Action: ActRate, Roles: tt.roles, Rating: tt.rating, Name: "王芳"}, at)
			if id := msgID(err); id != tt.wantErr {
				t.Fatalf("error = %q, want %q", id, tt.wantErr)
			}
			if err != nil {
				return
			}
			// A rating leaves status and version: the buttons stay valid.
			if got.Rating != tt.rating || got.RatedBy != "王芳" || !got.RatedAt.Equal(at) || got.Version != p.Version ||
				got.Status != StatusResolved || e.Note != string(tt.rating) || e.Action != ActRate {
				t.Errorf("after rating: %+v, entry %+v", got, e)
			}
		})
	}
}

func TestUnsatisfiedReopens(t *testing.T) {
	p := newProblem(StatusResolved)
	c := Change{Action: ActReopen, Roles: RoleReporter, Note: "还是堵", Rating: RatingUnsatisfied, Name: "王芳", ReopenWindow: 7 * 24 * time.Hour}
	got, e, err := Transition(p, c, t0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusReopened || got.Rating != RatingUnsatisfied || e.Note != "还是堵" || got.Version != p.Version+1 {
		t.Errorf("reopened %+v entry %+v", got, e)
	}
	// Past the reopen window, before the sweep asked: "unsatisfied" still
	// reopens (a rating may change until the problem closes), a bare
	// reopen by the reporter does not.
	late := t0.Add(10 * 24 * time.Hour)
	if _, _, err := Transition(p, c, late); err != nil {
		t.Errorf("unsatisfied past the window: %v", err)
	}
	bare := c
	bare.Rating = ""
	if _, _, err := Transition(p, bare, late); msgID(err) != "pr_err_reopen_window" {
		t.Errorf("a bare reopen past the window: %v", err)
	}
	// A deployment admin reopens, but does not rate for the village.
	c.Roles = RoleDeployAdmin
	if _, _, err := Transition(p, c, t0.Add(3*time.Hour)); msgID(err) != "pr_err_forbidden" {
		t.Errorf("a deployment admin's unsatisfied reopen: %v", err)
	}
	// A new resolution is rated afresh.
	again, _, err := Transition(got, Change{Action: ActResolve, Roles: RoleHandler, Note: "补装了", Photos: []string{"f1", "f2"}}, t0.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.Rating != "" || !again.RatedAt.IsZero() || !slices.Equal(again.ResolutionPhotos, []string{"f1", "f2"}) {
		t.Errorf("after a new resolution: rating %q photos %q", again.Rating, again.ResolutionPhotos)
	}
}

func TestFiguresSatisfaction(t *testing.T) {
	rated := func(r Rating) Problem {
		p := newProblem(StatusClosed)
		p.Rating = r
		return p
	}
	ps := []Problem{rated(RatingSatisfied), rated(RatingBasic), rated(RatingUnsatisfied), rated(RatingBasic), newProblem(StatusClosed)}
	f := ComputeFigures(ps, t0.Add(100*time.Hour))
	if diff := cmp.Diff([3]int{4, 3, 1}, [3]int{f.Rated, f.Satisfied, f.Unsatisfied}); diff != "" {
		t.Errorf("rated, satisfied, unsatisfied (-want +got):\n%s", diff)
	}
	if got := f.SatisfactionRate(); got != "75.0%" {
		t.Errorf("SatisfactionRate = %s, want 75.0%%", got)
	}
	if got := ComputeFigures([]Problem{newProblem(StatusClosed)}, t0).SatisfactionRate(); got != NoFigure {
		t.Errorf("nothing rated: %s, want %s", got, NoFigure)
	}
}
