package cadrebot

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A project (项目) is what a village builds with its resident cadre:
// extending a children's park car park, camp-site facilities, a 共富工坊.
// It has a lead cadre and milestones with due dates; the cadres add
// progress notes (text and photos) and mark milestones done, the lead is
// reminded before each is due, and the village group is told when one
// slips.

// Limits of what a project holds; each is shown on one message.
const (
	MaxProjectName = 60
	MaxProjectDesc = 1000
	MaxBudget      = 40
	MaxMilestones  = 20
	MaxMilestone   = 60 // a milestone's name
	MaxProgress    = 2000
)

// Milestone is one dated step of a project.
type Milestone struct {
	Name string
	// Due is midnight at the start of the due day in the village's zone:
	// the milestone is due during that day and overdue from the next.
	Due    time.Time
	DoneAt time.Time
	DoneBy string
}

// Done reports whether the milestone was marked done.
func (m Milestone) Done() bool { return !m.DoneAt.IsZero() }

// End is when the due day ends: from then on an open milestone is
// overdue. China keeps no daylight saving, so a day is 24 hours.
func (m Milestone) End() time.Time { return m.Due.Add(24 * time.Hour) }

// Overdue reports whether the milestone is open past its due day at now.
func (m Milestone) Overdue(now time.Time) bool { return !m.Done() && !now.Before(m.End()) }

// Project is one village project.
type Project struct {
	ID      int64
	Version int64 // bumped by every change of its milestones; buttons carry it

	VillageChat int64
	Village     string // the village as reports name it
	Town        string // the town (乡镇) the village belonged to at creation

	Name     string
	Desc     string
	Lead     int64 // the lead cadre, reminded privately
	LeadName string
	Budget   string // as the cadre wrote it ("50万元"); "" for none

	Milestones []Milestone

	Created     time.Time
	CreatedBy   int64
	CreatorName string
	// DoneAt is when the last milestone was marked done.
	DoneAt time.Time
	// Notes counts the progress notes; LastNote is the latest one's time.
	Notes    int
	LastNote time.Time
}

// Done reports whether every milestone is done.
func (p *Project) Done() bool { return !p.DoneAt.IsZero() }

// Progress counts the milestones done and all of them.
func (p *Project) Progress() (done, total int) {
	for _, m := range p.Milestones {
		if m.Done() {
			done++
		}
	}
	return done, len(p.Milestones)
}

// Next is the index of the earliest open milestone, or -1.
func (p *Project) Next() int {
	next := -1
	for i, m := range p.Milestones {
		if !m.Done() && (next < 0 || m.Due.Before(p.Milestones[next].Due)) {
			next = i
		}
	}
	return next
}

// Overdue lists the indexes of the milestones overdue at now.
func (p *Project) Overdue(now time.Time) []int {
	var out []int
	for i, m := range p.Milestones {
		if m.Overdue(now) {
			out = append(out, i)
		}
	}
	return out
}

// ProjectAction is something that happens to a project; each is one line
// of its history.
type ProjectAction string

// The project actions.
const (
	PjCreate   ProjectAction = "create"
	PjNote     ProjectAction = "note"     // a progress note, maybe with photos
	PjDone     ProjectAction = "done"     // a milestone marked done
	PjComplete ProjectAction = "complete" // the last milestone done
	PjRemind   ProjectAction = "remind"   // the lead reminded of a milestone
	PjOverdue  ProjectAction = "overdue"  // the group told a milestone slipped
)

// ProjectEntry is one line of a project's append-only history.
type ProjectEntry struct {
	At     time.Time     `json:"at"`
	By     int64         `json:"by,omitempty"`
	Name   string        `json:"name,omitempty"`
	Action ProjectAction `json:"act"`
	Note   string        `json:"note,omitempty"`
	// Milestone is the milestone's index plus one; 0 for none.
	Milestone int `json:"ms,omitempty"`
	// Photos of a progress note: the store keeps them beside the history
	// (the rest of an album joins them later), so they are not in the
	// JSON.
	Photos []string `json:"-"`
}

// CompleteMilestone marks milestone i of p done by name at now, and the
// project done with its last milestone. It is pure: the store makes it
// atomic against the version, the handlers decide who may.
func CompleteMilestone(p Project, i int, name string, now time.Time) (Project, []ProjectEntry, error) {
	if i < 0 || i >= len(p.Milestones) {
		return p, nil, Errorf("pj_err_no_milestone", "N", p.ID)
	}
	if p.Milestones[i].Done() {
		return p, nil, Errorf("pj_err_milestone_done", "N", p.ID, "Milestone", p.Milestones[i].Name)
	}
	p.Milestones = slices.Clone(p.Milestones)
	p.Milestones[i].DoneAt, p.Milestones[i].DoneBy = now, name
	p.Version++
	es := []ProjectEntry{{At: now, Name: name, Action: PjDone, Milestone: i + 1, Note: p.Milestones[i].Name}}
	if done, total := p.Progress(); done == total {
		p.DoneAt = now
		es = append(es, ProjectEntry{At: now, Name: name, Action: PjComplete})
	}
	return p, es, nil
}

