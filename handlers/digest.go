package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
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

// DigestStore is what digests, /stats and /export need from the store.
type DigestStore interface {
	AllGroups(ctx context.Context) ([]*cadrebot.Group, error)
	DepartmentChats(ctx context.Context) (map[string]int64, error)
	UnitChats(ctx context.Context) (map[string]int64, error)
	ChatMoves(ctx context.Context) (cadrebot.ChatMoves, error)
	CheckinPeriods(ctx context.Context, chats []int64, from, to calendar.Date) (map[int64]*attendance.Period, error)
	CheckinDetails(ctx context.Context, periods map[int64]*attendance.Period, from, to calendar.Date) (map[int64]map[calendar.Date]map[int64]cadrebot.Checkin, error)
	DigestProblems(ctx context.Context, since, from, to time.Time) ([]cadrebot.Problem, error)
	ProblemsOf(ctx context.Context, l cadrebot.ProblemSet) ([]cadrebot.Problem, error)
	ProblemsCreated(ctx context.Context, from, to time.Time) ([]cadrebot.Problem, error)
	Histories(ctx context.Context, ids []int64) (map[int64][]cadrebot.Entry, error)
	ProjectsOf(ctx context.Context, l cadrebot.ProjectSet) ([]cadrebot.Project, error)
	ProjectHistories(ctx context.Context, ids []int64) (map[int64][]cadrebot.ProjectEntry, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	Done(ctx context.Context, name string) (bool, error)
	DoneMany(ctx context.Context, names []string) (map[string]bool, error)
	UserState(ctx context.Context, user int64) (cadrebot.UserState, error)
	// WithLock runs fn under a lock shared by replicas (store.DB):
	// false, without running it, when someone else holds it.
	WithLock(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context) error) (bool, error)
}

// Digest kinds, as they appear in idempotency keys.
const (
	KindVillage    = "village"
	KindDept       = "dept"
	KindUnit       = "unit"
	KindDeployment = "deploy"
)

const (
	// digestDoneTTL keeps "sent" markers well past the retry window and
	// the week /digest looks back at.
	digestDoneTTL = 40 * 24 * time.Hour
	// digestLockTTL bounds one group's send: compose, chart and enqueue
	// take well under a second; a direct send may wait on rate limits.
	digestLockTTL = 10 * time.Minute
	// digestSendTimeout bounds one digest's send, which a shutdown lets
	// finish.
	digestSendTimeout = 15 * time.Second
	// snapshotTTL is how long one firing's data serves the groups of that
	// firing (and retries soon after).
	snapshotTTL = 10 * time.Minute
)

// Digests sends the weekly digests and answers /stats, /digest and
// /export. Its jobs are plain methods, so tests call them directly.
type Digests struct {
	Store       DigestStore
	Out         Sender
	Texts       Texts
	Auth        Auth
	Cal         *calendar.Calendar
	Cfg         *config.File
	Loc         *time.Location // the deployment's zone
	Now         func() time.Time
	Log         *slog.Logger
	BotUsername string

	mu    sync.Mutex
	snaps map[string]*snapshot
}

func (d *Digests) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

func (d *Digests) composer() *digest.Composer {
	return &digest.Composer{Texts: d.Texts, Cal: d.Cal, Cfg: d.Cfg}
}

func (d *Digests) lang(g *cadrebot.Group) string {
	if g != nil && g.Lang != "" {
		return g.Lang
	}
	return d.Cfg.Language
}

// IsDigestGroup says which groups the per-group job visits: village
// groups and groups that may be a department's or a unit's leaders'. The
// job itself resolves department and leaders' chats exactly (a /bind or
// /leaders elsewhere overrides config).
func (d *Digests) IsDigestGroup(g *cadrebot.Group) bool {
	if g.IsVillage() || g.Dept != "" || g.Leads != "" {
		return true
	}
	if _, ok := d.Cfg.DepartmentByChat(g.ChatID); ok {
		return true
	}
	return d.mayLead(g)
}

// mayLead is the quick test of whether a group may be a unit's leaders'
// group: /leaders named it (or a migration carried a config chat id over,
// see app.followConfig), or the config does. The tree decides exactly.
func (d *Digests) mayLead(g *cadrebot.Group) bool {
	if g.Leads != "" {
		return true
	}
	for _, u := range d.Cfg.Units {
		if u.ChatID != 0 && u.ChatID == g.ChatID {
			return true
		}
	}
	return false
}

