package app

import (
	"context"
	"errors"
	"maps"
	"slices"

	"cadrebot"
	"cadrebot/bot"
	"cadrebot/dashboard"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/scheduler"
	"cadrebot/store"
	"cadrebot/units"
)

// buildRoutes is the one list of everything the bot answers to: commands,
// buttons and kinds of message, each with its handler. buildJobs below
// lists what it does on its own, on a schedule.
func (a *App) buildRoutes() bot.Routes {
	cfg := a.Cfg
	out, texts, db, auth := a.Sender, a.Texts, a.DB, a.Auth
	depts := make([]handlers.Department, 0, len(cfg.File.Departments))
	for _, d := range cfg.File.Departments {
		depts = append(depts, handlers.Department{ID: d.ID, Name: d.Name})
	}
	menu := []string{"help", "checkin", "today", "leave", "report", "problems", "problem", "accept", "resolve",
		"reject", "reopen", "close", "assign", "support", "note", "project", "projects", "progress", "cancel", "stats", "digest",
		"export", "dashboard", "setup", "join", "roster", "schedule", "setvillage", "remindme", "lang", "handover", "bind", "leaders", "approve"}
	r := bot.Routes{
		Commands:  map[string]handlers.Func{},
		Menu:      menu,
		Callbacks: map[string]handlers.Func{},
		Forms:     map[string]string{},
	}
	sight := a.sight()
	help := handlers.Help(out, texts, menu, sight)
	r.Commands["start"] = help
	r.Commands["help"] = help
	// What gives people rights or renames a village's records is
	// confirmed with buttons first.
	confirm := handlers.NewConfirms(db, out, texts)
	r.Callbacks[handlers.PrefixConfirm] = confirm.Button()
	gs := &handlers.GroupSetup{Store: db, Auth: auth, Out: out, Texts: texts, Sight: sight, Tree: a.unitTree, Depts: depts,
		Confirm: confirm, DeptChat: a.deptChat, Approval: cfg.File.ApprovalRequired(), NoAdmins: len(cfg.File.Admins) == 0}
	gs.Register()
	r.Commands["setup"] = gs.Setup()
	r.Commands["bind"] = gs.Bind()
	r.Commands["leaders"] = gs.Leaders()
	r.Commands["join"] = handlers.Join(db, auth, out, texts)
	r.Commands["roster"] = handlers.Roster(db, out, texts)
	pr := a.problems()
	r.Commands["handover"] = (&handlers.Handover{Store: db, Out: out, Texts: texts, Auth: auth, Cal: a.Calendar, Cfg: &cfg.File,
		Cards: pr.RefreshCards}).Command()
	r.Commands["approve"] = handlers.Approve(db, auth, out, texts, pr.ReleaseHeld)
	r.Callbacks[handlers.PrefixApprove] = pr.ApproveButton(func(ctx context.Context, chat int64) error {
		yes := true
		return db.UpdateGroup(ctx, chat, cadrebot.GroupPatch{Approved: &yes})
	})
	r.Commands["lang"] = handlers.Lang(db, auth, out, texts)
	r.Members = handlers.Members(db, out, texts, a.Me.ID, cfg.File.ApprovalRequired(), sight, a.chatDepts)

	// Check-ins, leave and reminders (docs/checkins.md).
	ck := cfg.File.Checkin
	board := handlers.NewBoard(db, out, texts, a.Calendar, a.Clock, a.Log, ck.BoardInterval.Duration)
	checkins := handlers.NewCheckins(db, out, texts, a.Calendar, board, a.Log, handlers.CheckinConfig{Milestones: ck.Milestones,
		DetailTTL: ck.DetailTTL.Duration, BoardInterval: ck.BoardInterval.Duration, Location: cfg.Location})
	a.Courier.OnSent("board:", board.Sent)
	a.Courier.OnSent("leavereq:", handlers.LeaveRequestSent(db))
	r.Commands["checkin"] = checkins.Command
	r.Text = append(r.Text, checkins.Text)
	r.Location = checkins.Location
	r.Commands["today"] = handlers.Today(db, out, texts, a.Calendar)
	leave := handlers.LeaveConfig{OutingMonthlyCap: ck.OutingMonthlyCap, MaxBackDays: 31, Approval: ck.LeaveApproval,
		Location: cfg.Location}
	r.Commands["leave"] = handlers.Leave(db, auth, out, texts, a.Calendar, leave)
	r.Callbacks[handlers.PrefixLeave] = handlers.LeaveDecision(db, auth, out, texts, a.Calendar, leave)
	r.Commands["schedule"] = handlers.Schedule(db, auth, out, texts, a.checkinScheduleJobs())
	r.Commands["setvillage"] = handlers.SetVillage(db, auth, out, texts)
	r.Commands["remindme"] = handlers.RemindMe(db, out, texts, a.Me.Username)

	// Problem reports.
	r.Commands["report"] = pr.Report()
	r.Commands["cancel"] = pr.Cancel()
	r.Commands["accept"] = pr.Accept()
	r.Commands["resolve"] = pr.Resolve()
	r.Commands["reject"] = pr.Reject()
	r.Commands["reopen"] = pr.Reopen()
	r.Commands["close"] = pr.Close()
	r.Commands["assign"] = pr.Assign()
	r.Commands["category"] = pr.Categorize()
	r.Commands["support"] = pr.Support()
	r.Commands["note"] = pr.Note()
	r.Commands["problems"] = pr.List()
	r.Commands["problem"] = pr.Show()
	r.Callbacks[handlers.PrefixReport] = pr.ReportButton()
	r.Forms[handlers.PrefixReport] = store.FormReport
	r.Callbacks[handlers.PrefixCard] = pr.CardButton()
	r.Callbacks[handlers.PrefixProblemList] = pr.ListPage()
	r.Intercept = append(r.Intercept, pr.Intercept)
	// A card that waited in the outbox for its department's budget is
	// recorded when it goes out, or flagged when it cannot.
	a.Courier.OnSent("card:", pr.CardSent)
	a.Courier.OnSent("form:", pr.FormSent)
	a.Courier.FlagRefs("card:", outboxFlagger(pr.CardFailed))
	// A village or department group that becomes a supergroup takes its
	// problems and cards along, and what the config says about its old id.
	db.OnMigrate(db.MigrateProblems)
	db.OnMigrate(a.followConfig)

	// Village projects (docs/user-guide.md): the dialog's messages that
	// waited in the outbox are recorded by FormSent like the report's.
	pj := a.projects()
	r.Commands["project"] = pj.Project()
	r.Commands["projects"] = pj.List()
	r.Commands["progress"] = pj.Progress()
	r.Callbacks[handlers.PrefixProjectDialog] = pj.DialogButton()
	r.Forms[handlers.PrefixProjectDialog] = store.FormProject
	r.Callbacks[handlers.PrefixMilestone] = pj.Button()
	r.Intercept = append(r.Intercept, pj.Intercept)
	db.OnMigrate(db.MigrateProjects)

	// Digests, statistics and exports (docs/digests.md).
	dg := a.digests()
	r.Commands["stats"] = dg.Stats()
	r.Commands["digest"] = dg.SendDigest()
	r.Commands["export"] = dg.Export()

	// The leaders' dashboard (dashboard/): /dashboard sends its Mini App
	// button and a one-time link; "/start dashboard" comes from the
	// button a group's /dashboard answers with.
	dash := handlers.Dashboard(a.dash, out, texts, a.Me.Username, dashboard.LinkTTL)
	r.Commands["dashboard"] = dash
	r.Commands["start"] = handlers.StartOr(help, dash)
	return r
}

