package app

import (
	"cadrebot/scheduler"
)

type jobCounter struct{ a *App }

func (c jobCounter) Inc(job, result string) { c.a.Metrics.JobRuns.WithLabelValues(job, result).Inc() }

// buildScheduler runs the jobs routes.go lists on the bot's clock.
func (a *App) buildScheduler() *scheduler.Scheduler {
	return scheduler.New(a.Clock, a.DB, a.Cfg.Location, a.Log, jobCounter{a}, a.buildJobs()...)
}
