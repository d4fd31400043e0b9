package app

import (
	"github.com/bsm/redislock"

	"cadrebot/handlers"
	"cadrebot/scheduler"
)

type jobCounter struct{ a *App }

func (c jobCounter) Inc(job, result string) { c.a.Metrics.JobRuns.WithLabelValues(job, result).Inc() }

// buildScheduler lists every timed job with its schedule.
func (a *App) buildScheduler() *scheduler.Scheduler {
	var jobs []scheduler.Job
	jobs = append(jobs, a.checkinJobs()...)
	pr := a.problems()
	jobs = append(jobs,
		scheduler.Job{Name: "overdue_sweep", Spec: a.Cfg.File.Schedules.OverdueSweep, Global: pr.OverdueSweep, CatchUp: scheduler.Always},
		scheduler.Job{Name: "resolved_sweep", Spec: a.Cfg.File.Schedules.ResolvedSweep, Global: pr.ResolvedSweep, CatchUp: scheduler.Always},
		// Milestone reminders and overdue notices; each is once per
		// milestone and due date, so a late run only catches up.
		scheduler.Job{Name: handlers.JobProjectSweep, Spec: a.Cfg.File.Schedules.ProjectSweep, Global: a.projects().Sweep,
			CatchUp: scheduler.Always},
	)
	// Weekly digests (docs/digests.md): village and department groups in
	// their own zones, the county chat, and a sweep that sends what a
	// failure or a restart held back.
	dg := a.digests()
	spec := a.Cfg.File.Schedules.WeeklyDigest
	jobs = append(jobs,
		scheduler.Job{Name: handlers.JobWeeklyDigest, Spec: spec, Group: dg.WeeklyDigest, Groups: dg.IsDigestGroup, CatchUp: scheduler.Always},
		scheduler.Job{Name: jobDeploymentDigest, Spec: spec, Global: dg.DeploymentDigest, CatchUp: scheduler.Always},
		scheduler.Job{Name: jobDigestRetry, Spec: digestRetrySpec, Global: dg.RetryDigests, CatchUp: scheduler.Always},
		a.retentionJob(),
	)
	return scheduler.New(a.Clock, a.DB, redislock.New(a.DB.Client()), a.Cfg.Location, a.Log, jobCounter{a}, jobs...)
}
