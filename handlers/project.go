package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/send"
)

// ProjectStore is what village projects need from the store.
type ProjectStore interface {
	CreateProject(ctx context.Context, p *cadrebot.Project, e cadrebot.ProjectEntry) (int64, error)
	Project(ctx context.Context, id int64) (cadrebot.Project, error)
	ApplyProject(ctx context.Context, old, p cadrebot.Project, es []cadrebot.ProjectEntry) error
	AddProjectNote(ctx context.Context, id int64, e cadrebot.ProjectEntry) (int, error)
	AddProjectNotePhoto(ctx context.Context, id int64, idx int, fileID string, max int) (bool, error)
	AddProjectHistory(ctx context.Context, id int64, e cadrebot.ProjectEntry) error
	ProjectHistory(ctx context.Context, id int64) ([]cadrebot.ProjectEntry, error)
	ProjectsOf(ctx context.Context, l cadrebot.ProjectSet) ([]cadrebot.Project, error)
	MarkProject(ctx context.Context, id int64, name, value string) (bool, error)
	SetProjectAlbum(ctx context.Context, chat int64, group string, id int64, idx int, user int64) error
	ProjectAlbum(ctx context.Context, chat int64, group string) (id int64, idx int, user int64, err error)
	Roster(ctx context.Context, chat int64) ([]cadrebot.Member, error)
	UserState(ctx context.Context, user int64) (cadrebot.UserState, error)
	Group(ctx context.Context, chat int64) (*cadrebot.Group, error)
	Groups(ctx context.Context, chats []int64) ([]*cadrebot.Group, error)
	FormAndMessages(ctx context.Context, chat, user int64, kind string) ([]byte, map[int]string, error)
	SaveForm(ctx context.Context, chat, user int64, kind string, data []byte, ttl time.Duration) error
	DeleteForm(ctx context.Context, chat, user int64, kind string) error
}

// Projects handles village projects (项目): the /project dialog, /projects,
// /project P<N>, /progress, the milestone buttons and the daily sweep that
// reminds lead cadres and tells groups of slipped milestones.
//
// Who may do what: any cadre of the village (on its roster) or an admin
// of its group creates a project and adds progress notes; the lead cadre,
// the village group's admins and deployment admins mark milestones done.
// A project is read in its village group, in its lead's private chat, and
// by the village group's admins and deployment admins anywhere.
type Projects struct {
	Store ProjectStore
	Out   Sender
	Texts Texts
	Auth  Auth
	Cfg   *config.File
	// Loc is the deployment's zone; a village's own zone wins for its
	// projects' dates.
	Loc *time.Location
	Log *slog.Logger
	Now func() time.Time
	// BotUsername tells a lead cadre where to start the bot privately.
	BotUsername string
}

func (h *Projects) log() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}

func (h *Projects) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

// label is how a project is named in messages: "P3", apart from the
// problems' "#3".
func label(id int64) string { return "P" + strconv.FormatInt(id, 10) }

// villageOf is the village's group, with its zone and language.
func (h *Projects) villageOf(ctx context.Context, chat int64) (*cadrebot.Group, *time.Location, string) {
	g, err := h.Store.Group(ctx, chat)
	if err != nil {
		g = nil
	}
	loc, lang := h.zoneLang(g)
	return g, loc, lang
}

// zoneLang is a village group's zone and language (nil: the deployment's).
func (h *Projects) zoneLang(g *cadrebot.Group) (*time.Location, string) {
	lang := h.Cfg.Language
	if g != nil && g.Lang != "" {
		lang = g.Lang
	}
	return g.Location(h.Loc), lang
}

// onRoster reports whether user is a cadre of chat's roster.
func (h *Projects) onRoster(ctx context.Context, chat, user int64) (bool, error) {
	ms, err := h.Store.Roster(ctx, chat)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m cadrebot.Member) bool { return m.UserID == user }), nil
}

// villageAdmin reports whether user administers chat or the deployment.
func (h *Projects) villageAdmin(ctx context.Context, chat, user int64) (bool, error) {
	if h.Auth.IsDeploymentAdmin(user) {
		return true, nil
	}
	return h.Auth.IsGroupAdmin(ctx, chat, user)
}

// mayWrite reports whether user may create a project in chat or add
// progress to one of its projects: a cadre on its roster or an admin.
func (h *Projects) mayWrite(ctx context.Context, chat, user int64) (bool, error) {
	if ok, err := h.villageAdmin(ctx, chat, user); err != nil || ok {
		return ok, err
	}
	return h.onRoster(ctx, chat, user)
}

