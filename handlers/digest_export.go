package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/digest"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// maxUpload is Telegram's limit on a file a bot uploads.
const maxUpload = 50 << 20

// Export handles /export [YYYY-MM | FROM TO] [csv]: a workbook (or three
// CSV files) for the assessment, sent privately to the requester. In a
// group, group admins export the group; in a private chat, deployment
// admins export the whole deployment, as they do in the county chat.
func (d *Digests) Export() Func {
	return func(ctx context.Context, u *Update) error {
		per, csv, err := digest.ParseExport(u.Args, calendar.DateOf(u.Now.In(u.Loc)), u.Loc)
		if err != nil {
			return err
		}
		admin := d.Auth.IsDeploymentAdmin(u.From.ID)
		all := u.IsPrivate()
		if !all && d.Cfg.DigestChatID != 0 {
			moves, err := d.Store.ChatMoves(ctx)
			if err != nil {
				return err
			}
			all = u.ChatID == moves.Chat(d.Cfg.DigestChatID)
		}
		var s digestScope
		switch {
		case u.IsPrivate() && !admin:
			return cadrebot.Errorf("export_private_admin_only")
		case all && admin:
			s.deploy = true
		default:
			if err := requireGroupAdmin(ctx, d.Auth, u); err != nil {
				return err
			}
			if s, err = d.scopeOf(ctx, u); err != nil {
				return err
			}
			s.deploy = false
			if !s.village && len(s.depts) == 0 {
				return cadrebot.Errorf("export_nothing")
			}
		}
		if u.IsGroup() {
			// The file goes privately, which only works once the user
			// started the bot; say how before doing the work.
			st, err := d.Store.UserState(ctx, u.From.ID)
			if err != nil {
				return err
			}
			if !st.Started {
				return d.startFirst(ctx, u)
			}
		}
		x := ExportScope{All: s.deploy, Depts: s.depts}
		if s.village {
			x.Villages = []digest.VillageRef{{Chat: u.ChatID, Name: digest.VillageName(u.Group.Village, u.Group.Title)}}
		}
		base := "cadrebot-all"
		if !s.deploy {
			base = "cadrebot-" + strconv.FormatInt(u.ChatID, 10)
		}
		files, err := d.ExportFiles(ctx, x, per, u.Lang, csv, base)
		if err != nil {
			return err
		}
		scope := d.Texts.T(u.Lang, "export_scope_all")
		if !s.deploy {
			scope = i18n.Escape(u.Group.Title)
			if u.Group.IsVillage() {
				scope = i18n.Escape(u.Group.Village)
			}
		}
		caption := d.Texts.T(u.Lang, "export_caption", i18n.Args{"Scope": i18n.HTML(scope),
			"Range": i18n.HTML(d.composer().Range(u.Lang, per))})
		for i, f := range files {
			m := send.Message{ChatID: u.From.ID, Document: f}
			if i == 0 {
				m.Text = caption
			}
			if _, err := d.Out.Send(ctx, m); err != nil {
				if u.IsGroup() && d.Forbidden != nil && d.Forbidden(err) {
					return d.startFirst(ctx, u)
				}
				return err
			}
		}
		if u.IsGroup() {
			return Reply(ctx, d.Out, u, d.Texts.T(u.Lang, "export_sent", i18n.Args{"Name": DisplayName(u.From)}))
		}
		return nil
	}
}

// startFirst tells the requester, in the group, to start the bot
// privately, with a button that opens the private chat.
func (d *Digests) startFirst(ctx context.Context, u *Update) error {
	text := d.Texts.T(u.Lang, "export_start_first", i18n.Args{"Name": DisplayName(u.From), "Bot": d.BotUsername})
	var kb []send.Button
	if d.BotUsername != "" {
		kb = []send.Button{{Text: d.Texts.T(u.Lang, "export_start_button"), URL: "https://t.me/" + d.BotUsername + "?start=export"}}
	}
	if kb == nil {
		return Reply(ctx, d.Out, u, text)
	}
	return Reply(ctx, d.Out, u, text, kb)
}

// ExportScope is what an export covers: the whole deployment, or some
// village groups (their check-ins and problems) and departments (the
// problems they hold or held last).
type ExportScope struct {
	All      bool
	Villages []digest.VillageRef
	Depts    []string
}

