package app

import (
	"context"

	"cadrebot/dashboard"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/send"
)

// buildDashboard wires the leaders' dashboard: its pages read the
// deployment through dashboard.Deployment over the digests' unit tree
// (Digests.Tree), computing with the digest code, and its export is
// /export's (Digests.ExportFiles).
func (a *App) buildDashboard() (*dashboard.Server, error) {
	cfg := a.Cfg
	dg := a.digests()
	src := &dashboard.Deployment{Store: a.DB, Members: a.Auth, Tree: dg.Tree, Cfg: &cfg.File, Cal: a.Calendar, Loc: cfg.Location,
		Now: a.Clock.Now,
		Workbook: func(ctx context.Context, s dashboard.ExportScope, per digest.Period, lang string) (*send.File, error) {
			x := handlers.ExportScope{All: s.All, Unit: s.Unit, Village: s.Village, Name: s.Name}
			if s.Dept != "" {
				x.Depts = []string{s.Dept}
			}
			files, err := dg.ExportFiles(ctx, x, per, lang, false)
			if err != nil {
				return nil, err
			}
			return files[0], nil
		}}
	return &dashboard.Server{Units: src, Figures: src, Problems: src, Export: src, Files: a.API, Sessions: a.DB,
		Texts: a.Texts, Cfg: &cfg.File, Token: cfg.Env.Token, PublicURL: cfg.Env.PublicURL, Loc: cfg.Location,
		Now: a.Clock.Now, Log: a.Log, SessionTTL: cfg.File.Dashboard.SessionTTL.Duration}, nil
}

// Dashboard is the leaders' dashboard, nil until Run has built it (Ready
// is closed after): the playground signs its visitors in with it.
func (a *App) Dashboard() *dashboard.Server { return a.dash }