// Tree builds the hierarchy of units with every village group of gs
// placed in it, its leaders' groups resolved (/leaders over config): the
// tree of digests, /stats, /export and the leaders' dashboard.
func (d *Digests) Tree(ctx context.Context, gs []*cadrebot.Group, moves cadrebot.ChatMoves) (*units.Tree, error) {
	bound, err := d.Store.UnitChats(ctx)
	if err != nil {
		return nil, err
	}
	t := units.New(d.Cfg, bound, moves)
	for _, g := range gs {
		if g.IsVillage() {
			t.AddVillage(g.ChatID, digest.VillageName(g.Village, g.Title), VillageTown(d.Cfg, moves, g))
		}
	}
	return t, nil
}

// VillageTown is the town a village group names: its own (/setup), else
// the config's for its chat.
func VillageTown(cfg *config.File, moves cadrebot.ChatMoves, g *cadrebot.Group) string {
	if g.Town != "" {
		return g.Town
	}
	for _, v := range cfg.Villages {
		if moves.Chat(v.ChatID) == g.ChatID {
			return v.Town
		}
	}
	return ""
}

// deptChats resolves every department's chat (digest.DeptChats) and
// returns the migrations it followed, for other chat ids of the config.
func (d *Digests) deptChats(ctx context.Context) (map[string]int64, cadrebot.ChatMoves, error) {
	bound, err := d.Store.DepartmentChats(ctx)
	if err != nil {
		return nil, nil, err
	}
	moves, err := d.Store.ChatMoves(ctx)
	if err != nil {
		return nil, nil, err
	}
	return digest.DeptChats(d.Cfg, bound, moves), moves, nil
}

// DigestKey is the idempotency key of one digest: kind, chat and period.
func DigestKey(kind string, chat int64, p digest.Period) string {
	return "digest:" + kind + ":" + strconv.FormatInt(chat, 10) + ":" + p.ID()
}

// fleet is the whole deployment's data for one period.
type fleet struct {
	data      *digest.Data
	groups    map[int64]*cadrebot.Group
	villages  []digest.VillageRef
	deptChats map[string]int64
	tree      *units.Tree
}

type snapshot struct {
	ready chan struct{}
	made  time.Time
	f     *fleet
	err   error
}

