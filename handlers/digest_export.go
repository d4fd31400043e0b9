package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/digest"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/units"
)

// maxUpload is Telegram's limit on a file a bot uploads.
const maxUpload = 50 << 20

// Export handles /export [YYYY-MM | YYYY-Qn | YYYY | FROM TO] [csv]: the
// assessment's (考核) workbook, or a CSV file per sheet, sent privately to
// the requester. In a group, group admins export the group (a leaders'
// group its unit's subtree); in a private chat, deployment admins export
// the whole deployment, as they do in the county chat.
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
			if !s.village && len(s.depts) == 0 && s.unit == nil {
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
		x := ExportScope{All: s.deploy, Unit: s.unit, Depts: s.depts, Name: strconv.FormatInt(u.ChatID, 10)}
		if s.deploy {
			x.Name = "all"
		}
		if s.village {
			x.Village = u.Group
		}
		files, err := d.ExportFiles(ctx, x, per, u.Lang, csv)
		if err != nil {
			return err
		}
		scope := d.Texts.T(u.Lang, "export_scope_all")
		switch {
		case s.deploy:
		case s.unit != nil:
			scope = i18n.Escape(s.unit.Label(u.Lang))
		case u.Group.IsVillage():
			scope = i18n.Escape(u.Group.Village)
		default:
			scope = i18n.Escape(u.Group.Title)
		}
		caption := d.Texts.T(u.Lang, "export_caption", i18n.Args{"Scope": i18n.HTML(scope),
			"Range": i18n.HTML(d.composer().Range(u.Lang, per))})
		for i, f := range files {
			m := send.Message{ChatID: u.From.ID, Document: f}
			if i == 0 {
				m.Text = caption
			}
			if _, err := d.Out.Send(ctx, m); err != nil {
				if u.IsGroup() && send.IsForbidden(err) {
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

// ExportScope is what an export covers, as /export in a chat or the
// leaders' dashboard decides it: the whole deployment (All), a unit's
// subtree (Unit), or a village group's own village (Village) and
// departments (Depts).
type ExportScope struct {
	All     bool
	Unit    *units.Unit
	Village *cadrebot.Group
	Depts   []string
	// Name goes in the files' names: "cadrebot-<Name>-2026-Q4.xlsx".
	Name string
}

// exportData loads an export's data: the problems reported in the range
// with their histories, and the check-ins and service records of the
// village groups in scope, placed in the hierarchy: the whole deployment,
// a unit's subtree, or a group's own village (and departments).
func (d *Digests) exportData(ctx context.Context, s ExportScope, per digest.Period) (*digest.ExportData, error) {
	x := &digest.ExportData{Period: per, Now: d.Now()}
	var ps []cadrebot.Problem
	var err error
	if s.All || s.Unit != nil {
		gs, err := d.Store.AllGroups(ctx)
		if err != nil {
			return nil, err
		}
		moves, err := d.Store.ChatMoves(ctx)
		if err != nil {
			return nil, err
		}
		if x.Tree, err = d.Tree(ctx, gs, moves); err != nil {
			return nil, err
		}
		x.Whole = true
		if s.Unit != nil {
			x.Unit = s.Unit.ID
		}
		for _, v := range x.Tree.Villages(x.Unit) {
			x.Villages = append(x.Villages, digest.VillageRef{Chat: v.Chat, Name: v.Name})
		}
		if ps, err = d.Store.ProblemsCreated(ctx, per.Start(), per.End()); err != nil {
			return nil, err
		}
		ps = slices.DeleteFunc(ps, func(p cadrebot.Problem) bool { return s.Unit != nil && !x.Tree.Contains(x.Unit, p.VillageChat) })
		if x.Projects, err = d.Store.ProjectsOf(ctx, cadrebot.AllProjects); err != nil {
			return nil, err
		}
		x.Projects = slices.DeleteFunc(x.Projects, func(p cadrebot.Project) bool {
			return s.Unit != nil && !x.Tree.Contains(x.Unit, p.VillageChat)
		})
	} else {
		f, err := d.loadOwn(ctx, s.Village, s.Depts, per)
		if err != nil {
			return nil, err
		}
		x.Villages = f.villages
		if s.Village != nil {
			// The village's place in the hierarchy names its town.
			moves, err := d.Store.ChatMoves(ctx)
			if err != nil {
				return nil, err
			}
			if x.Tree, err = d.Tree(ctx, []*cadrebot.Group{s.Village}, moves); err != nil {
				return nil, err
			}
		}
		for _, p := range f.data.Problems {
			if per.Contains(p.Created) {
				ps = append(ps, p)
			}
		}
		x.Projects = f.data.Projects
	}
	pids := make([]int64, len(x.Projects))
	for i, p := range x.Projects {
		pids[i] = p.ID
	}
	if x.ProjectHistory, err = d.Store.ProjectHistories(ctx, pids); err != nil {
		return nil, err
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

// ExportFiles builds the export of s over per in lang, as one workbook or
// a CSV file per sheet, named by scope and period:
// cadrebot-all-2026-Q4.xlsx, cadrebot--1001234-2026-11.xlsx,
// cadrebot-all-20261101-20261115.xlsx. /export sends the files; the
// leaders' dashboard serves the workbook as a download.
func (d *Digests) ExportFiles(ctx context.Context, s ExportScope, per digest.Period, lang string, csv bool) ([]*send.File, error) {
	x, err := d.exportData(ctx, s, per)
	if err != nil {
		return nil, err
	}
	tables := d.composer().Tables(x, lang)
	base := "cadrebot-" + s.Name
	if whole(per) {
		base += "-" + per.ID()
	} else {
		base += "-" + strconv.Itoa(x.Period.From.Compact()) + "-" + strconv.Itoa(x.Period.To.Compact())
	}
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

// whole reports whether per is a whole month, quarter or year, not one
// cut at today: its file is named by it ("2026-Q4") rather than by dates.
func whole(per digest.Period) bool {
	var full digest.Period
	switch per.Kind {
	case digest.Month:
		full = digest.MonthOf(per.From.Year, per.From.Month, per.Loc)
	case digest.Quarter:
		full = digest.QuarterOf(per.From.Year, (int(per.From.Month)-1)/3+1, per.Loc)
	case digest.Year:
		full = digest.YearOf(per.From.Year, per.Loc)
	default:
		return false
	}
	return per.To == full.To
}
