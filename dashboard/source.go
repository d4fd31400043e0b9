package dashboard

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/digest"
	"cadrebot/send"
	"cadrebot/units"
)

// This file is the one adapter between the dashboard and the deployment:
// the unit tree of the digests (units.Tree, built by handlers'
// Digests.Tree from the config, the village groups' towns and the
// /leaders bindings), its village groups, and the configured departments
// with the problems they hold. Deployment admins see the whole
// deployment; members of a unit's leaders' group (config units[].chat_id
// or /leaders) see that unit's subtree; members of a department's group
// see that department. Every figure is digest's: Data.Unit, Data.Village
// and Data.Department over one load per period, ranked with RankUnits and
// RankVillages, as the leaders' digests and /stats compute and rank them.

// Store is what Deployment reads (store.DB).
type Store interface {
	AllGroups(ctx context.Context) ([]*cadrebot.Group, error)
	DepartmentChats(ctx context.Context) (map[string]int64, error)
	ChatMoves(ctx context.Context) (cadrebot.ChatMoves, error)
	CheckinPeriods(ctx context.Context, chats []int64, from, to calendar.Date) (map[int64]*attendance.Period, error)
	DigestProblems(ctx context.Context, since, from, to time.Time) ([]cadrebot.Problem, error)
	ProblemsCreated(ctx context.Context, from, to time.Time) ([]cadrebot.Problem, error)
	Problem(ctx context.Context, id int64) (cadrebot.Problem, error)
	History(ctx context.Context, id int64) ([]cadrebot.Entry, error)
}

// Members says who someone is in the deployment (bot.Auth, which caches
// Telegram's answers for a minute).
type Members interface {
	IsDeploymentAdmin(user int64) bool
	IsChatMember(ctx context.Context, chat, user int64) (bool, error)
}

// TreeOf builds the unit tree with the village groups of gs placed in it
// (handlers.Digests.Tree): the tree the digests, /stats and /export use.
type TreeOf func(ctx context.Context, gs []*cadrebot.Group, moves cadrebot.ChatMoves) (*units.Tree, error)

// ExportScope is what a unit's workbook covers, as /export decides it in
// a chat (handlers.ExportScope): the whole deployment, a unit's subtree, a
// village group's village, or a department's problems. Name goes in the
// file's name.
type ExportScope struct {
	All     bool
	Unit    *units.Unit
	Village *cadrebot.Group
	Dept    string
	Name    string
}

// Workbook builds the /export workbook of a scope (handlers.Digests.ExportFiles).
type Workbook func(ctx context.Context, s ExportScope, per digest.Period, lang string) (*send.File, error)

// memberChecks bounds the leaders' and department groups whose
// membership one viewer's request asks Telegram about at once.
const memberChecks = 8

// Deployment implements Hierarchy, Figures, Problems and Exporter over
// the deployment's unit tree, groups, config and problems.
type Deployment struct {
	Store    Store
	Members  Members
	Tree     TreeOf
	Cfg      *config.File
	Cal      *calendar.Calendar
	Loc      *time.Location // the deployment's zone: its weeks
	Now      func() time.Time
	Workbook Workbook
	// Fresh is how long one load serves every viewer: the groups and the
	// tree, a period's check-ins and problems, a trend (default 30s).
	// Pages say when their figures were taken.
	Fresh time.Duration

	mu    sync.Mutex
	loads map[string]*load
}

// load is one shared read: the first asker does it, the others wait.
type load struct {
	ready chan struct{}
	made  time.Time
	val   any
	err   error
}

