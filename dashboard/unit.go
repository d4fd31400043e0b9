package dashboard

import (
	"context"
	"strings"

	"cadrebot"
	"cadrebot/digest"
	"cadrebot/send"
)

// Kind is what a unit is.
type Kind string

// The kinds of unit. Their letters start unit keys in URLs.
const (
	KindDeployment Kind = "d" // the whole deployment, the root of the unit tree
	KindUnit       Kind = "u" // a unit of the tree: a city, a county or district, a town or street
	KindVillage    Kind = "v" // one village group
	KindDept       Kind = "p" // a department and the problems it holds
)

// Unit is a part of the hierarchy a leader looks at.
type Unit struct {
	Kind Kind
	// ID is "" for the deployment, the unit's id in the tree (a config
	// id, or "t:" and the name of a town only /setup named), the village
	// group's chat id, or the department's id.
	ID string
	// Name is what the page shows; "" for the deployment, which the page
	// names in the viewer's language.
	Name string
	// NameEn is the English name where the deployment gives one (units'
	// and departments' name_en).
	NameEn string
	// Lat and Lon place a village group on the map (/setvillage, config
	// villages); both zero when unknown.
	Lat, Lon float64
}

// Key names the unit in URLs: "d:", "u:keqiao", "u:t:平水镇",
// "v:-1001000000101", "p:traffic".
func (u Unit) Key() string { return string(u.Kind) + ":" + u.ID }

// ParseKey splits a unit key; ok is false for a malformed one.
func ParseKey(key string) (k Kind, id string, ok bool) {
	kind, id, found := strings.Cut(key, ":")
	switch Kind(kind) {
	case KindDeployment:
		return KindDeployment, "", found && id == ""
	case KindUnit, KindVillage, KindDept:
		return Kind(kind), id, found && id != "" && len(id) <= 200
	}
	return "", "", false
}

// Hierarchy is the unit tree as the dashboard needs it: who may see
// what, and what lies below what. Deployment (source.go) implements it
// over the digests' unit tree.
type Hierarchy interface {
	// Roots lists the highest units user may see, and so everything
	// below them; none means no access.
	Roots(ctx context.Context, user int64) ([]Unit, error)
	// OfChat is the unit a group stands for: the unit whose leaders'
	// group it is, or its department; ok is false for any other chat.
	OfChat(ctx context.Context, chat int64) (u Unit, ok bool, err error)
	// Path resolves a unit key to the unit and the units above it, the
	// top first and the unit last; cadrebot.ErrNotFound when there is no
	// such unit.
	Path(ctx context.Context, key string) ([]Unit, error)
	// Below lists the units directly below u, in a stable order: the
	// units of the tree, then its village groups (and the departments
	// below the deployment); none below a village or a department.
	Below(ctx context.Context, u Unit) ([]Unit, error)
	// Holds reports whether problem p belongs to u.
	Holds(ctx context.Context, u Unit, p *cadrebot.Problem) (bool, error)
}

// Figures computes the figures of units with the code of the digests and
// /stats.
type Figures interface {
	// Rows computes the figures of each unit over per, as of now, in the
	// order given.
	Rows(ctx context.Context, us []Unit, per digest.Period) ([]Row, error)
	// League computes u's own figures and those below it, ranked as u's
	// digest ranks them: the units and village groups directly below,
	// or with villages every village group of its subtree.
	League(ctx context.Context, u Unit, villages bool, per digest.Period) (own Row, below []Row, err error)
	// Trend computes u's figures over each of weeks, in order.
	Trend(ctx context.Context, u Unit, weeks []digest.Period) ([]Row, error)
}

// Problems reads a unit's problems.
type Problems interface {
	// Open lists the problems of u not resolved or closed, as of now.
	Open(ctx context.Context, u Unit) ([]cadrebot.Problem, error)
	// Problem loads one problem and its history; cadrebot.ErrNotFound
	// when there is none.
	Problem(ctx context.Context, id int64) (cadrebot.Problem, []cadrebot.Entry, error)
}

// Exporter builds the /export workbook of a unit over a period.
type Exporter interface {
	Export(ctx context.Context, u Unit, per digest.Period, lang string) (*send.File, error)
}

// Ratio is a rate's numerator and denominator, shown with
// cadrebot.Percent like every rate the bot prints.
type Ratio struct{ Num, Den int }

// Percent is the ratio as the digests show it: "87.5%", or "—" over
// nothing.
func (r Ratio) Percent() string { return cadrebot.Percent(r.Num, r.Den) }

// Value is the ratio in [0, 1]; ok is false over nothing.
func (r Ratio) Value() (float64, bool) {
	if r.Den <= 0 {
		return 0, false
	}
	return float64(r.Num) / float64(r.Den), true
}

// Row is one unit's figures over a period: a line of the league table, a
// point of the trend.
type Row struct {
	Unit Unit
	// Checkin is the check-in rate (打卡率): present over expected
	// workdays in service of the unit's cadres (attendance.Rates).
	// Departments have none (Den 0).
	Checkin  Ratio
	Villages int // village groups in the unit
	// Fig is over the problems reported in the period, as of now: Done
	// of Total is the resolution rate (办结率).
	Fig cadrebot.Figures
	// OnTime is the on-time rate (按期办结率): Fig's for villages, units
	// and the deployment; for a department its digest's, over what it
	// resolved in the period and what sits overdue in its queue.
	OnTime Ratio
	// Satisfaction is the satisfaction rate (满意率): satisfied over
	// rated, of Fig's problems, or a department's Work as its digest
	// counts it.
	Satisfaction Ratio
	// Open and Overdue count the unit's problems not resolved or closed,
	// and those held past their deadline, as of now.
	Open, Overdue int
}