// ValidateProject checks what the /project dialog collected.
func ValidateProject(p *Project) error {
	if err := CheckProjectText("pj_err_name", p.Name, MaxProjectName, true); err != nil {
		return err
	}
	if err := CheckProjectText("pj_err_desc", p.Desc, MaxProjectDesc, false); err != nil {
		return err
	}
	if err := CheckProjectText("pj_err_budget", p.Budget, MaxBudget, false); err != nil {
		return err
	}
	switch n := len(p.Milestones); {
	case n == 0:
		return Errorf("pj_err_no_milestones")
	case n > MaxMilestones:
		return Errorf("pj_err_many_milestones", "Max", MaxMilestones)
	}
	if p.Lead == 0 {
		return Errorf("pj_err_no_lead")
	}
	return nil
}

// CheckProjectText checks one typed field: required or not, at most max
// characters. id names the error, which says which field and its limit.
func CheckProjectText(id, s string, max int, required bool) error {
	s = strings.TrimSpace(s)
	if s == "" && required {
		return Errorf(id, "Max", max, "Len", 0)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(id, "Max", max, "Len", n)
	}
	return nil
}

// ParseProjectID reads a project number written "P3", "p3", "#P3", "#3"
// or "3".
func ParseProjectID(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "P"), "p")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// Dates a milestone line may carry: 2026-03-15, 2026/3/15, 2026.3.15,
// 2026年3月15日, or without the year 3-15, 3/15, 3月15日.
var (
	fullDateRE  = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?`)
	shortDateRE = regexp.MustCompile(`(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?`)
)

// ParseMilestones reads milestones typed one per line, each a date and a
// name in either order: "2026-03-15 完成设计" or "招标 4月1日". A date
// without a year is the next such day on or after today. today is
// midnight of the current day in the village's zone; no milestone may be
// due before it. A bad line is refused with its number, and none of the
// message's lines is taken.
func ParseMilestones(text string, today time.Time) ([]Milestone, error) {
	var out []Milestone
	n := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n++
		m, err := parseMilestone(line, today)
		if err != nil {
			err.Args["Line"] = n
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, Errorf("pj_err_milestone_format", "Line", 1, "Text", "")
	}
	return out, nil
}

func parseMilestone(line string, today time.Time) (Milestone, *Error) {
	bad := func(id string) *Error { return Errorf(id, "Line", 0, "Text", line, "Max", MaxMilestone) }
	loc := today.Location()
	var y, mo, d int
	loc0 := fullDateRE.FindStringSubmatchIndex(line)
	if loc0 != nil {
		y, _ = strconv.Atoi(line[loc0[2]:loc0[3]])
		mo, _ = strconv.Atoi(line[loc0[4]:loc0[5]])
		d, _ = strconv.Atoi(line[loc0[6]:loc0[7]])
	} else if loc0 = shortDateRE.FindStringSubmatchIndex(line); loc0 != nil {
		mo, _ = strconv.Atoi(line[loc0[2]:loc0[3]])
		d, _ = strconv.Atoi(line[loc0[4]:loc0[5]])
		y = today.Year()
		if c := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc); mo >= 1 && mo <= 12 && c.Before(today) {
			y++
		}
	} else {
		return Milestone{}, bad("pj_err_milestone_format")
	}
	due := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc)
	if mo < 1 || mo > 12 || d < 1 || due.Day() != d {
		return Milestone{}, bad("pj_err_milestone_date")
	}
	if due.Before(today) {
		return Milestone{}, bad("pj_err_milestone_past")
	}
	name := strings.TrimSpace(line[:loc0[0]] + " " + line[loc0[1]:])
	name = strings.Trim(name, " ：:，,、-—")
	if name == "" {
		return Milestone{}, bad("pj_err_milestone_format")
	}
	if utf8.RuneCountInString(name) > MaxMilestone {
		return Milestone{}, bad("pj_err_milestone_long")
	}
	return Milestone{Name: name, Due: due}, nil
}

// SortMilestones orders milestones by due date, keeping the typed order
// among those due the same day.
func SortMilestones(ms []Milestone) {
	slices.SortStableFunc(ms, func(a, b Milestone) int { return a.Due.Compare(b.Due) })
}

// ProjectSet names a set of projects the store keeps an index of.
type ProjectSet struct {
	Kind ProjectSetKind
	Chat int64 // ProjectsOfVillage
	User int64 // ProjectsOfLead
}

// ProjectSetKind is a kind of ProjectSet.
type ProjectSetKind int

// The kinds of project sets.
const (
	ProjectsAll       ProjectSetKind = iota // every project
	ProjectsOpen                            // not completed
	ProjectsOfVillage                       // a village group's
	ProjectsOfLead                          // those a cadre leads
)

// AllProjects is every project; OpenProjects those not completed.
var (
	AllProjects  = ProjectSet{Kind: ProjectsAll}
	OpenProjects = ProjectSet{Kind: ProjectsOpen}
)

// VillageProjects is a village group's projects.
func VillageProjects(chat int64) ProjectSet { return ProjectSet{Kind: ProjectsOfVillage, Chat: chat} }

// ProjectsLedBy is the projects a cadre leads.
func ProjectsLedBy(user int64) ProjectSet { return ProjectSet{Kind: ProjectsOfLead, User: user} }
