package app

import (
	"cadrebot/handlers"
)

// jobDeploymentDigest and jobDigestRetry are the global digest jobs; the
// per-group one is handlers.JobWeeklyDigest.
const (
	jobDeploymentDigest = "deployment_digest"
	jobDigestRetry      = "digest_retry"
	// digestRetrySpec runs the sweep at fixed minutes of the hour.
	digestRetrySpec = "*/10 * * * *"
)

// digests builds the digest, /stats and /export handlers. Each call
// makes a new value: the scheduler's jobs share one, so the groups of a
// firing share one load of the deployment's data.
func (a *App) digests() *handlers.Digests {
	return &handlers.Digests{Store: a.DB, Out: a.Sender, Texts: a.Texts, Auth: a.Auth,
		Cal: a.Calendar, Cfg: &a.Cfg.File, Loc: a.Cfg.Location, Now: a.Clock.Now, Log: a.Log,
		BotUsername: a.Me.Username}
}