// mayComplete reports whether user may mark p's milestones done: its lead
// cadre or an admin of its village.
func (h *Projects) mayComplete(ctx context.Context, p *cadrebot.Project, user int64) (bool, error) {
	if user == p.Lead {
		return true, nil
	}
	return h.villageAdmin(ctx, p.VillageChat, user)
}

// maySee keeps a project to the chats that deal with it: in a group, its
// village group only; privately, its lead, the village group's admins and
// deployment admins.
func (h *Projects) maySee(ctx context.Context, u *Update, p *cadrebot.Project) (bool, error) {
	if u.IsGroup() {
		// Whoever asks: an admin's right to read does not carry a
		// project into another group.
		return u.ChatID == p.VillageChat, nil
	}
	if u.From.ID == p.Lead {
		return true, nil
	}
	return h.villageAdmin(ctx, p.VillageChat, u.From.ID)
}

// day formats a milestone's date in loc.
func day(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }

// milestoneLine is one milestone: done, overdue or open.
func (h *Projects) milestoneLine(lang string, m cadrebot.Milestone, loc *time.Location, now time.Time) string {
	id := "pj_ms_open"
	switch {
	case m.Done():
		id = "pj_ms_done"
	case m.Overdue(now):
		id = "pj_ms_overdue"
	}
	at := ""
	if m.Done() {
		at = day(m.DoneAt, loc)
	}
	return h.Texts.T(lang, id, i18n.Args{"Due": day(m.Due, loc), "Name": m.Name, "By": m.DoneBy, "At": at})
}

// listLine is one project in /projects.
func (h *Projects) listLine(lang string, p *cadrebot.Project, loc *time.Location, now time.Time) string {
	done, total := p.Progress()
	a := i18n.Args{"P": label(p.ID), "Name": p.Name, "Lead": p.LeadName, "Done": done, "Total": total,
		"Overdue": len(p.Overdue(now))}
	if p.Done() {
		a["At"] = day(p.DoneAt, loc)
		return h.Texts.T(lang, "pj_list_done", a)
	}
	if i := p.Next(); i >= 0 {
		a["Next"], a["Due"] = p.Milestones[i].Name, day(p.Milestones[i].Due, loc)
	}
	return h.Texts.T(lang, "pj_list_line", a)
}

// detail renders a project in full: its milestones, its latest notes,
// and a button for each open milestone, for those who may press them.
func (h *Projects) detail(lang string, p *cadrebot.Project, hist []cadrebot.ProjectEntry, loc *time.Location, now time.Time) (string, [][]send.Button) {
	T := func(id string, a ...i18n.Args) string { return h.Texts.T(lang, id, a...) }
	var b strings.Builder
	status := "pj_status_active"
	if p.Done() {
		status = "pj_status_done"
	}
	done, total := p.Progress()
	b.WriteString(T("pj_detail_head", i18n.Args{"P": label(p.ID), "Name": p.Name, "Status": i18n.HTML(T(status))}))
	b.WriteString("\n" + T("pj_detail_village", i18n.Args{"Village": p.Village}))
	b.WriteString("\n" + T("pj_detail_lead", i18n.Args{"Lead": p.LeadName, "Budget": p.Budget}))
	if p.Desc != "" {
		// Clipped so that the detail stays one message, which a press
		// edits in place; the export has it whole.
		b.WriteString("\n<blockquote>" + i18n.Escape(clip(p.Desc, 600)) + "</blockquote>")
	}
	b.WriteString("\n" + T("pj_detail_ms_head", i18n.Args{"Done": done, "Total": total}))
	for _, m := range p.Milestones {
		b.WriteString("\n" + h.milestoneLine(lang, m, loc, now))
	}
	var notes []cadrebot.ProjectEntry
	for _, e := range hist {
		if e.Action == cadrebot.PjNote {
			notes = append(notes, e)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + T("pj_detail_notes_head", i18n.Args{"Count": len(notes)}))
		for _, e := range notes[max(0, len(notes)-maxNotesShown):] {
			b.WriteString("\n" + T("pj_detail_note", i18n.Args{"At": day(e.At, loc), "Name": e.Name, "Note": clip(e.Note, 200),
				"Photos": len(e.Photos)}))
		}
	}
	return b.String(), h.milestoneButtons(lang, p)
}

// maxNotesShown bounds the notes /project P<N> lists; the export has all.
const maxNotesShown = 5