// buildJobs is the one list of the timed jobs, each with its schedule
// (config schedules; docs/configuration.md) and what it runs.
func (a *App) buildJobs() []scheduler.Job {
	sch := a.Cfg.File.Schedules
	pr, dg := a.problems(), a.digests()
	var jobs []scheduler.Job
	// Check-in reminders (checkin_reminder, checkin_final_reminder): per
	// village group, in its zone, on its own /schedule when it set one.
	jobs = append(jobs, a.checkinJobs()...)
	return append(jobs,
		// Problems past their deadline are escalated; resolved ones are
		// asked about and closed.
		scheduler.Job{Name: "overdue_sweep", Spec: sch.OverdueSweep, Global: pr.OverdueSweep, CatchUp: scheduler.Always},
		scheduler.Job{Name: "resolved_sweep", Spec: sch.ResolvedSweep, Global: pr.ResolvedSweep, CatchUp: scheduler.Always},
		// Milestone reminders and overdue notices; each is once per
		// milestone and due date, so a late run only catches up.
		scheduler.Job{Name: handlers.JobProjectSweep, Spec: sch.ProjectSweep, Global: a.projects().Sweep, CatchUp: scheduler.Always},
		// Weekly digests (docs/digests.md): village, department and
		// leaders' groups in their own zones, the county chat, and a sweep
		// that sends what a failure or a restart held back.
		scheduler.Job{Name: handlers.JobWeeklyDigest, Spec: sch.WeeklyDigest, Group: dg.WeeklyDigest, Groups: dg.IsDigestGroup,
			CatchUp: scheduler.Always},
		scheduler.Job{Name: jobDeploymentDigest, Spec: sch.WeeklyDigest, Global: dg.DeploymentDigest, CatchUp: scheduler.Always},
		scheduler.Job{Name: jobDigestRetry, Spec: digestRetrySpec, Global: dg.RetryDigests, CatchUp: scheduler.Always},
		// Chats never set up and old undeliverable records are forgotten.
		scheduler.Job{Name: jobRetention, Spec: sch.RetentionSweep, Global: a.retentionSweep, CatchUp: scheduler.Always},
	)
}

