package dashboard

import (
	"cmp"
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
)

// This file is the one adapter between the dashboard and the deployment
// as it is today: the deployment (every village group), towns as the town
// each village group named in /setup, village groups, and the configured
// departments with the problems they hold. Deployment admins see the
// deployment; members of a department's group see that department. Town
// leaders have no group of their own yet, so a town is reached from the
// deployment; a unit tree with a leaders' group per unit replaces this
// file (Roots, Path and Below), while the figures stay digest's.

// Store is what Deployment reads (store.DB).
type Store interface {
	GroupIDs(ctx context.Context) ([]int64, error)
	Groups(ctx context.Context, chats []int64) ([]*cadrebot.Group, error)
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

// Workbook builds the /export workbook of the whole deployment (all), or
// of village groups and departments (handlers.Digests.ExportFiles); name
// goes in the file's name.
type Workbook func(ctx context.Context, all bool, villages []digest.VillageRef, depts []string, per digest.Period, lang, name string) (*send.File, error)

// ResolvedLookback is how far before the period before a department's
// figures look for problems resolved in the period, as the digests do
// (handlers.ResolvedLookback).
const ResolvedLookback = 90 * 24 * time.Hour

// Deployment implements Hierarchy, Figures, Problems and Exporter over
// the deployment's groups, config and problems.
type Deployment struct {
	Store    Store
	Members  Members
	Cfg      *config.File
	Cal      *calendar.Calendar
	Loc      *time.Location // the deployment's zone: its weeks
	Now      func() time.Time
	Workbook Workbook
	// Fresh is how long one load serves every viewer: the group registry,
	// a period's check-ins and problems, a trend (default 30s). Pages say
	// when their figures were taken.
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

// registry is the deployment's groups and departments at one moment.
type registry struct {
	groups map[int64]*cadrebot.Group
	// towns lists the towns in order, "" (villages that named none) last;
	// byTown their village groups by name.
	towns  []string
	byTown map[string][]digest.VillageRef
	all    []digest.VillageRef
	// deptChats is every department's chat (config, /bind, migrations).
	deptChats map[string]int64
}

func (d *Deployment) registry(ctx context.Context) (*registry, error) {
	v, err := d.once(ctx, "registry", func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		ids, err := d.Store.GroupIDs(ctx)
		if err != nil {
			return nil, err
		}
		gs, err := d.Store.Groups(ctx, ids)
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
		r := &registry{groups: make(map[int64]*cadrebot.Group, len(gs)), byTown: map[string][]digest.VillageRef{},
			deptChats: digest.DeptChats(d.Cfg, bound, moves)}
		for _, g := range gs {
			r.groups[g.ChatID] = g
			if g.IsVillage() {
				ref := digest.VillageRef{Chat: g.ChatID, Name: digest.VillageName(g.Village, g.Title)}
				r.byTown[g.Town] = append(r.byTown[g.Town], ref)
			}
		}
		for t, vs := range r.byTown {
			slices.SortFunc(vs, func(a, b digest.VillageRef) int {
				return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Chat, b.Chat))
			})
			r.towns = append(r.towns, t)
		}
		slices.SortFunc(r.towns, func(a, b string) int {
			if (a == "") != (b == "") {
				return cmp.Compare(b, a) // "" last
			}
			return cmp.Compare(a, b)
		})
		for _, t := range r.towns {
			r.all = append(r.all, r.byTown[t]...)
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*registry), nil
}

func deploymentUnit() Unit { return Unit{Kind: KindDeployment} }

func townUnit(name string) Unit { return Unit{Kind: KindTown, ID: name, Name: name} }

func (r *registry) villageUnit(v digest.VillageRef) Unit {
	u := Unit{Kind: KindVillage, ID: strconv.FormatInt(v.Chat, 10), Name: v.Name}
	if g := r.groups[v.Chat]; g != nil {
		u.Lat, u.Lon = g.Lat, g.Lon
	}
	return u
}

func (d *Deployment) deptUnit(dep config.Department) Unit {
	return Unit{Kind: KindDept, ID: dep.ID, Name: dep.Name, NameEn: dep.NameEn}
}

// Roots: deployment admins see the deployment; members of a department's
// group see the department (and only its problems).
func (d *Deployment) Roots(ctx context.Context, user int64) ([]Unit, error) {
	if d.Members.IsDeploymentAdmin(user) {
		return []Unit{deploymentUnit()}, nil
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	var out []Unit
	for _, dep := range d.Cfg.Departments {
		chat := r.deptChats[dep.ID]
		if chat == 0 {
			continue
		}
		in, err := d.Members.IsChatMember(ctx, chat, user)
		if err != nil {
			return nil, err
		}
		if in {
			out = append(out, d.deptUnit(dep))
		}
	}
	return out, nil
}

// Path: a town and a department sit below the deployment, a village group
// below its town.
func (d *Deployment) Path(ctx context.Context, key string) ([]Unit, error) {
	kind, id, ok := ParseKey(key)
	if !ok {
		return nil, cadrebot.ErrNotFound
	}
	top := deploymentUnit()
	if kind == KindDeployment {
		return []Unit{top}, nil
	}
	if kind == KindDept {
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
	switch kind {
	case KindTown:
		if _, ok := r.byTown[id]; !ok {
			return nil, cadrebot.ErrNotFound
		}
		return []Unit{top, townUnit(id)}, nil
	case KindVillage:
		chat, err := strconv.ParseInt(id, 10, 64)
		g := r.groups[chat]
		if err != nil || !g.IsVillage() {
			return nil, cadrebot.ErrNotFound
		}
		return []Unit{top, townUnit(g.Town), r.villageUnit(digest.VillageRef{Chat: chat, Name: digest.VillageName(g.Village, g.Title)})}, nil
	}
	return nil, cadrebot.ErrNotFound
}

// Below: towns, then departments in config order, below the deployment;
// village groups by name below a town.
func (d *Deployment) Below(ctx context.Context, u Unit) ([]Unit, error) {
	if u.Kind != KindDeployment && u.Kind != KindTown {
		return nil, nil
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	var out []Unit
	if u.Kind == KindTown {
		for _, v := range r.byTown[u.ID] {
			out = append(out, r.villageUnit(v))
		}
		return out, nil
	}
	for _, t := range r.towns {
		out = append(out, townUnit(t))
	}
	for _, dep := range d.Cfg.Departments {
		out = append(out, d.deptUnit(dep))
	}
	return out, nil
}

// Holds: a village group's problems are its town's and the deployment's;
// a department holds what it holds or held last, as its digest counts.
func (d *Deployment) Holds(ctx context.Context, u Unit, p *cadrebot.Problem) (bool, error) {
	switch u.Kind {
	case KindDeployment:
		return true, nil
	case KindDept:
		return p.Dept == u.ID, nil
	case KindVillage:
		return strconv.FormatInt(p.VillageChat, 10) == u.ID, nil
	case KindTown:
		r, err := d.registry(ctx)
		if err != nil {
			return false, err
		}
		g := r.groups[p.VillageChat]
		return g.IsVillage() && g.Town == u.ID, nil
	}
	return false, nil
}

// villages lists the village groups of an area unit.
func (r *registry) villages(u Unit) []digest.VillageRef {
	switch u.Kind {
	case KindDeployment:
		return r.all
	case KindTown:
		return r.byTown[u.ID]
	case KindVillage:
		chat, _ := strconv.ParseInt(u.ID, 10, 64)
		if g := r.groups[chat]; g.IsVillage() {
			return []digest.VillageRef{{Chat: chat, Name: digest.VillageName(g.Village, g.Title)}}
		}
	}
	return nil
}

func chatsOf(vs []digest.VillageRef) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Chat
	}
	return out
}

// periodData is a period's data for every unit at once.
type periodData struct {
	reg  *registry
	data *digest.Data
}

// data loads what the figures of per read: every village group's
// check-ins, the problems reported in per and every open one, as /stats
// does for the county chat. With depts it reaches back for what was
// resolved in per as well, as the digests do, since a department's
// on-time rate counts it.
func (d *Deployment) data(ctx context.Context, per digest.Period, depts bool) (*periodData, error) {
	key := "period|" + per.ID() + "|" + per.From.String() + "|" + per.To.String() + "|" + per.Loc.String() + "|" + strconv.FormatBool(depts)
	v, err := d.once(ctx, key, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		r, err := d.registry(ctx)
		if err != nil {
			return nil, err
		}
		since := per.Start()
		if depts {
			since = per.Prev().Start().Add(-ResolvedLookback)
		}
		// The two reads go on separate connections at once: each is a
		// few pipelined round trips whose replies take a while to decode.
		var ck map[int64]*attendance.Period
		var ps []cadrebot.Problem
		err = both(func() (err error) {
			ck, err = d.Store.CheckinPeriods(ctx, chatsOf(r.all), per.From, per.To)
			return err
		}, func() (err error) {
			ps, err = d.Store.DigestProblems(ctx, since, per.Start(), per.End())
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

// Rows computes each unit's figures with digest.Data, as the county
// digest and /stats compute them.
func (d *Deployment) Rows(ctx context.Context, us []Unit, per digest.Period) ([]Row, error) {
	depts := slices.ContainsFunc(us, func(u Unit) bool { return u.Kind == KindDept })
	pd, err := d.data(ctx, per, depts)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(us))
	for i, u := range us {
		out[i] = d.row(pd.data, pd.reg, u)
	}
	return out, nil
}

// existing keeps the village groups that existed by the end of the
// data's period: a week before a group joined was no week of absences,
// and the digests of that week did not count it either (the digest jobs
// skip a group created after their firing).
func (r *registry) existing(vs []digest.VillageRef, per digest.Period) []digest.VillageRef {
	end := per.End()
	out := make([]digest.VillageRef, 0, len(vs))
	for _, v := range vs {
		if g := r.groups[v.Chat]; g == nil || g.Created.IsZero() || g.Created.Before(end) {
			out = append(out, v)
		}
	}
	return out
}

func (d *Deployment) row(data *digest.Data, r *registry, u Unit) Row {
	row := Row{Unit: u}
	area := func(rates attendance.GroupRate, villages int, a digest.Activity) {
		row.Checkin, row.Villages = Ratio{rates.Present, rates.Expected}, villages
		row.Fig, row.OnTime = a.Fig, Ratio{a.Fig.OnTime, a.Fig.OnTimeOf}
		row.Open, row.Overdue = len(a.Open), len(a.Overdue)
	}
	switch u.Kind {
	case KindDeployment:
		vs := r.existing(r.all, data.Period)
		_, total := data.Villages(vs, d.Cal)
		area(total, len(vs), data.Deployment())
	case KindTown:
		vs := r.existing(r.byTown[u.ID], data.Period)
		_, total := data.Villages(vs, d.Cal)
		area(total, len(vs), data.Activity(data.OfVillages(chatsOf(r.byTown[u.ID]))))
	case KindVillage:
		if vs := r.existing(r.villages(u), data.Period); len(vs) == 1 {
			v := data.Village(vs[0].Chat, vs[0].Name, d.Cal)
			area(v.Rates, 1, v.Activity)
		}
	case KindDept:
		dep := data.Department(u.ID)
		row.Fig, row.OnTime = dep.Fig, Ratio{dep.Work.OnTime, dep.Work.OnTimeOf}
		row.Open, row.Overdue = len(dep.Open), len(dep.Overdue)
	}
	return row
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
			ck, err = d.Store.CheckinPeriods(ctx, chatsOf(r.villages(u)), first.From, last.To)
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
			// The year bitmaps are shared; only the window moves.
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
	now := d.Now()
	loc := d.Loc
	per, _ := digest.WeekOf(calendar.DateOf(now.In(loc)), loc).Upto(calendar.DateOf(now.In(loc)))
	pd, err := d.data(ctx, per, false)
	if err != nil {
		return nil, err
	}
	var open digest.Set
	switch u.Kind {
	case KindDeployment:
		open = pd.data.Deployment().Open
	case KindTown, KindVillage:
		open = pd.data.Activity(pd.data.OfVillages(chatsOf(pd.reg.villages(u)))).Open
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
// deployment admin's in private, a village group's or department's as
// its group admin's, a town's over its village groups.
func (d *Deployment) Export(ctx context.Context, u Unit, per digest.Period, lang string) (*send.File, error) {
	switch u.Kind {
	case KindDeployment:
		return d.Workbook(ctx, true, nil, nil, per, lang, "all")
	case KindDept:
		return d.Workbook(ctx, false, nil, []string{u.ID}, per, lang, "dept-"+u.ID)
	}
	r, err := d.registry(ctx)
	if err != nil {
		return nil, err
	}
	name := "village-" + strings.TrimPrefix(u.ID, "-")
	if u.Kind == KindTown {
		name = "town-" + u.ID
	}
	return d.Workbook(ctx, false, r.villages(u), nil, per, lang, name)
}
