package cadrebot

import (
	"slices"
	"time"
)

// Joint handling (主办 + 协办): a problem has one lead department, which
// accepts, returns and resolves it, and any number of supporting
// departments, which get a card of their own and add progress notes. The
// lead adds and removes them; a category can name some from the start.

// MaxSupport bounds the supporting departments of one problem: each gets
// a card, and a card's picker lists them all.
const MaxSupport = 8

// Supports reports whether dept supports p.
func (p *Problem) Supports(dept string) bool { return slices.Contains(p.Support, dept) }

// changeSupport adds (ActSupport) or removes (ActUnsupport) c.Dept.
// Only while a department holds the problem: afterwards nobody has
// anything left to do, and a returned problem waits for its reporter.
func (p *Problem) changeSupport(c Change) error {
	if !p.Status.Held() {
		return wrongStatus(*p, c.Action)
	}
	switch {
	case c.Dept == "":
		return Errorf("pr_err_dept_required", "N", p.ID)
	case c.Dept == p.Dept:
		return Errorf("pr_err_support_lead", "N", p.ID)
	case c.Action == ActSupport && p.Supports(c.Dept):
		return Errorf("pr_err_support_already", "N", p.ID)
	case c.Action == ActUnsupport && !p.Supports(c.Dept):
		return Errorf("pr_err_support_not", "N", p.ID)
	case c.Action == ActSupport && len(p.Support) >= MaxSupport:
		return Errorf("pr_err_support_many", "N", p.ID, "Max", MaxSupport)
	}
	if c.Action == ActSupport {
		p.Support = append(slices.Clone(p.Support), c.Dept)
	} else {
		p.Support = withoutDept(p.Support, c.Dept)
	}
	return nil
}

// withoutDept returns ds without dept, as a new slice (nil when empty).
func withoutDept(ds []string, dept string) []string {
	var out []string
	for _, d := range ds {
		if d != dept {
			out = append(out, d)
		}
	}
	return out
}

// SupportOf returns the supporting departments a category names, without
// its lead and without repeats: what a new problem of it starts with.
func SupportOf(lead string, support []string) []string {
	var out []string
	for _, d := range support {
		if d != lead && d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Noted reports when supporting department dept last added a progress
// note to p, and whether it ever did: the cards show who did their part.
func (p *Problem) Noted(dept string) (time.Time, bool) {
	t, ok := p.SupportNoted[dept]
	return t, ok && !t.IsZero()
}