// RouteNames lists, sorted, every command and every callback data prefix
// the bot answers to, once Ready: what a test that must cover the whole
// surface (the permission matrix) checks its rows against, so that a new
// command cannot slip past it.
func (a *App) RouteNames() (commands, callbacks []string) {
	return slices.Sorted(maps.Keys(a.routes.Commands)), slices.Sorted(maps.Keys(a.routes.Callbacks))
}

// problems builds the problem-report handlers; they hold no state, so
// routes and jobs may each build their own.
func (a *App) problems() *handlers.Problems {
	return &handlers.Problems{Store: a.DB, Out: a.Sender, Texts: a.Texts, Auth: a.Auth, Cfg: &a.Cfg.File,
		Loc: a.Cfg.Location, Log: a.Log, Now: a.Clock.Now, Clock: a.Clock,
		Leaders: a.leadersAbove}
}

// projects builds the village project handlers; stateless like problems.
func (a *App) projects() *handlers.Projects {
	return &handlers.Projects{Store: a.DB, Out: a.Sender, Texts: a.Texts, Auth: a.Auth, Cfg: &a.Cfg.File,
		Loc: a.Cfg.Location, Log: a.Log, Now: a.Clock.Now, BotUsername: a.Me.Username}
}

// outboxFlagger adapts a function to outbox.Flagger.
type outboxFlagger func(ctx context.Context, ref, reason string) error

func (f outboxFlagger) Undeliverable(ctx context.Context, ref, reason string) error {
	return f(ctx, ref, reason)
}

// sight tells handlers whether the bot sees a group's plain messages.
func (a *App) sight() *bot.Sight {
	return &bot.Sight{ReadsAll: a.Me.CanReadAllGroupMessages, BotID: a.Me.ID, Auth: a.Auth, Store: a.DB}
}

// deptChats is where each department's cards go now: /bind, else its
// config chat_id followed to its supergroup.
func (a *App) deptChats(ctx context.Context) (map[string]int64, error) {
	bound, err := a.DB.DepartmentChats(ctx)
	if err != nil {
		return nil, err
	}
	moves, err := a.DB.ChatMoves(ctx)
	if err != nil {
		return nil, err
	}
	return digest.DeptChats(&a.Cfg.File, bound, moves), nil
}

// deptChat is the chat a department's cards go to now; 0 for none.
func (a *App) deptChat(ctx context.Context, dept string) (int64, error) {
	chats, err := a.deptChats(ctx)
	return chats[dept], err
}

// chatDepts names the departments whose chat chat is: config chat_id or
// /bind.
func (a *App) chatDepts(ctx context.Context, chat int64) ([]handlers.Department, error) {
	chats, err := a.deptChats(ctx)
	if err != nil {
		return nil, err
	}
	var out []handlers.Department
	for _, id := range digest.DeptsOfChat(&a.Cfg.File, chats, chat) {
		if d, ok := a.Cfg.File.Department(id); ok {
			out = append(out, handlers.Department{ID: d.ID, Name: d.Name})
		}
	}
	return out, nil
}

// unitTree builds the tree of units with every village group placed in
// it: two round trips for the groups, one each for the /leaders bindings
// and the migrations.
func (a *App) unitTree(ctx context.Context) (*units.Tree, error) {
	gs, err := a.DB.AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	return a.treeOf(ctx, gs)
}

// treeOf builds the tree of units with the village groups of gs placed,
// as digests build it.
func (a *App) treeOf(ctx context.Context, gs []*cadrebot.Group) (*units.Tree, error) {
	moves, err := a.DB.ChatMoves(ctx)
	if err != nil {
		return nil, err
	}
	return a.digests().Tree(ctx, gs, moves)
}

// leadersAbove lists the units above a village group that have a
// leaders' group, nearest first: where its overdue problems escalate. It
// needs only the village's own group, not every group.
func (a *App) leadersAbove(ctx context.Context, village int64) ([]units.Unit, error) {
	g, err := a.DB.Group(ctx, village)
	if errors.Is(err, cadrebot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := a.treeOf(ctx, []*cadrebot.Group{g})
	if err != nil {
		return nil, err
	}
	var out []units.Unit
	for _, u := range t.Above(village) {
		if u.Chat != 0 {
			out = append(out, *u)
		}
	}
	return out, nil
}
