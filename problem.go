package cadrebot

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxReportText is the longest problem description, in characters: one
// Telegram message. Longer text could not be shown back in one message.
const MaxReportText = 4096

// MaxAddress bounds a typed address; it is a line on a card, not a story.
const MaxAddress = 200

// Status is where a problem is in its lifecycle.
type Status string

// The statuses. New, accepted and reopened items sit in a department's
// queue; a returned item waits for its reporter; resolved waits for the
// reporter's confirmation; closed is final.
const (
	StatusNew      Status = "new"
	StatusAccepted Status = "accepted"
	StatusReturned Status = "returned"
	StatusResolved Status = "resolved"
	StatusReopened Status = "reopened"
	StatusClosed   Status = "closed"
)

// Open reports whether the problem still needs work from anyone.
func (s Status) Open() bool { return s != StatusResolved && s != StatusClosed }

// Held reports whether the problem sits in a department's queue, where
// its deadline runs.
func (s Status) Held() bool { return s == StatusNew || s == StatusAccepted || s == StatusReopened }

// Done reports whether the problem counts as resolved (办结) for figures.
func (s Status) Done() bool { return s == StatusResolved || s == StatusClosed }

// Action is something that happens to a problem; each is one history entry.
type Action string

// The actions. The first group changes the status; the second only adds
// to the history.
const (
	ActCreate     Action = "create"
	ActAccept     Action = "accept"
	ActResolve    Action = "resolve"
	ActReturn     Action = "return"
	ActReassign   Action = "reassign"
	ActCategorize Action = "categorize"
	ActResubmit   Action = "resubmit"
	ActReopen     Action = "reopen"
	ActClose      Action = "close"

	ActMeToo         Action = "metoo"
	ActRemind        Action = "remind"
	ActEscalate      Action = "escalate"
	ActLeaders       Action = "leaders"  // overdue: the leaders' group of a unit above the village was told (Note names it)
	ActHandover      Action = "handover" // the reporter's successor took the problem over (Note: "old → new")
	ActAsk           Action = "ask"
	ActUndeliverable Action = "undeliverable"
	ActDelivered     Action = "delivered"

	// Joint handling and satisfaction (problem_joint.go, rating.go).
	// Support and unsupport change who works on a problem; a note and a
	// rating change neither status nor version.
	ActSupport   Action = "support"
	ActUnsupport Action = "unsupport"
	ActNote      Action = "note"
	ActRate      Action = "rate"
)

// Roles is the set of capacities in which someone acts on a problem.
type Roles uint8

// The roles. A user can hold several at once.
const (
	// RoleHandler: a member of the chat of the department holding it.
	RoleHandler Roles = 1 << iota
	// RoleVillageAdmin: an admin of the reporting village's group.
	RoleVillageAdmin
	// RoleReporter: the person who reported it.
	RoleReporter
	// RoleDeployAdmin: listed in config admins; may do everything.
	RoleDeployAdmin
	// RoleSystem: the bot's own sweeps (auto-close).
	RoleSystem
	// RoleSupport: a member of the chat of one of its supporting
	// departments (协办).
	RoleSupport
)

// Has reports whether any of want is in r.
func (r Roles) Has(want Roles) bool { return r&want != 0 }

// MayAct lists the roles that can ever perform a, so a caller asks
// Telegram only about the memberships that matter. Transition decides the
// exact case (a reporter reopens only within the window, for example).
func MayAct(a Action) Roles {
	switch a {
	case ActAccept, ActResolve, ActReturn, ActReassign, ActCategorize:
		return RoleHandler | RoleDeployAdmin
	case ActResubmit:
		return RoleReporter | RoleVillageAdmin | RoleDeployAdmin
	case ActReopen:
		return RoleReporter | RoleVillageAdmin | RoleDeployAdmin
	case ActClose:
		return RoleReporter | RoleVillageAdmin | RoleDeployAdmin | RoleSystem
	case ActSupport, ActUnsupport:
		// The lead department (主办) chooses who helps.
		return RoleHandler | RoleDeployAdmin
	case ActNote:
		return RoleHandler | RoleSupport | RoleDeployAdmin
	case ActRate:
		// Satisfaction is the villagers' word: not even a deployment
		// admin rates on their behalf.
		return RoleReporter | RoleVillageAdmin
	}
	return RoleDeployAdmin
}