// listsUpTo is how many villages and departments an export loads list by
// list (a round trip for the ids and one per 1,000 problems each); a
// larger scope, a town say, filters the period's problems of the whole
// deployment instead.
const listsUpTo = 8

// exportData loads an export's data: the problems of s reported in the
// range with their histories, and the check-ins of its village groups.
func (d *Digests) exportData(ctx context.Context, s ExportScope, per digest.Period) (*digest.ExportData, error) {
	x := &digest.ExportData{Period: per, Now: d.Now()}
	var ps []cadrebot.Problem
	var err error
	switch {
	case s.All:
		ids, err := d.Store.GroupIDs(ctx)
		if err != nil {
			return nil, err
		}
		gs, err := d.Store.Groups(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.IsVillage() {
				x.Villages = append(x.Villages, digest.VillageRef{Chat: g.ChatID, Name: digest.VillageName(g.Village, g.Title)})
			}
		}
		if ps, err = d.Store.ProblemsCreated(ctx, per.Start(), per.End()); err != nil {
			return nil, err
		}
	case len(s.Villages)+len(s.Depts) > listsUpTo:
		x.Villages = s.Villages
		all, err := d.Store.ProblemsCreated(ctx, per.Start(), per.End())
		if err != nil {
			return nil, err
		}
		chats := make(map[int64]bool, len(s.Villages))
		for _, v := range s.Villages {
			chats[v.Chat] = true
		}
		for _, p := range all {
			if chats[p.VillageChat] || slices.Contains(s.Depts, p.Dept) {
				ps = append(ps, p)
			}
		}
	default:
		x.Villages = s.Villages
		var lists []store.ProblemList
		for _, v := range s.Villages {
			lists = append(lists, store.ListVillage(v.Chat, false))
		}
		for _, dept := range s.Depts {
			lists = append(lists, store.ListDeptAll(dept))
		}
		for _, l := range lists {
			lp, err := d.Store.ProblemsOf(ctx, l)
			if err != nil {
				return nil, err
			}
			for _, p := range lp {
				if per.Contains(p.Created) {
					ps = append(ps, p)
				}
			}
		}
		// A group can be a village and a department at once: one copy each.
		slices.SortFunc(ps, func(a, b cadrebot.Problem) int { return cmp.Compare(a.ID, b.ID) })
		ps = slices.CompactFunc(ps, func(a, b cadrebot.Problem) bool { return a.ID == b.ID })
	}
	x.Problems = ps
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	if x.History, err = d.Store.Histories(ctx, ids); err != nil {
		return nil, err
	}
	chats := make([]int64, len(x.Villages))
	for i, v := range x.Villages {
		chats[i] = v.Chat
	}
	if x.Checkins, err = d.Store.CheckinPeriods(ctx, chats, per.From, per.To); err != nil {
		return nil, err
	}
	if d.composer().CheckinsFit(x) {
		if x.Details, err = d.Store.CheckinDetails(ctx, x.Checkins, per.From, per.To); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// ExportFiles builds the export of s over per, in lang: one workbook, or
// a CSV file per table. base starts the file names ("cadrebot-all"); the
// range follows it. /export sends the files; the dashboard serves the
// workbook as a download.
func (d *Digests) ExportFiles(ctx context.Context, s ExportScope, per digest.Period, lang string, csv bool, base string) ([]*send.File, error) {
	x, err := d.exportData(ctx, s, per)
	if err != nil {
		return nil, err
	}
	tables := d.composer().Tables(x, lang)
	base += "-" + strconv.Itoa(x.Period.From.Compact()) + "-" + strconv.Itoa(x.Period.To.Compact())
	var files []*send.File
	if csv {
		for _, t := range tables {
			b, err := digest.CSV(t)
			if err != nil {
				return nil, fmt.Errorf("export csv: %w", err)
			}
			files = append(files, &send.File{Name: base + "-" + t.File, Data: b})
		}
	} else {
		b, err := digest.XLSX(tables)
		if err != nil {
			return nil, err
		}
		files = append(files, &send.File{Name: base + ".xlsx", Data: b})
	}
	for _, f := range files {
		if len(f.Data) > maxUpload {
			return nil, cadrebot.Errorf("export_too_big", "MB", len(f.Data)>>20)
		}
	}
	return files, nil
}
