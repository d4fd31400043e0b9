package app

import (
	"cadrebot/bot"
	"cadrebot/handlers"
)

// buildRoutes is the one list of everything the bot answers to: commands,
// buttons and kinds of message, each with its handler.
func (a *App) buildRoutes() bot.Routes {
	cfg := a.Cfg
	out, texts, db, auth := a.Sender, a.Texts, a.DB, a.Auth
	depts := make([]handlers.Department, 0, len(cfg.File.Departments))
	for _, d := range cfg.File.Departments {
		depts = append(depts, handlers.Department{ID: d.ID, Name: d.Name})
	}
	menu := []string{"help", "setup", "join", "roster", "lang", "bind", "approve"}
	r := bot.Routes{
		Commands:  map[string]handlers.Func{},
		Menu:      menu,
		Open:      map[string]bool{"start": true, "help": true},
		Callbacks: map[string]handlers.Func{},
	}
	help := handlers.Help(out, texts, menu)
	r.Commands["start"] = help
	r.Commands["help"] = help
	r.Commands["setup"] = handlers.Setup(db, auth, out, texts)
	r.Commands["bind"] = handlers.Bind(db, auth, out, texts, depts)
	r.Commands["join"] = handlers.Join(db, out, texts)
	r.Commands["roster"] = handlers.Roster(db, out, texts)
	r.Commands["approve"] = handlers.Approve(db, auth, out, texts)
	r.Commands["lang"] = handlers.Lang(db, auth, out, texts)
	r.Members = handlers.Members(db, out, texts, a.Me.ID, cfg.File.Approval)
	return r
}