// once returns what fn loads for key, loading it at most once per Fresh
// however many pages ask at the same time.
func (d *Deployment) once(ctx context.Context, key string, fn func() (any, error)) (any, error) {
	now := time.Now()
	fresh := d.Fresh
	if fresh <= 0 {
		fresh = 30 * time.Second
	}
	d.mu.Lock()
	if d.loads == nil {
		d.loads = map[string]*load{}
	}
	for k, l := range d.loads {
		select {
		case <-l.ready:
			if now.Sub(l.made) > fresh || l.err != nil {
				delete(d.loads, k)
			}
		default:
		}
	}
	l, ok := d.loads[key]
	if !ok {
		l = &load{ready: make(chan struct{}), made: now}
		d.loads[key] = l
	}
	d.mu.Unlock()
	if !ok {
		// The load outlives the first asker's request: the others wait
		// on it too.
		l.val, l.err = fn()
		close(l.ready)
	}
	select {
	case <-l.ready:
		return l.val, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// registry is the deployment's groups, tree and departments at one
// moment.
type registry struct {
	tree   *units.Tree
	groups map[int64]*cadrebot.Group
	// deptChats is every department's chat (config, /bind, migrations).
	deptChats map[string]int64
}

func (d *Deployment) registry(ctx context.Context) (*registry, error) {
	v, err := d.once(ctx, "registry", func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		gs, err := d.Store.AllGroups(ctx)
		if err != nil {
			return nil, err
		}
		bound, err := d.Store.DepartmentChats(ctx)
		if err != nil {
			return nil, err
		}
		moves, err := d.Store.ChatMoves(ctx)
		if err != nil {
			return nil, err
		}
		t, err := d.Tree(ctx, gs, moves)
		if err != nil {
			return nil, err
		}
		r := &registry{tree: t, groups: make(map[int64]*cadrebot.Group, len(gs)), deptChats: digest.DeptChats(d.Cfg, bound, moves)}
		for _, g := range gs {
			r.groups[g.ChatID] = g
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*registry), nil
}

func deploymentUnit() Unit { return Unit{Kind: KindDeployment} }

func treeUnit(u *units.Unit) Unit {
	if u == nil || u.ID == "" {
		return deploymentUnit()
	}
	return Unit{Kind: KindUnit, ID: u.ID, Name: u.Name, NameEn: u.NameEn}
}

func (r *registry) villageUnit(v units.Village) Unit {
	u := Unit{Kind: KindVillage, ID: strconv.FormatInt(v.Chat, 10), Name: v.Name}
	if g := r.groups[v.Chat]; g != nil {
		u.Lat, u.Lon = g.Lat, g.Lon
	}
	return u
}

func (d *Deployment) deptUnit(dep config.Department) Unit {
	return Unit{Kind: KindDept, ID: dep.ID, Name: dep.Name, NameEn: dep.NameEn}
}

// Roots: deployment admins see the deployment; members of a unit's
// leaders' group see that unit (a unit below another they see is not
// listed again); members of a department's group see the department
// (and only its problems). Memberships come from Telegram through
// Members, a few at once, each cached for a minute there.
func (d *Deployment) Roots(ctx context.Context, user int64) ([]Unit, error) {
	if d.Members.IsDeploymentAdmin(user) {
		return []Unit{deploymentUnit()}, nil
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	type cand struct {
		unit Unit
		chat int64
		in   bool
	}
	var cs []cand
	for _, u := range r.tree.Units() {
		if u.Chat != 0 {
			cs = append(cs, cand{unit: treeUnit(u), chat: u.Chat})
		}
	}
	for _, dep := range d.Cfg.Departments {
		if chat := r.deptChats[dep.ID]; chat != 0 {
			cs = append(cs, cand{unit: d.deptUnit(dep), chat: chat})
		}
	}
	sem := make(chan struct{}, memberChecks)
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i := range cs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cs[i].in, errs[i] = d.Members.IsChatMember(ctx, cs[i].chat, user)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Unit
	for _, c := range cs {
		if !c.in {
			continue
		}
		// A town's leader who also leads its county sees the county,
		// which holds the town.
		if c.unit.Kind == KindUnit && slices.ContainsFunc(cs, func(o cand) bool {
			return o.in && o.unit.Kind == KindUnit && o.unit.ID != c.unit.ID && r.above(o.unit.ID, c.unit.ID)
		}) {
			continue
		}
		out = append(out, c.unit)
	}
	return out, nil
}

// above reports whether unit a lies above unit b in the tree.
func (r *registry) above(a, b string) bool {
	for u := r.tree.Unit(b); u != nil && u.ID != ""; u = r.tree.Unit(u.Parent) {
		if u.Parent == a {
			return true
		}
	}
	return false
}

// OfChat is the unit whose leaders' group chat is, else the first
// department whose group it is; ok is false for any other chat.
func (d *Deployment) OfChat(ctx context.Context, chat int64) (Unit, bool, error) {
	r, err := d.registry(ctx)
	if err != nil {
		return Unit{}, false, err
	}
	if u := r.tree.Leading(chat); u != nil {
		return treeUnit(u), true, nil
	}
	for _, id := range digest.DeptsOfChat(d.Cfg, r.deptChats, chat) {
		if dep, ok := d.Cfg.Department(id); ok {
			return d.deptUnit(dep), true, nil
		}
	}
	return Unit{}, false, nil
}

// Path: the units of the tree from the top down to a unit or a village
// group; a department below the deployment.
func (d *Deployment) Path(ctx context.Context, key string) ([]Unit, error) {
	kind, id, ok := ParseKey(key)
	if !ok {
		return nil, cadrebot.ErrNotFound
	}
	top := deploymentUnit()
	switch kind {
	case KindDeployment:
		return []Unit{top}, nil
	case KindDept:
		dep, ok := d.Cfg.Department(id)
		if !ok {
			return nil, cadrebot.ErrNotFound
		}
		return []Unit{top, d.deptUnit(dep)}, nil
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	var above []*units.Unit // nearest first
	var last Unit
	switch kind {
	case KindUnit:
		u := r.tree.Unit(id)
		if u == nil || u.ID == "" {
			return nil, cadrebot.ErrNotFound
		}
		last = treeUnit(u)
		for p := r.tree.Unit(u.Parent); p != nil && p.ID != ""; p = r.tree.Unit(p.Parent) {
			above = append(above, p)
		}
	case KindVillage:
		chat, err := strconv.ParseInt(id, 10, 64)
		if err != nil || !r.tree.Contains("", chat) {
			return nil, cadrebot.ErrNotFound
		}
		g := r.groups[chat]
		last = r.villageUnit(units.Village{Chat: chat, Name: digest.VillageName(g.Village, g.Title)})
		above = r.tree.Above(chat)
	default:
		return nil, cadrebot.ErrNotFound
	}
	out := []Unit{top}
	for i := len(above) - 1; i >= 0; i-- {
		out = append(out, treeUnit(above[i]))
	}
	return append(out, last), nil
}

// Below: the units directly below a unit (or the deployment) in the
// tree's order, then the village groups directly below it by name; below
// the deployment, the departments in config order too.
func (d *Deployment) Below(ctx context.Context, u Unit) ([]Unit, error) {
	if u.Kind != KindDeployment && u.Kind != KindUnit {
		return nil, nil
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	var out []Unit
	for _, c := range r.tree.Children(u.ID) {
		out = append(out, treeUnit(c))
	}
	for _, v := range r.tree.DirectVillages(u.ID) {
		out = append(out, r.villageUnit(v))
	}
	if u.Kind == KindDeployment {
		for _, dep := range d.Cfg.Departments {
			out = append(out, d.deptUnit(dep))
		}
	}
	return out, nil
}

// Holds: a village group's problems are its own and every unit's above
// it; a department holds what it leads or supports (协办).
func (d *Deployment) Holds(ctx context.Context, u Unit, p *cadrebot.Problem) (bool, error) {
	switch u.Kind {
	case KindDeployment:
		return true, nil
	case KindDept:
		return p.Dept == u.ID || p.Supports(u.ID), nil
	case KindVillage:
		return strconv.FormatInt(p.VillageChat, 10) == u.ID, nil
	case KindUnit:
		r, err := d.registry(ctx)
		if err != nil {
			return false, err
		}
		return r.tree.Contains(u.ID, p.VillageChat), nil
	}
	return false, nil
}

// villageChats lists the village groups of an area unit's subtree.
func (r *registry) villageChats(u Unit) []int64 {
	var vs []units.Village
	switch u.Kind {
	case KindDeployment, KindUnit:
		vs = r.tree.Villages(u.ID)
	case KindVillage:
		if chat, err := strconv.ParseInt(u.ID, 10, 64); err == nil && r.tree.Contains("", chat) {
			return []int64{chat}
		}
	}
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Chat
	}
	return out
}

// periodData is a period's data for every unit at once, with the tree it
// was computed over (digest.Data.Unit takes one tree per Data).
type periodData struct {
	reg  *registry
	data *digest.Data
}

// data loads what the figures of per read: every village group's
// check-ins and service, the problems reported or resolved in per and
// every open one, as the leaders' digests and /stats load them.
func (d *Deployment) data(ctx context.Context, per digest.Period) (*periodData, error) {
	key := "period|" + per.ID() + "|" + per.From.String() + "|" + per.To.String() + "|" + per.Loc.String()
	v, err := d.once(ctx, key, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		r, err := d.registry(ctx)
		if err != nil {
			return nil, err
		}
		// The two reads go on separate connections at once: each is a
		// few pipelined round trips whose replies take a while to decode.
		var ck map[int64]*attendance.Period
		var ps []cadrebot.Problem
		err = both(func() (err error) {
			ck, err = d.Store.CheckinPeriods(ctx, r.villageChats(deploymentUnit()), per.From, per.To)
			return err
		}, func() (err error) {
			ps, err = d.Store.DigestProblems(ctx, per.Start(), per.Start(), per.End())
			return err
		})
		if err != nil {
			return nil, err
		}
		return &periodData{reg: r, data: &digest.Data{Period: per, Now: d.Now(), Checkins: ck, Problems: ps}}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*periodData), nil
}

// both runs a and b at once and returns their errors joined.
func both(a, b func() error) error {
	var wg sync.WaitGroup
	var errB error
	wg.Go(func() { errB = b() })
	errA := a()
	wg.Wait()
	return errors.Join(errA, errB)
}

// Rows computes each unit's figures with digest.Data, as the leaders'
// digests and /stats compute them.
func (d *Deployment) Rows(ctx context.Context, us []Unit, per digest.Period) ([]Row, error) {
	pd, err := d.data(ctx, per)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(us))
	for i, u := range us {
		out[i] = d.row(pd.data, pd.reg, u)
	}
	return out, nil
}

// League computes u's figures and those of the units and village groups
// directly below it, or with villages every village group of its
// subtree, ranked as its leaders' digest ranks them: units with
// digest.RankUnits, then village groups with digest.RankVillages.
func (d *Deployment) League(ctx context.Context, u Unit, villages bool, per digest.Period) (Row, []Row, error) {
	pd, err := d.data(ctx, per)
	if err != nil {
		return Row{}, nil, err
	}
	data, r := pd.data, pd.reg
	own := d.row(data, r, u)
	if u.Kind != KindDeployment && u.Kind != KindUnit {
		return own, nil, nil
	}
	var rows []Row
	var vs []digest.Village
	if villages {
		vs = data.Unit(r.tree, u.ID, d.Cal).Villages
	} else {
		for _, f := range digest.RankUnits(data.Children(r.tree, u.ID, d.Cal)) {
			rows = append(rows, unitRow(treeUnit(f.Unit), f))
		}
		for _, v := range r.tree.DirectVillages(u.ID) {
			vs = append(vs, data.Village(v.Chat, v.Name, d.Cal))
		}
	}
	for _, v := range digest.RankVillages(vs) {
		rows = append(rows, villageRow(r.villageUnit(units.Village{Chat: v.Chat, Name: v.Name}), v))
	}
	return own, rows, nil
}

// unitRow is a unit's (or the deployment's) figures as a row.
func unitRow(u Unit, f digest.UnitFigures) Row {
	row := Row{Unit: u, Checkin: Ratio{f.Rates.Present, f.Rates.Expected}, Villages: len(f.Villages)}
	row.activity(f.Activity)
	return row
}

// villageRow is a village group's figures as a row.
func villageRow(u Unit, v digest.Village) Row {
	row := Row{Unit: u, Checkin: Ratio{v.Rates.Present, v.Rates.Expected}, Villages: 1}
	row.activity(v.Activity)
	return row
}

func (row *Row) activity(a digest.Activity) {
	row.Fig, row.OnTime = a.Fig, Ratio{a.Fig.OnTime, a.Fig.OnTimeOf}
	row.Satisfaction = Ratio{a.Fig.Satisfied, a.Fig.Rated}
	row.Open, row.Overdue = len(a.Open), len(a.Overdue)
}

func (d *Deployment) row(data *digest.Data, r *registry, u Unit) Row {
	switch u.Kind {
	case KindDeployment, KindUnit:
		return unitRow(u, data.Unit(r.tree, u.ID, d.Cal))
	case KindVillage:
		chat, err := strconv.ParseInt(u.ID, 10, 64)
		if err != nil || !r.tree.Contains("", chat) {
			return Row{Unit: u}
		}
		g := r.groups[chat]
		return villageRow(u, data.Village(chat, digest.VillageName(g.Village, g.Title), d.Cal))
	case KindDept:
		// As the department's digest and the county digest's line: the
		// on-time and satisfaction rates over what it resolved in the
		// period and what it holds.
		dep := data.Department(u.ID)
		return Row{Unit: u, Fig: dep.Fig, OnTime: Ratio{dep.Work.OnTime, dep.Work.OnTimeOf},
			Satisfaction: Ratio{dep.Work.Satisfied, dep.Work.Rated}, Open: len(dep.Open), Overdue: len(dep.Overdue)}
	}
	return Row{Unit: u}
}

// Trend computes u's check-in and resolution rates week by week from one
// load: the check-ins of u's village groups over the weeks and the
// problems reported in them. Each week's resolution rate is that week's
// reports as they stand now, what a /stats of that week would say today.
// Open and Overdue are left zero: they are figures of now, not of a week.
func (d *Deployment) Trend(ctx context.Context, u Unit, weeks []digest.Period) ([]Row, error) {
	if len(weeks) == 0 {
		return nil, nil
	}
	first, last := weeks[0], weeks[len(weeks)-1]
	key := "trend|" + u.Key() + "|" + first.From.String() + "|" + last.To.String() + "|" + first.Loc.String()
	v, err := d.once(ctx, key, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		r, err := d.registry(ctx)
		if err != nil {
			return nil, err
		}
		var ck map[int64]*attendance.Period
		var ps []cadrebot.Problem
		err = both(func() (err error) {
			ck, err = d.Store.CheckinPeriods(ctx, r.villageChats(u), first.From, last.To)
			return err
		}, func() (err error) {
			ps, err = d.Store.ProblemsCreated(ctx, first.Start(), last.End())
			return err
		})
		if err != nil {
			return nil, err
		}
		now := d.Now()
		out := make([]Row, len(weeks))
		for i, w := range weeks {
			// The year bitmaps and the service periods are shared; only
			// the window moves.
			sub := make(map[int64]*attendance.Period, len(ck))
			for c, p := range ck {
				q := *p
				q.From, q.To = w.From, w.To
				sub[c] = &q
			}
			out[i] = d.row(&digest.Data{Period: w, Now: now, Checkins: sub, Problems: ps}, r, u)
			out[i].Open, out[i].Overdue = 0, 0
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]Row), nil
}

// Open lists u's open problems from this week's load: every open problem
// is in it whatever the period.
func (d *Deployment) Open(ctx context.Context, u Unit) ([]cadrebot.Problem, error) {
	today := calendar.DateOf(d.Now().In(d.Loc))
	per, _ := digest.WeekOf(today, d.Loc).Upto(today)
	pd, err := d.data(ctx, per)
	if err != nil {
		return nil, err
	}
	var open digest.Set
	switch u.Kind {
	case KindDeployment, KindUnit:
		open = pd.data.Unit(pd.reg.tree, u.ID, d.Cal).Open
	case KindVillage:
		if chat, err := strconv.ParseInt(u.ID, 10, 64); err == nil {
			open = pd.data.Village(chat, u.Name, d.Cal).Open
		}
	case KindDept:
		open = pd.data.Department(u.ID).Open
	}
	return open.Values(), nil
}

// Problem loads a problem and its history.
func (d *Deployment) Problem(ctx context.Context, id int64) (cadrebot.Problem, []cadrebot.Entry, error) {
	p, err := d.Store.Problem(ctx, id)
	if err != nil {
		return p, nil, err
	}
	h, err := d.Store.History(ctx, id)
	return p, h, err
}

// Export builds u's workbook as /export builds it: the deployment's as a
// deployment admin's, a unit's as its leaders' group's, a village
// group's or department's as its group admin's.
func (d *Deployment) Export(ctx context.Context, u Unit, per digest.Period, lang string) (*send.File, error) {
	switch u.Kind {
	case KindDeployment:
		return d.Workbook(ctx, ExportScope{All: true, Name: "all"}, per, lang)
	case KindDept:
		return d.Workbook(ctx, ExportScope{Dept: u.ID, Name: "dept-" + u.ID}, per, lang)
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	switch u.Kind {
	case KindUnit:
		tu := r.tree.Unit(u.ID)
		if tu == nil {
			return nil, cadrebot.ErrNotFound
		}
		return d.Workbook(ctx, ExportScope{Unit: tu, Name: fileName(tu.Label(lang))}, per, lang)
	case KindVillage:
		chat, _ := strconv.ParseInt(u.ID, 10, 64)
		g := r.groups[chat]
		if g == nil || !g.IsVillage() {
			return nil, cadrebot.ErrNotFound
		}
		return d.Workbook(ctx, ExportScope{Village: g, Name: "village-" + strings.TrimPrefix(u.ID, "-")}, per, lang)
	}
	return nil, cadrebot.ErrNotFound
}

// fileName keeps a unit's name usable in a file's name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, s)
}
