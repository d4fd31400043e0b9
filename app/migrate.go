package app

import (
	"context"
	"slices"

	"cadrebot"
)

// followConfig is a migration hook for what the config says about a
// group by its old chat id and that resolving ids through the store's
// moves does not reach: the router's list of approved chats, and the
// digest job's quick test of which groups may be a department's or a
// unit's leaders' group (it has no Redis at hand). Both are carried over as settings of the new
// supergroup. Like every hook it may run more than once.
func (a *App) followConfig(ctx context.Context, from, to int64) error {
	f := &a.Cfg.File
	var p cadrebot.GroupPatch
	if slices.Contains(f.ApprovedChats, from) {
		approved := true
		p.Approved = &approved
	}
	if d, ok := f.DepartmentByChat(from); ok {
		bound, err := a.DB.DepartmentChats(ctx)
		if err != nil {
			return err
		}
		// A /bind elsewhere took the department away from this chat.
		if c, ok := bound[d.ID]; !ok || c == to {
			p.Dept = &d.ID
		}
	}
	for _, u := range f.Units {
		if u.ChatID == 0 || u.ChatID != from {
			continue
		}
		bound, err := a.DB.UnitChats(ctx)
		if err != nil {
			return err
		}
		// A /leaders elsewhere took the unit away from this chat.
		if c, ok := bound[u.ID]; !ok || c == to {
			p.Leads = &u.ID
		}
	}
	if p.Approved == nil && p.Dept == nil && p.Leads == nil {
		return nil
	}
	return a.DB.UpdateGroup(ctx, to, p)
}