// milestoneButtons offer "done" for each open milestone, by due date.
func (h *Projects) milestoneButtons(lang string, p *cadrebot.Project) [][]send.Button {
	var rows [][]send.Button
	for i, m := range p.Milestones {
		if !m.Done() {
			rows = append(rows, []send.Button{{Text: h.Texts.T(lang, "pj_btn_done", i18n.Args{"Name": clip(m.Name, 24)}),
				Data: pmData(p.ID, p.Version, i)}})
		}
	}
	return rows
}

// pmData builds a milestone button's data: "pm:d:<project>:<version>:<index>".
func pmData(id, ver int64, i int) string {
	return PrefixMilestone + ":d:" + strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(ver, 10) + ":" + strconv.Itoa(i)
}

func parsePM(data string) (id, ver int64, i int, ok bool) {
	f := strings.Split(data, ":")
	if len(f) != 5 || f[0] != PrefixMilestone || f[1] != "d" {
		return 0, 0, 0, false
	}
	var e1, e2, e3 error
	id, e1 = strconv.ParseInt(f[2], 10, 64)
	ver, e2 = strconv.ParseInt(f[3], 10, 64)
	i, e3 = strconv.Atoi(f[4])
	return id, ver, i, e1 == nil && e2 == nil && e3 == nil && id > 0 && ver >= 0 && i >= 0
}

// List handles /projects: a village group's projects with their
// progress; privately, the projects one leads; elsewhere, for deployment
// admins, every open project.
func (h *Projects) List() Func {
	return func(ctx context.Context, u *Update) error {
		var l cadrebot.ProjectSet
		where := ""
		switch {
		case u.IsGroup() && u.Group.IsVillage():
			l, where = cadrebot.VillageProjects(u.ChatID), villageName(u.Group)
		case u.IsPrivate() && h.Auth.IsDeploymentAdmin(u.From.ID):
			l = cadrebot.OpenProjects
		case u.IsPrivate():
			l = cadrebot.ProjectsLedBy(u.From.ID)
		default:
			return cadrebot.Errorf("pj_err_where")
		}
		ps, err := h.Store.ProjectsOf(ctx, l)
		if err != nil {
			return err
		}
		// Open ones first, the nearest due first; then the finished, the
		// latest first.
		slices.SortStableFunc(ps, func(a, b cadrebot.Project) int {
			if a.Done() != b.Done() {
				if a.Done() {
					return 1
				}
				return -1
			}
			if a.Done() {
				return b.DoneAt.Compare(a.DoneAt)
			}
			return nextDue(&a).Compare(nextDue(&b))
		})
		active := 0
		for i := range ps {
			if !ps[i].Done() {
				active++
			}
		}
		var b strings.Builder
		b.WriteString(h.Texts.T(u.Lang, "pj_list_title", i18n.Args{"Where": where, "Active": active, "Done": len(ps) - active}))
		if len(ps) == 0 {
			b.WriteString("\n" + h.Texts.T(u.Lang, "pj_list_empty"))
		}
		for i := range ps {
			if i == maxListed {
				b.WriteString("\n" + h.Texts.T(u.Lang, "pj_list_more", i18n.Args{"N": len(ps) - maxListed}))
				break
			}
			b.WriteString("\n" + h.listLine(u.Lang, &ps[i], u.Loc, u.Now))
		}
		if len(ps) > 0 {
			b.WriteString("\n\n" + h.Texts.T(u.Lang, "pj_list_hint", i18n.Args{"P": label(ps[0].ID)}))
		}
		return Reply(ctx, h.Out, u, b.String())
	}
}

// maxListed bounds /projects to one message.
const maxListed = 30

func nextDue(p *cadrebot.Project) time.Time {
	if i := p.Next(); i >= 0 {
		return p.Milestones[i].Due
	}
	return time.Time{}
}

// Project handles /project: "/project P3" (or 3) shows project 3 with a
// button for each open milestone; otherwise it starts the dialog that
// creates one, "/project NAME" with the name given.
func (h *Projects) Project() Func {
	return func(ctx context.Context, u *Update) error {
		arg := strings.TrimSpace(u.Args)
		if id, ok := cadrebot.ParseProjectID(arg); ok {
			return h.show(ctx, u, id)
		}
		return h.startDialog(ctx, u, arg)
	}
}

// hidden is the answer for someone who may not see project id: the same
// as for a number that does not exist.
func hidden(id int64) error { return cadrebot.Errorf("pj_err_no_access", "P", label(id)) }

// load reads a project; hidden(id) when there is none.
func (h *Projects) load(ctx context.Context, id int64) (cadrebot.Project, error) {
	p, err := h.Store.Project(ctx, id)
	if errors.Is(err, cadrebot.ErrNotFound) {
		return p, hidden(id)
	}
	return p, err
}