// Problem is one report and everything that happened to it since.
type Problem struct {
	ID      int64
	Status  Status
	Version int64 // bumped by every status change; buttons carry it

	VillageChat  int64
	Village      string
	Reporter     int64
	ReporterName string
	ReportMsgID  int // the message notifications reply to
	// FoundBy is who found the problem when a hand-over passed it to
	// Reporter, their successor; 0 when the reporter found it. Exports
	// credit the finder (FinderID).
	FoundBy   int64
	FoundName string

	Category string
	Dept     string // the lead department (主办)
	// Support are the supporting departments (协办), never Dept; each
	// gets a card and adds progress notes, and SupportNoted says when
	// each last did.
	Support      []string
	SupportNoted map[string]time.Time
	Text         string
	Photos       []string // Telegram file_ids
	HasLoc       bool
	Lat, Lon     float64
	Address      string

	Created    time.Time
	Due        time.Time
	SLA        time.Duration // the category's SLA when it was routed
	ResolvedAt time.Time     // the latest resolution
	ClosedAt   time.Time
	AskedAt    time.Time // "is this fixed?" was asked

	Note    string // the latest resolution note
	Reason  string // the latest return reason
	Handler string // who accepted or resolved it last
	// ResolutionPhotos are the evidence of the latest resolution
	// (整改后), Telegram file_ids like Photos (整改前).
	ResolutionPhotos []string

	// Rating is the reporter's satisfaction with the latest resolution,
	// "" until rated (or "unsatisfied" since it reopened the problem);
	// RatedAt and RatedBy say when and who.
	Rating  Rating
	RatedAt time.Time
	RatedBy string

	MeToo         int
	Undeliverable bool
	Stage         int              // escalation stages reached since Due
	Cards         map[int64]int    // department chat -> card message id
	CardDepts     map[int64]string // department chat -> department, for cards
}

// Entry is one line of a problem's append-only history.
type Entry struct {
	At     time.Time `json:"at"`
	By     int64     `json:"by,omitempty"`
	Name   string    `json:"name,omitempty"`
	Action Action    `json:"act"`
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to,omitempty"`
	Note   string    `json:"note,omitempty"`
	Dept   string    `json:"dept,omitempty"`
}

// Change asks Transition for one action.
type Change struct {
	Action Action
	Roles  Roles
	By     int64
	Name   string
	Note   string // resolution note, return reason, reopen reason
	// Dept is the target of a reassignment or categorization.
	Dept string
	// Category is the new category (categorize, resubmit).
	Category string
	// SLA starts a new deadline (reassign, categorize, reopen, resubmit).
	SLA time.Duration
	// ReopenWindow is how long after resolution the reporter may reopen
	// on their own (problems.reopen_days).
	ReopenWindow time.Duration
	// Edit carries the reporter's corrections on resubmit; nil keeps all.
	Edit *Edit
	// Photos are the evidence of a resolution.
	Photos []string
	// Support is the category's supporting departments on categorize;
	// nil keeps the problem's own.
	Support []string
	// Rating is the satisfaction rate records, or the one a reopen for
	// "unsatisfied" records with its reason.
	Rating Rating
}

// Edit is what a reporter may change before resubmitting.
type Edit struct {
	Text     string
	Photos   []string
	HasLoc   bool
	Lat, Lon float64
	Address  string
}

