package handlers

import (
	"context"
	"slices"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/digest"
	"cadrebot/units"
)

// scope is what a chat reports on: its village, its departments, the
// unit it is the leaders' group of, and the whole deployment for the
// county leaders' chat.
type digestScope struct {
	village bool
	depts   []string
	unit    *units.Unit
	deploy  bool
}

func (s digestScope) empty() bool {
	return !s.village && len(s.depts) == 0 && s.unit == nil && !s.deploy
}

// scopeOf works out what chat reports on.
func (d *Digests) scopeOf(ctx context.Context, u *Update) (digestScope, error) {
	var s digestScope
	if u.IsPrivate() {
		s.deploy = d.Auth.IsDeploymentAdmin(u.From.ID)
		return s, nil
	}
	s.village = u.Group.IsVillage()
	chats, moves, err := d.deptChats(ctx)
	if err != nil {
		return s, err
	}
	s.depts = digest.DeptsOfChat(d.Cfg, chats, u.ChatID)
	s.deploy = d.Cfg.DigestChatID != 0 && u.ChatID == moves.Chat(d.Cfg.DigestChatID)
	if d.mayLead(u.Group) {
		// Whether this is a leaders' group takes the tree: a /leaders
		// elsewhere overrides the config.
		bound, err := d.Store.UnitChats(ctx)
		if err != nil {
			return s, err
		}
		s.unit = units.New(d.Cfg, bound, moves).Leading(u.ChatID)
	}
	return s, nil
}

// loadScope loads what the reports of s over per need: the whole
// deployment for the county chat, else the group's own problems and
// check-ins, which is a few round trips however large the deployment.
func (d *Digests) loadScope(ctx context.Context, u *Update, s digestScope, per digest.Period) (*fleet, error) {
	switch {
	case s.deploy:
		return d.loadFleet(ctx, per, "")
	case s.unit != nil:
		return d.loadFleet(ctx, per, s.unit.ID)
	}
	var village *cadrebot.Group
	if s.village {
		village = u.Group
	}
	return d.loadOwn(ctx, village, s.depts, per)
}

// loadOwn loads what the reports of a group's own scope over per need:
// its village's problems and check-ins (village nil: none) and the
// problems of its departments.
func (d *Digests) loadOwn(ctx context.Context, village *cadrebot.Group, depts []string, per digest.Period) (*fleet, error) {
	f := &fleet{groups: map[int64]*cadrebot.Group{}}
	var ps []cadrebot.Problem
	if village != nil {
		chat := village.ChatID
		f.groups[chat] = village
		ck, err := d.Store.CheckinPeriods(ctx, []int64{chat}, per.From, per.To)
		if err != nil {
			return nil, err
		}
		vp, err := d.Store.ProblemsOf(ctx, cadrebot.VillageProblems(chat, false))
		if err != nil {
			return nil, err
		}
		ps = append(ps, vp...)
		f.villages = []digest.VillageRef{{Chat: chat, Name: digest.VillageName(village.Village, village.Title)}}
		projects, err := d.Store.ProjectsOf(ctx, cadrebot.VillageProjects(chat))
		if err != nil {
			return nil, err
		}
		f.data = &digest.Data{Checkins: ck, Projects: projects}
	}
	for _, dept := range depts {
		// What it led and what it supported: a department's report gives
		// the on-time rate of both.
		for _, l := range []cadrebot.ProblemSet{cadrebot.DeptProblems(dept), cadrebot.SupportedProblems(dept)} {
			dp, err := d.Store.ProblemsOf(ctx, l)
			if err != nil {
				return nil, err
			}
			ps = append(ps, dp...)
		}
	}
	// A group can be a village and a department at once: one copy each.
	slices.SortFunc(ps, func(a, b cadrebot.Problem) int { return int(a.ID - b.ID) })
	ps = slices.CompactFunc(ps, func(a, b cadrebot.Problem) bool { return a.ID == b.ID })
	hist, err := d.Store.Histories(ctx, digest.PrevReported(ps, per))
	if err != nil {
		return nil, err
	}
	if f.data == nil {
		f.data = &digest.Data{}
	}
	f.data.Period, f.data.Now, f.data.Problems, f.data.History = per, d.Now(), ps, hist
	return f, nil
}