// fleetFor returns the data of per for every group, loading it once per
// firing however many groups ask at once: the per-group jobs of a firing
// share one load of a bounded number of pipelined round trips.
func (d *Digests) fleetFor(ctx context.Context, per digest.Period, at time.Time) (*fleet, error) {
	key := per.ID() + "|" + per.Loc.String() + "|" + strconv.FormatInt(at.Unix(), 10)
	now := d.Now()
	d.mu.Lock()
	if d.snaps == nil {
		d.snaps = map[string]*snapshot{}
	}
	for k, s := range d.snaps {
		if now.Sub(s.made) > snapshotTTL || s.made.After(now) {
			select {
			case <-s.ready:
				delete(d.snaps, k)
			default:
			}
		}
	}
	if s, ok := d.snaps[key]; ok {
		d.mu.Unlock()
		select {
		case <-s.ready:
			return s.f, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s := &snapshot{ready: make(chan struct{}), made: now}
	d.snaps[key] = s
	d.mu.Unlock()
	s.f, s.err = d.loadFleet(ctx, per, "")
	if s.err != nil {
		d.mu.Lock()
		delete(d.snaps, key)
		d.mu.Unlock()
	}
	close(s.ready)
	return s.f, s.err
}

// loadFleet reads every group, the tree of units, the check-ins of every
// village group of unit's subtree ("" the whole deployment) and the
// problems the period's digests can mention there.
func (d *Digests) loadFleet(ctx context.Context, per digest.Period, unit string) (*fleet, error) {
	gs, err := d.Store.AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	f := &fleet{groups: make(map[int64]*cadrebot.Group, len(gs))}
	var moves cadrebot.ChatMoves
	f.deptChats, moves, err = d.deptChats(ctx)
	if err != nil {
		return nil, err
	}
	if f.tree, err = d.Tree(ctx, gs, moves); err != nil {
		return nil, err
	}
	var chats []int64
	for _, g := range gs {
		f.groups[g.ChatID] = g
		if g.IsVillage() && f.tree.Contains(unit, g.ChatID) {
			chats = append(chats, g.ChatID)
			f.villages = append(f.villages, digest.VillageRef{Chat: g.ChatID, Name: digest.VillageName(g.Village, g.Title)})
		}
	}
	ck, err := d.Store.CheckinPeriods(ctx, chats, per.From, per.To)
	if err != nil {
		return nil, err
	}
	ps, err := d.Store.DigestProblems(ctx, per.Prev().Start(), per.Start(), per.End())
	if err != nil {
		return nil, err
	}
	if unit != "" {
		ps = slices.DeleteFunc(ps, func(p cadrebot.Problem) bool { return !f.tree.Contains(unit, p.VillageChat) })
	}
	hist, err := d.Store.Histories(ctx, digest.PrevReported(ps, per))
	if err != nil {
		return nil, err
	}
	projects, err := d.Store.ProjectsOf(ctx, cadrebot.AllProjects)
	if err != nil {
		return nil, err
	}
	f.data = &digest.Data{Period: per, Now: d.Now(), Checkins: ck, Problems: ps, History: hist, Projects: projects,
		UnitOf: f.townOf}
	return f, nil
}

// townOf is the town (乡镇) a village group names in /setup: the unit its
// projects count under in the leaders' digest.
func (f *fleet) townOf(chat int64) string {
	if g := f.groups[chat]; g != nil {
		return g.Town
	}
	return ""
}

// WeeklyDigest is the per-group job: last week's village digest for a
// village group, and the department digest for a department's group.
// Each goes out at most once per group and week (deliver).
func (d *Digests) WeeklyDigest(ctx context.Context, g *cadrebot.Group, at time.Time) error {
	per := digest.LastWeek(at, g.Location(d.Loc))
	f, err := d.fleetFor(ctx, per, at)
	if err != nil {
		return err
	}
	if cur := f.groups[g.ChatID]; cur != nil {
		g = cur
	}
	if !g.Created.IsZero() && g.Created.After(at) {
		return nil // the group did not exist yet when this digest was due
	}
	var errs []error
	if g.IsVillage() {
		errs = append(errs, d.deliver(ctx, KindVillage, g.ChatID, per, func() digest.Report {
			return d.composer().Village(f.data, g.ChatID, digest.VillageName(g.Village, g.Title), d.lang(g), digest.Digest)
		}))
	}
	if depts := digest.DeptsOfChat(d.Cfg, f.deptChats, g.ChatID); len(depts) > 0 {
		errs = append(errs, d.deliver(ctx, KindDept, g.ChatID, per, func() digest.Report {
			return d.composer().Department(f.data, depts, d.lang(g), digest.Digest)
		}))
	}
	if u := f.tree.Leading(g.ChatID); u != nil {
		errs = append(errs, d.deliver(ctx, KindUnit, g.ChatID, per, func() digest.Report {
			return d.composer().Unit(f.data, f.tree, u.ID, d.lang(g), digest.Digest)
		}))
	}
	return errors.Join(errs...)
}

// DeploymentDigest is the global job: the county leaders' digest to
// config digest_chat_id.
func (d *Digests) DeploymentDigest(ctx context.Context, at time.Time) error {
	chat := d.Cfg.DigestChatID
	if chat == 0 {
		return nil
	}
	per := digest.LastWeek(at, d.Loc)
	f, err := d.fleetFor(ctx, per, at)
	if err != nil {
		return err
	}
	return d.deliver(ctx, KindDeployment, chat, per, func() digest.Report {
		return d.composer().Deployment(f.data, f.tree, d.lang(f.groups[chat]), digest.Digest)
	})
}

// Preview is one composed digest that a firing would send.
type Preview struct {
	Kind   string
	Chat   int64
	Report digest.Report
}

// Preview composes every digest of the firing at at, as the jobs would,
// without sending or marking anything: the benchmark measures it, and an
// operator can use it to check a deployment. Charts are described, not
// rendered (Report.Render draws one).
func (d *Digests) Preview(ctx context.Context, at time.Time) ([]Preview, error) {
	gs, err := d.Store.AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	byZone := map[string][]*cadrebot.Group{}
	for _, g := range gs {
		if d.IsDigestGroup(g) {
			z := g.Location(d.Loc).String()
			byZone[z] = append(byZone[z], g)
		}
	}
	c := d.composer()
	var out []Preview
	for _, groups := range byZone {
		per := digest.LastWeek(at, groups[0].Location(d.Loc))
		f, err := d.fleetFor(ctx, per, at)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if g.IsVillage() {
				out = append(out, Preview{KindVillage, g.ChatID,
					c.Village(f.data, g.ChatID, digest.VillageName(g.Village, g.Title), d.lang(g), digest.Digest)})
			}
			if depts := digest.DeptsOfChat(d.Cfg, f.deptChats, g.ChatID); len(depts) > 0 {
				out = append(out, Preview{KindDept, g.ChatID, c.Department(f.data, depts, d.lang(g), digest.Digest)})
			}
			if u := f.tree.Leading(g.ChatID); u != nil {
				out = append(out, Preview{KindUnit, g.ChatID, c.Unit(f.data, f.tree, u.ID, d.lang(g), digest.Digest)})
			}
		}
	}
	if chat := d.Cfg.DigestChatID; chat != 0 {
		f, err := d.fleetFor(ctx, digest.LastWeek(at, d.Loc), at)
		if err != nil {
			return nil, err
		}
		out = append(out, Preview{KindDeployment, chat, c.Deployment(f.data, f.tree, d.lang(f.groups[chat]), digest.Digest)})
	}
	return out, nil
}

// deliver sends one digest at most once per group and period, across
// restarts and replicas: under a per-digest lock it checks the "sent"
// marker, composes, hands the message to the outbox with the same key
// (the outbox sends a key once, so a retried enqueue is no second
// digest), and sets the marker only once that succeeded.
func (d *Digests) deliver(ctx context.Context, kind string, chat int64, per digest.Period, build func() digest.Report) error {
	key := DigestKey(kind, chat, per)
	if settled, err := d.settled(ctx, key); err != nil || settled {
		return err
	}
	// Held elsewhere: another replica is sending it.
	_, err := d.Store.WithLock(ctx, key, digestLockTTL, func(ctx context.Context) error {
		// Checked again under the lock: another replica may have sent it
		// between the first look and the lock.
		if settled, err := d.settled(ctx, key); err != nil || settled {
			return err
		}
		return d.send(ctx, key, chat, build())
	})
	return err
}

// send hands a composed digest to the outbox and marks it sent.
func (d *Digests) send(ctx context.Context, key string, chat int64, rep digest.Report) error {
	if !rep.Empty {
		// A shutdown does not cut a send short: Telegram could take the
		// photo while the cancellation drops its answer, and the sweep
		// would send it again. The send is bounded instead.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), digestSendTimeout)
		defer cancel()
		// The digest, then its attachment (a long league table) under a
		// key of its own: the outbox sends each key once, so enqueueing
		// both again after a crash sends neither twice.
		for i, m := range d.messages(rep, chat, key) {
			m.Key = key
			if i > 0 {
				m.Key = key + ":xlsx"
			}
			if err := d.Out.Enqueue(sctx, m); err != nil {
				if send.IsPermanent(err) {
					// The bot was removed, say: retrying all day cannot
					// help. Recorded apart from the "sent" marker.
					d.log().Warn("digest undeliverable", "key", key, "err", err)
					_, _ = d.Store.Once(context.WithoutCancel(ctx), key+":failed", digestDoneTTL)
				}
				return fmt.Errorf("digest %s: %w", key, err)
			}
		}
	}
	if _, err := d.Store.Once(context.WithoutCancel(ctx), key, digestDoneTTL); err != nil {
		return fmt.Errorf("digest %s: mark sent: %w", key, err)
	}
	return nil
}

// settled reports whether a digest was sent, or failed for good, in one
// round trip.
func (d *Digests) settled(ctx context.Context, key string) (bool, error) {
	m, err := d.Store.DoneMany(ctx, []string{key, key + ":failed"})
	if err != nil {
		return false, err
	}
	return m[key] || m[key+":failed"], nil
}

// messages turns a report into its messages: the chart as a photo whose
// caption is the text (the sender carries on in text messages past the
// caption limit), then the attached workbook when the report has one. A
// chart or a workbook that fails to render costs that part, not the
// digest.
func (d *Digests) messages(rep digest.Report, chat int64, name string) []send.Message {
	m := send.Message{ChatID: chat, Text: rep.Text}
	if png, err := rep.Render(); err != nil {
		d.log().Error("digest chart", "digest", name, "err", err)
	} else {
		m.Photo = &send.File{Name: "digest.png", Data: png}
	}
	out := []send.Message{m}
	if len(rep.Attachment) == 0 {
		return out
	}
	b, err := digest.XLSX(rep.Attachment)
	if err != nil {
		d.log().Error("digest attachment", "digest", name, "err", err)
		return out
	}
	return append(out, send.Message{ChatID: chat, Text: rep.AttachmentText, Document: &send.File{Name: rep.AttachmentName, Data: b}})
}
