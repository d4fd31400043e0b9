package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cadrebot"
)

const jobRetention = "retention_sweep"

// retentionSweep deletes what the retention settings say to forget: chats
// never set up and unseen for retention.chats, undeliverable records older
// than retention.undeliverable. Users expire by themselves (store.SetUser).
func (a *App) retentionSweep(ctx context.Context, at time.Time) error {
	r := a.Cfg.File.Retention
	chats, err := a.DB.SweepTransient(ctx, at.Add(-r.Chats.Duration))
	if err != nil {
		return fmt.Errorf("sweep chats: %w", err)
	}
	recs, err := a.DB.PruneUndeliverable(ctx, at.Add(-r.Undeliverable.Duration))
	if err != nil {
		return fmt.Errorf("prune undeliverable records: %w", err)
	}
	if chats+recs > 0 {
		a.Log.Info("retention: forgot chats never set up and old records", "chats", chats, "undeliverable", recs)
	}
	return nil
}

// seedApprovals approves, once, the groups the config trusts from the
// start: villages it lists and approved_chats. From then on the group's
// own record says whether it is approved, wherever it is asked.
func (a *App) seedApprovals(ctx context.Context) error {
	f := &a.Cfg.File
	if !f.ApprovalRequired() {
		return nil
	}
	moves, err := a.DB.ChatMoves(ctx)
	if err != nil {
		return err
	}
	chats := slices.Clone(f.ApprovedChats)
	for _, v := range f.Villages {
		chats = append(chats, v.ChatID)
	}
	yes := true
	for _, c := range chats {
		chat := moves.Chat(c)
		g, err := a.DB.Group(ctx, chat)
		if err != nil && !errors.Is(err, cadrebot.ErrNotFound) {
			return err
		}
		if g != nil && g.Approved {
			continue
		}
		if err := a.DB.UpdateGroup(ctx, chat, cadrebot.GroupPatch{Approved: &yes}); err != nil {
			return err
		}
	}
	return nil
}

// seedConfigChats marks each department chat and each leaders' group
// named in the config as such, as /bind and /leaders do, so it is a
// configured group: kept for good, and found by the digest job. A chat
// that already names a department or unit keeps it (a /bind or /leaders
// since may have moved it).
func (a *App) seedConfigChats(ctx context.Context) error {
	moves, err := a.DB.ChatMoves(ctx)
	if err != nil {
		return err
	}
	seed := func(chat int64, set func(g *cadrebot.Group) *cadrebot.GroupPatch) error {
		if chat == 0 {
			return nil
		}
		chat = moves.Chat(chat)
		g, err := a.DB.Group(ctx, chat)
		if err != nil && !errors.Is(err, cadrebot.ErrNotFound) {
			return err
		}
		p := set(g)
		if p == nil {
			return nil
		}
		return a.DB.UpdateGroup(ctx, chat, *p)
	}
	for _, d := range a.Cfg.File.Departments {
		id := d.ID
		if err := seed(d.ChatID, func(g *cadrebot.Group) *cadrebot.GroupPatch {
			if g != nil && g.Dept != "" {
				return nil
			}
			return &cadrebot.GroupPatch{Dept: &id}
		}); err != nil {
			return err
		}
	}
	for _, u := range a.Cfg.File.Units {
		id := u.ID
		if err := seed(u.ChatID, func(g *cadrebot.Group) *cadrebot.GroupPatch {
			if g != nil && g.Leads != "" {
				return nil
			}
			return &cadrebot.GroupPatch{Leads: &id}
		}); err != nil {
			return err
		}
	}
	return nil
}