// Transition applies c to p and returns the new problem and its history
// entry. It is pure: the store makes it atomic and the handlers decide who
// holds which roles. A user error (*Error) explains every refusal.
func Transition(p Problem, c Change, now time.Time) (Problem, Entry, error) {
	e := Entry{At: now, By: c.By, Name: c.Name, Action: c.Action, From: p.Status, Note: c.Note}
	from := p.Status
	if !c.Roles.Has(MayAct(c.Action)) {
		return p, e, forbidden(p, c.Action)
	}
	note := strings.TrimSpace(c.Note)
	switch c.Action {
	case ActAccept:
		if from != StatusNew && from != StatusReopened {
			return p, e, wrongStatus(p, c.Action)
		}
		p.Status, p.Handler = StatusAccepted, c.Name
	case ActResolve:
		if !from.Held() {
			return p, e, wrongStatus(p, c.Action)
		}
		if note == "" {
			return p, e, Errorf("pr_err_note_required", "N", p.ID)
		}
		p.Status, p.Note, p.ResolvedAt, p.Handler = StatusResolved, note, now, c.Name
		p.AskedAt, p.ResolutionPhotos = time.Time{}, c.Photos
		// A rating judges one resolution: a new one is rated afresh (the
		// history keeps the old).
		p.Rating, p.RatedAt, p.RatedBy = "", time.Time{}, ""
	case ActReturn:
		if from != StatusNew && from != StatusAccepted && from != StatusReopened {
			return p, e, wrongStatus(p, c.Action)
		}
		if note == "" {
			return p, e, Errorf("pr_err_reason_required", "N", p.ID)
		}
		p.Status, p.Reason = StatusReturned, note
	case ActReassign, ActCategorize:
		// Any open item may change hands, a returned one too (the
		// department saw it is not theirs after all).
		if !from.Open() || c.Action == ActCategorize && !from.Held() {
			return p, e, wrongStatus(p, c.Action)
		}
		if c.Dept == "" {
			return p, e, Errorf("pr_err_dept_required", "N", p.ID)
		}
		if c.Action == ActReassign && c.Dept == p.Dept {
			return p, e, Errorf("pr_err_same_dept", "N", p.ID)
		}
		if c.Category != "" {
			p.Category = c.Category
		}
		if c.Support != nil {
			p.Support = c.Support
		}
		e.Dept = c.Dept
		p.Dept, p.Status = c.Dept, StatusNew
		// The new lead cannot support itself.
		p.Support = withoutDept(p.Support, p.Dept)
		p.restartClock(now, c.SLA)
	case ActResubmit:
		if from != StatusReturned {
			return p, e, wrongStatus(p, c.Action)
		}
		if c.Edit != nil {
			if err := ValidateText(c.Edit.Text); err != nil {
				return p, e, err
			}
			p.Text, p.Photos, p.HasLoc, p.Lat, p.Lon, p.Address = c.Edit.Text, c.Edit.Photos, c.Edit.HasLoc, c.Edit.Lat, c.Edit.Lon, c.Edit.Address
		}
		if c.Category != "" {
			p.Category = c.Category
		}
		if c.Dept != "" {
			p.Dept = c.Dept
		}
		p.Support = withoutDept(p.Support, p.Dept)
		e.Dept = p.Dept
		p.Status, p.Reason = StatusNew, ""
		p.restartClock(now, c.SLA)
	case ActReopen:
		switch {
		case from == StatusResolved:
			// The reporter may reopen within the window, or later while
			// the "is this fixed?" question is still open.
			// "Unsatisfied" may be said as long as a rating may change:
			// until the problem closes.
			admin := c.Roles.Has(RoleVillageAdmin | RoleDeployAdmin)
			inWindow := !now.After(p.ResolvedAt.Add(c.ReopenWindow))
			if !admin && p.AskedAt.IsZero() && !inWindow && c.Rating == "" {
				return p, e, Errorf("pr_err_reopen_window", "N", p.ID)
			}
		case from == StatusClosed:
			if !c.Roles.Has(RoleVillageAdmin | RoleDeployAdmin) {
				return p, e, Errorf("pr_err_reopen_closed", "N", p.ID)
			}
		default:
			return p, e, wrongStatus(p, c.Action)
		}
		if c.Rating != "" {
			// "Unsatisfied" reopens with its reason and is recorded as the
			// rating; only those who may rate give it.
			if !c.Roles.Has(MayAct(ActRate)) {
				return p, e, forbidden(p, ActRate)
			}
			if !c.Rating.Valid() {
				return p, e, Errorf("pr_err_rating")
			}
			p.Rating, p.RatedAt, p.RatedBy = c.Rating, now, c.Name
		}
		e.Dept = p.Dept
		p.Status, p.ClosedAt, p.AskedAt = StatusReopened, time.Time{}, time.Time{}
		p.restartClock(now, c.SLA)
	case ActClose:
		admin := c.Roles.Has(RoleVillageAdmin | RoleDeployAdmin)
		switch {
		case from == StatusClosed:
			return p, e, wrongStatus(p, c.Action)
		case from == StatusResolved:
			// The reporter confirms the fix; admins and the sweep close.
		case admin:
			// A village admin withdraws a report filed by mistake.
		case from == StatusReturned && c.Roles.Has(RoleReporter):
			// The reporter withdraws instead of resubmitting.
		default:
			// A reporter confirms only a resolution, and the sweep
			// closes resolved items only.
			return p, e, wrongStatus(p, c.Action)
		}
		p.Status, p.ClosedAt = StatusClosed, now
	case ActSupport, ActUnsupport:
		if err := p.changeSupport(c); err != nil {
			return p, e, err
		}
		e.Dept = c.Dept
	case ActRate:
		if err := p.rate(c, now); err != nil {
			return p, e, err
		}
		// A rating may change until the problem closes: the buttons that
		// gave it stay valid, so the version stays.
		e.Note, e.To = string(c.Rating), p.Status
		return p, e, nil
	default:
		return p, e, Errorf("pr_err_unknown_action")
	}
	p.Version++
	e.To = p.Status
	return p, e, nil
}

// restartClock gives a (re)routed problem a fresh deadline and clears the
// escalation stage, so reminders and escalations start over.
func (p *Problem) restartClock(now time.Time, sla time.Duration) {
	if sla > 0 {
		p.SLA = sla
	}
	p.Due, p.Stage = now.Add(p.SLA), 0
}

func forbidden(p Problem, a Action) error {
	return Errorf("pr_err_forbidden", "N", p.ID, "Action", string(a))
}