// show answers /project P<N>.
func (h *Projects) show(ctx context.Context, u *Update, id int64) error {
	p, err := h.load(ctx, id)
	if err != nil {
		return err
	}
	ok, err := h.maySee(ctx, u, &p)
	if err != nil {
		return err
	}
	if !ok {
		return hidden(id)
	}
	hist, err := h.Store.ProjectHistory(ctx, id)
	if err != nil {
		return err
	}
	_, loc, _ := h.villageOf(ctx, p.VillageChat)
	text, kb := h.detail(u.Lang, &p, hist, loc, u.Now)
	if u.ChatID != p.VillageChat && u.From.ID != p.Lead {
		// Milestones are marked done in the village group or by the
		// lead (Button takes presses there only): no buttons elsewhere.
		kb = nil
	}
	return Reply(ctx, h.Out, u, text, kb...)
}

// Button handles "pm:" buttons: a milestone marked done, from the
// project's detail, the lead's reminder or the group's overdue notice.
// The press is checked against the message (offered) and the project:
// its version, an open milestone, a chat where the bot offers it, and a
// presser who may.
func (h *Projects) Button() Func {
	return func(ctx context.Context, u *Update) error {
		id, ver, i, ok := parsePM(u.Callback.Data)
		if !ok || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		p, err := h.Store.Project(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if err != nil {
			return err
		}
		if u.ChatID != p.VillageChat && !(u.IsPrivate() && u.ChatID == p.Lead) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if p.Version != ver {
			return h.stale(ctx, u, &p)
		}
		if i >= len(p.Milestones) || p.Milestones[i].Done() {
			// The version matches, so the message never offered it.
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		may, err := h.mayComplete(ctx, &p, u.From.ID)
		if err != nil {
			return err
		}
		if !may {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pj_err_done_forbidden", i18n.Args{"P": label(p.ID),
				"Lead": p.LeadName})), true)
		}
		next, es, err := cadrebot.CompleteMilestone(p, i, DisplayName(u.From), u.Now)
		if err != nil {
			return err
		}
		es[0].By = u.From.ID
		if err := h.Store.ApplyProject(ctx, p, next, es); errors.Is(err, cadrebot.ErrConflict) {
			if cur, lerr := h.Store.Project(ctx, id); lerr == nil {
				return h.stale(ctx, u, &cur)
			}
			return cadrebot.Errorf("err_stale_button")
		} else if err != nil {
			return err
		}
		h.redraw(ctx, u, &next)
		h.announceDone(ctx, &next, i, DisplayName(u.From))
		return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pj_done_toast", i18n.Args{"Name": p.Milestones[i].Name})), false)
	}
}

// stale answers a press on a message drawn for an older version and
// redraws it as the project now is.
func (h *Projects) stale(ctx context.Context, u *Update, p *cadrebot.Project) error {
	h.redraw(ctx, u, p)
	return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pj_err_stale", i18n.Args{"P": label(p.ID)})), true)
}

// redraw turns the pressed message into the project's detail as it is.
func (h *Projects) redraw(ctx context.Context, u *Update, p *cadrebot.Project) {
	hist, err := h.Store.ProjectHistory(ctx, p.ID)
	if err != nil {
		h.log().Warn("project history", "project", p.ID, "err", err)
	}
	_, loc, _ := h.villageOf(ctx, p.VillageChat)
	text, kb := h.detail(u.Lang, p, hist, loc, u.Now)
	if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, kb); err != nil {
		h.log().Warn("redraw project", "project", p.ID, "err", err)
	}
}

// announceDone tells the village group a milestone is done, and when it
// was the last, that the project is.
func (h *Projects) announceDone(ctx context.Context, p *cadrebot.Project, i int, by string) {
	_, _, lang := h.villageOf(ctx, p.VillageChat)
	done, total := p.Progress()
	id := "pj_note_done"
	if p.Done() {
		id = "pj_note_complete"
	}
	m := send.Message{ChatID: p.VillageChat, Ref: pjRef(p.ID), Key: fmt.Sprintf("pj:%d:v%d", p.ID, p.Version),
		Text: h.Texts.T(lang, id, i18n.Args{"P": label(p.ID), "Project": p.Name, "Name": p.Milestones[i].Name, "By": by,
			"Done": done, "Total": total})}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("milestone announcement not sent", "project", p.ID, "err", err)
	}
}

// pjRef ties a project's messages to it in the outbox.
func pjRef(id int64) string { return "project:" + strconv.FormatInt(id, 10) }