// reports composes the reports of s.
func (d *Digests) reports(f *fleet, u *Update, s digestScope, m digest.Mode) []digest.Report {
	c := d.composer()
	var out []digest.Report
	if s.village {
		out = append(out, c.Village(f.data, u.ChatID, digest.VillageName(u.Group.Village, u.Group.Title), u.Lang, m))
	}
	if len(s.depts) > 0 {
		out = append(out, c.Department(f.data, s.depts, u.Lang, m))
	}
	if s.unit != nil {
		out = append(out, c.Unit(f.data, f.tree, s.unit.ID, u.Lang, m))
	}
	if s.deploy {
		out = append(out, c.Deployment(f.data, f.tree, u.Lang, m))
	}
	return out
}

// Stats handles /stats [week|month|YYYY-MM]: the digest's figures for
// this week or month so far, or a past month, with the chart, for
// anyone in the group (and deployment admins privately).
func (d *Digests) Stats() Func {
	return func(ctx context.Context, u *Update) error {
		if !u.IsGroup() && !d.Auth.IsDeploymentAdmin(u.From.ID) {
			return cadrebot.Errorf("err_group_only")
		}
		per, err := digest.ParseStats(u.Args, calendar.DateOf(u.Now.In(u.Loc)), u.Loc)
		if err != nil {
			return err
		}
		s, err := d.scopeOf(ctx, u)
		if err != nil {
			return err
		}
		if s.empty() {
			return cadrebot.Errorf("stats_nothing")
		}
		f, err := d.loadScope(ctx, u, s, per)
		if err != nil {
			return err
		}
		for _, rep := range d.reports(f, u, s, digest.Stats) {
			if rep.Empty {
				if err := Reply(ctx, d.Out, u, d.Texts.T(u.Lang, "stats_empty")); err != nil {
					return err
				}
				continue
			}
			for _, m := range d.messages(rep, u.ChatID, "stats") {
				m.ReplyTo, m.ThreadID = u.MessageID(), u.ThreadID
				if _, err := d.Out.Send(ctx, m); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// SendDigest handles /digest, for group admins: last week's digests of
// the group, sent now. If the scheduled digest has not gone out yet, this
// is it (the job will not repeat it); if it has, this is a copy on
// request.
func (d *Digests) SendDigest() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, d.Auth, u); err != nil {
			return err
		}
		s, err := d.scopeOf(ctx, u)
		if err != nil {
			return err
		}
		if s.empty() {
			return cadrebot.Errorf("digest_nothing")
		}
		loc := u.Loc
		if (s.deploy || s.unit != nil) && !s.village && len(s.depts) == 0 {
			loc = d.Loc
		}
		per := digest.LastWeek(u.Now, loc)
		f, err := d.loadScope(ctx, u, s, per)
		if err != nil {
			return err
		}
		kinds := []string{}
		if s.village {
			kinds = append(kinds, KindVillage)
		}
		if len(s.depts) > 0 {
			kinds = append(kinds, KindDept)
		}
		if s.unit != nil {
			kinds = append(kinds, KindUnit)
		}
		if s.deploy {
			kinds = append(kinds, KindDeployment)
		}
		for i, rep := range d.reports(f, u, s, digest.Digest) {
			if err := d.sendNow(ctx, u, kinds[i], per, rep); err != nil {
				return err
			}
		}
		return nil
	}
}

// sendNow sends a digest as a reply, under the digest's lock, and marks
// the period sent if it was not yet.
func (d *Digests) sendNow(ctx context.Context, u *Update, kind string, per digest.Period, rep digest.Report) error {
	if rep.Empty {
		return Reply(ctx, d.Out, u, d.Texts.T(u.Lang, "digest_empty"))
	}
	key := DigestKey(kind, u.ChatID, per)
	// Held elsewhere: the scheduled digest is going out right now, and
	// that is the answer.
	_, err := d.Store.WithLock(ctx, key, digestLockTTL, func(ctx context.Context) error {
		done, err := d.Store.Done(ctx, key)
		if err != nil {
			return err
		}
		for _, m := range d.messages(rep, u.ChatID, key) {
			m.ReplyTo, m.ThreadID = u.MessageID(), u.ThreadID
			if _, err := d.Out.Send(ctx, m); err != nil {
				return err
			}
		}
		if !done {
			_, err = d.Store.Once(context.WithoutCancel(ctx), key, digestDoneTTL)
		}
		return err
	})
	return err
}