func wrongStatus(p Problem, a Action) error {
	return Errorf("pr_err_status", "N", p.ID, "Status", string(p.Status), "Action", string(a))
}

// ValidateText checks a problem description.
func ValidateText(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return Errorf("pr_err_empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxReportText {
		return Errorf("pr_err_too_long", "Len", n, "Max", MaxReportText)
	}
	return nil
}

// StageAt is how far past its deadline a held problem is at now: -1 when
// it is not overdue (or not held), 0 once Due has passed, and k after k
// further SLA periods. Stage k ≥ 1 escalates k levels up the parents.
func (p *Problem) StageAt(now time.Time) int {
	if !p.Status.Held() || p.Due.IsZero() || now.Before(p.Due) {
		return -1
	}
	if p.SLA <= 0 {
		return 0
	}
	return int(now.Sub(p.Due) / p.SLA)
}

// Overdue reports whether a held problem is past its deadline.
func (p *Problem) Overdue(now time.Time) bool { return p.StageAt(now) >= 0 }

// Near reports whether q is within radius metres of p, when both have a
// location.
func (p *Problem) Near(lat, lon, radius float64) bool {
	return p.HasLoc && Distance(p.Lat, p.Lon, lat, lon) <= radius
}

// Distance is the great-circle distance in metres (haversine); plenty
// accurate at village scale.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// FinderID is who found the problem: the reporter, or the cadre before
// a hand-over.
func (p *Problem) FinderID() int64 {
	if p.FoundBy != 0 {
		return p.FoundBy
	}
	return p.Reporter
}

// FinderName is FinderID's name.
func (p *Problem) FinderName() string {
	if p.FoundBy != 0 {
		return p.FoundName
	}
	return p.ReporterName
}

// HandOver passes an open problem from its reporter to their successor
// in the village: they follow it up from now on (questions, "is this
// fixed?", reopening), while the finder stays on record for assessment.
// It changes no status, so the problem's buttons stay valid. note reads
// "old → new" in the history.
func HandOver(p Problem, to int64, toName string, by int64, byName, note string, now time.Time) (Problem, Entry) {
	if p.FoundBy == 0 {
		p.FoundBy, p.FoundName = p.Reporter, p.ReporterName
	}
	p.Reporter, p.ReporterName = to, toName
	return p, Entry{At: now, By: by, Name: byName, Action: ActHandover, Note: note}
}

// ProblemSet names a set of problems the store keeps an index of, newest
// first: what a list, a page of /problems or a digest reads.
type ProblemSet struct {
	Kind ProblemSetKind
	Dept string // SetDeptQueue, SetDept, SetSupportQueue, SetSupport
	Chat int64  // SetVillage, SetVillageOpen
	User int64  // SetUser
}

// ProblemSetKind is a kind of ProblemSet.
type ProblemSetKind int

// The kinds of problem sets.
const (
	SetAll          ProblemSetKind = iota // every problem of the deployment
	SetOpen                               // not resolved or closed
	SetDeptQueue                          // a department's queue: new, accepted, reopened
	SetDept                               // every problem a department holds or held last
	SetVillage                            // a village group's problems
	SetVillageOpen                        // a village group's unfinished problems
	SetUser                               // reported, joined with "me too", or taken on by a user
	SetSupportQueue                       // supported by a department and still worked on
	SetSupport                            // every problem a department supports
)

// AllProblems is every problem of the deployment.
var AllProblems = ProblemSet{Kind: SetAll}

// OpenProblems is every problem not resolved or closed.
var OpenProblems = ProblemSet{Kind: SetOpen}

// DeptQueue is a department's queue: new, accepted and reopened items.
func DeptQueue(dept string) ProblemSet { return ProblemSet{Kind: SetDeptQueue, Dept: dept} }

// DeptProblems is every problem a department holds or held last, in any
// status.
func DeptProblems(dept string) ProblemSet { return ProblemSet{Kind: SetDept, Dept: dept} }

// VillageProblems is a village group's problems; open keeps the
// unfinished.
func VillageProblems(chat int64, open bool) ProblemSet {
	if open {
		return ProblemSet{Kind: SetVillageOpen, Chat: chat}
	}
	return ProblemSet{Kind: SetVillage, Chat: chat}
}

// UserProblems is what a user reported, joined with "me too", or took on.
func UserProblems(user int64) ProblemSet { return ProblemSet{Kind: SetUser, User: user} }

// SupportQueue is what a department supports (协办) and still works on.
func SupportQueue(dept string) ProblemSet { return ProblemSet{Kind: SetSupportQueue, Dept: dept} }

// SupportedProblems is every problem a department supports, in any
// status.
func SupportedProblems(dept string) ProblemSet { return ProblemSet{Kind: SetSupport, Dept: dept} }
