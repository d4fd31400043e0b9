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
	"cadrebot/clock"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/units"
)

// ProblemStore is what problem reports need from the store.
type ProblemStore interface {
	CreateProblem(ctx context.Context, p *cadrebot.Problem, e cadrebot.Entry, unlessDuplicate bool) (int64, error)
	Problem(ctx context.Context, id int64) (cadrebot.Problem, error)
	Problems(ctx context.Context, ids []int64) ([]cadrebot.Problem, error)
	ApplyProblem(ctx context.Context, old, p cadrebot.Problem, e cadrebot.Entry) error
	AddMeToo(ctx context.Context, id int64, e cadrebot.Entry) (cadrebot.Problem, error)
	AddProblemHistory(ctx context.Context, id int64, e cadrebot.Entry) error
	SetProblemStage(ctx context.Context, id int64, stage int, e cadrebot.Entry) error
	SetProblemAsked(ctx context.Context, id int64, at time.Time, e cadrebot.Entry) error
	History(ctx context.Context, id int64) ([]cadrebot.Entry, error)
	ProblemPage(ctx context.Context, l cadrebot.ProblemSet, offset, limit int) ([]int64, int, error)
	DueBy(ctx context.Context, t time.Time) ([]int64, error)
	ResolvedBy(ctx context.Context, t time.Time) ([]int64, error)
	MarkProblem(ctx context.Context, id int64, name, value string) (bool, error)
	ProblemMark(ctx context.Context, id int64, name string) (string, error)
	SetCard(ctx context.Context, id, chat int64, msgID int, dept string, lead bool, done *cadrebot.FormKey) error
	CardProblem(ctx context.Context, chat int64, msgID int) (int64, error)
	SetUndeliverable(ctx context.Context, id int64, retry time.Time, e *cadrebot.Entry) error
	ClearUndeliverable(ctx context.Context, id int64, e *cadrebot.Entry) error
	CardPosted(ctx context.Context, id int64, done *cadrebot.FormKey) error
	CardRetries(ctx context.Context, now time.Time) ([]int64, error)
	Flagged(ctx context.Context) ([]int64, error)
	AddProblemPhoto(ctx context.Context, id int64, fileID string, max int) (bool, error)
	AddResolutionPhoto(ctx context.Context, id int64, fileID string, max int) (bool, error)
	SetResolutionAlbum(ctx context.Context, chat int64, group string, id, user int64) error
	ResolutionAlbum(ctx context.Context, chat int64, group string) (id, user int64, err error)
	AddSupportNote(ctx context.Context, id int64, e cadrebot.Entry) error
	SetAlbum(ctx context.Context, chat int64, group string, id int64) error
	Album(ctx context.Context, chat int64, group string) (int64, error)
	Form(ctx context.Context, chat, user int64, kind string) ([]byte, error)
	FormAndMessages(ctx context.Context, chat, user int64, kind string) ([]byte, map[int]string, error)
	AddFormMessage(ctx context.Context, chat, user int64, kind string, msgID int, mark string, ttl time.Duration) error
	HoldReport(ctx context.Context, chat int64, report []byte) (int64, error)
	HeldReports(ctx context.Context, chat int64) ([][]byte, error)
	DropHeld(ctx context.Context, chat int64, n int) error
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	SaveForm(ctx context.Context, chat, user int64, kind string, data []byte, ttl time.Duration) error
	DeleteForm(ctx context.Context, chat, user int64, kind string) error
	DepartmentChats(ctx context.Context) (map[string]int64, error)
	ChatMoves(ctx context.Context) (cadrebot.ChatMoves, error)
	Group(ctx context.Context, chat int64) (*cadrebot.Group, error)
}

// Problems handles problem reports: reporting, routing to department
// chats, the lifecycle buttons and commands, queries and the two sweeps.
// Its handlers share one set of dependencies, so they are methods of one
// value rather than a dozen makers with the same eight arguments.
type Problems struct {
	Store ProblemStore
	Out   Sender
	Texts Texts
	Auth  Auth
	Cfg   *config.File
	// Loc is the deployment's time zone, for times on cards.
	Loc *time.Location
	Log *slog.Logger
	// CardRetry is how long an undelivered card waits before the overdue
	// sweep tries again.
	CardRetry time.Duration
	// Now is the clock, for what happens outside an update (outbox hooks).
	Now func() time.Time
	// Clock waits for the rest of an album (see albumWait); nil is the
	// wall clock.
	Clock clock.Clock
	// Leaders lists the units above a village that have a leaders'
	// group, nearest first: overdue problems escalate to them too, and
	// they may read the village's problems. Nil: none.
	Leaders func(ctx context.Context, village int64) ([]units.Unit, error)
}

func (h *Problems) clock() clock.Clock {
	if h.Clock == nil {
		return clock.Real{}
	}
	return h.Clock
}

func (h *Problems) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

func (h *Problems) log() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}

func (h *Problems) reopenWindow() time.Duration {
	return time.Duration(h.Cfg.Problems.ReopenDays) * 24 * time.Hour
}

// category returns a configured category.
func (h *Problems) category(id string) (config.Category, bool) { return h.Cfg.Category(id) }

func (h *Problems) catName(lang, id string) string {
	c, ok := h.Cfg.Category(id)
	switch {
	case !ok && id == "":
		return h.Texts.T(lang, "pr_uncategorized")
	case !ok:
		return id
	case lang == "en" && c.NameEn != "":
		return c.NameEn
	}
	return c.Name
}

func (h *Problems) deptName(lang, id string) string {
	d, ok := h.Cfg.Department(id)
	switch {
	case !ok:
		return id
	case lang == "en" && d.NameEn != "":
		return d.NameEn
	}
	return d.Name
}

// deptChats resolves every department's chat: /bind overrides config,
// and a config chat that became a supergroup is followed to it.
func (h *Problems) deptChats(ctx context.Context) (map[string]int64, error) {
	bound, err := h.Store.DepartmentChats(ctx)
	if err != nil {
		return nil, err
	}
	moves, err := h.Store.ChatMoves(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(h.Cfg.Departments))
	for _, d := range h.Cfg.Departments {
		out[d.ID] = moves.Chat(d.ChatID)
		if c, ok := bound[d.ID]; ok && c != 0 {
			out[d.ID] = c
		}
	}
	return out, nil
}

func (h *Problems) deptChat(ctx context.Context, dept string) (int64, error) {
	m, err := h.deptChats(ctx)
	if err != nil {
		return 0, err
	}
	return m[dept], nil
}

// deptOfChat returns the department whose chat chat is, or "".
func (h *Problems) deptOfChat(ctx context.Context, chat int64) (string, error) {
	m, err := h.deptChats(ctx)
	if err != nil {
		return "", err
	}
	for _, d := range h.Cfg.Departments { // config order, so the answer is stable
		if m[d.ID] == chat && chat != 0 {
			return d.ID, nil
		}
	}
	return "", nil
}

// deptsOfChat returns every department whose chat chat is.
func (h *Problems) deptsOfChat(ctx context.Context, chat int64) ([]string, error) {
	m, err := h.deptChats(ctx)
	if err != nil || chat == 0 {
		return nil, err
	}
	var out []string
	for _, d := range h.Cfg.Departments {
		if m[d.ID] == chat {
			out = append(out, d.ID)
		}
	}
	return out, nil
}

// chatLang is the language of a chat the bot writes to unprompted.
func (h *Problems) chatLang(ctx context.Context, chat int64) string {
	if g, err := h.Store.Group(ctx, chat); err == nil && g.Lang != "" {
		return g.Lang
	}
	return h.Cfg.Language
}

// roles works out in which capacities user may act on p, asking Telegram
// only about the memberships that can matter for action.
func (h *Problems) roles(ctx context.Context, p *cadrebot.Problem, user int64, action cadrebot.Action) (cadrebot.Roles, error) {
	var r cadrebot.Roles
	if user == p.Reporter {
		r |= cadrebot.RoleReporter
	}
	want := cadrebot.MayAct(action)
	if h.Auth.IsDeploymentAdmin(user) {
		r |= cadrebot.RoleDeployAdmin
		if want.Has(cadrebot.RoleDeployAdmin) {
			return r, nil
		}
		// A rating is the village's: a deployment admin gives one only as
		// an admin of its group.
	}
	if want.Has(cadrebot.RoleSupport) {
		for _, d := range p.Support {
			ok, err := h.memberOfDept(ctx, d, user)
			if err != nil {
				return 0, err
			}
			if ok {
				r |= cadrebot.RoleSupport
				break
			}
		}
	}
	if want.Has(cadrebot.RoleHandler) {
		chat, err := h.deptChat(ctx, p.Dept)
		if err != nil {
			return 0, err
		}
		if chat != 0 {
			ok, err := h.Auth.IsChatMember(ctx, chat, user)
			if err != nil {
				return 0, err
			}
			if ok {
				r |= cadrebot.RoleHandler
			}
		}
	}
	if want.Has(cadrebot.RoleVillageAdmin) {
		ok, err := h.Auth.IsGroupAdmin(ctx, p.VillageChat, user)
		if err != nil {
			return 0, err
		}
		if ok {
			r |= cadrebot.RoleVillageAdmin
		}
	}
	return r, nil
}

// errStale is returned by act when the problem moved past the version a
// button was drawn for.
var errStale = errors.New("stale problem version")

// act performs one lifecycle action: it loads the problem, checks who
// may, applies the transition atomically (reloading when someone else got
// there first, so a double tap is refused on the second pass), then
// updates the cards and tells the village. ver is the version a button
// carries, or -1 for commands.
func (h *Problems) act(ctx context.Context, id int64, by int64, name string, c cadrebot.Change, ver int64, now time.Time) (cadrebot.Problem, error) {
	return h.actNotify(ctx, id, by, name, c, ver, now, true)
}

// actNotify is act; notify false leaves the village's notice to the
// caller (a resolution whose album is still arriving, see albumWait).
func (h *Problems) actNotify(ctx context.Context, id int64, by int64, name string, c cadrebot.Change, ver int64, now time.Time, notify bool) (cadrebot.Problem, error) {
	for attempt := 0; ; attempt++ {
		p, err := h.Store.Problem(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return p, cadrebot.Errorf("pr_err_unknown", "N", id)
		}
		if err != nil {
			return p, err
		}
		if ver >= 0 && p.Version != ver {
			return p, errStale
		}
		if c.Roles != cadrebot.RoleSystem {
			if c.Roles, err = h.roles(ctx, &p, by, c.Action); err != nil {
				return p, err
			}
			if c.Rating != "" {
				// "Unsatisfied" reopens and rates at once: both rights.
				rr, err := h.roles(ctx, &p, by, cadrebot.ActRate)
				if err != nil {
					return p, err
				}
				c.Roles |= rr
			}
		}
		c.By, c.Name = by, name
		c.ReopenWindow = h.reopenWindow()
		next, e, err := cadrebot.Transition(p, c, now)
		if err != nil {
			return p, err
		}
		err = h.Store.ApplyProblem(ctx, p, next, e)
		if errors.Is(err, cadrebot.ErrConflict) && attempt < 3 {
			if ver >= 0 {
				return p, errStale
			}
			continue
		}
		if err != nil {
			return p, err
		}
		h.after(ctx, p, next, e, now)
		if notify {
			h.notifyVillage(ctx, &next, e)
		}
		return next, nil
	}
}

// after does what follows a transition: the cards (act then tells the
// village). Failures here are logged, not returned: the transition is
// stored, and what the user sees must say so.
func (h *Problems) after(ctx context.Context, old, p cadrebot.Problem, e cadrebot.Entry, now time.Time) {
	switch {
	case p.Status == cadrebot.StatusNew && (old.Dept != p.Dept || old.Status == cadrebot.StatusReturned),
		p.Status == cadrebot.StatusReopened:
		// A department gets the item (again): a fresh card gets noticed
		// where an edited old one would not.
		h.refreshCards(ctx, &p, now)
		h.postCard(ctx, &p, p.Dept, now)
		if p.Status == cadrebot.StatusReopened {
			// "Not fixed" must reach the people responsible: the
			// department's parent hears it too.
			if anc := h.Cfg.Ancestors(p.Dept); len(anc) > 0 {
				h.postCard(ctx, &p, anc[0], now)
			}
		}
	default:
		h.refreshCards(ctx, &p, now)
	}
	// Supporting departments get their card: a category's from the start
	// (once triage routed it), one the lead just added.
	h.postSupportCards(ctx, &p, now)
}

// notifyVillage tells the reporter's group, as a reply to the report.
func (h *Problems) notifyVillage(ctx context.Context, p *cadrebot.Problem, e cadrebot.Entry) {
	lang := h.chatLang(ctx, p.VillageChat)
	args := i18n.Args{"N": p.ID, "Dept": h.deptName(lang, p.Dept), "Name": e.Name, "Note": e.Note,
		"Reporter": p.ReporterName, "Days": h.Cfg.Problems.ReopenDays}
	var kb [][]send.Button
	if e.Action == cadrebot.ActResolve || e.Action == cadrebot.ActReturn {
		kb = h.villageButtons(lang, p)
	}
	var id string
	switch e.Action {
	case cadrebot.ActAccept:
		id = "pr_note_accepted"
	case cadrebot.ActResolve:
		// The evidence first, then the notice that asks for the rating:
		// the reporter sees the photos before judging.
		h.sendResolutionPhotos(ctx, p, lang)
		id, args["Photos"] = "pr_note_resolved", len(p.ResolutionPhotos)
	case cadrebot.ActReturn:
		id = "pr_note_returned"
	case cadrebot.ActReassign, cadrebot.ActCategorize, cadrebot.ActResubmit:
		id = "pr_note_routed"
		args["Cat"] = h.catName(lang, p.Category)
	case cadrebot.ActReopen:
		id = "pr_note_reopened"
	case cadrebot.ActClose:
		id = "pr_note_closed"
		switch {
		case e.By == 0 && p.Rating.Satisfied():
			id = "pr_note_closed_rated"
			args["Rating"] = i18n.HTML(h.Texts.T(lang, "pr_rating_"+string(p.Rating)))
		case e.By == 0:
			id = "pr_note_autoclosed"
		}
	default:
		return
	}
	m := send.Message{ChatID: p.VillageChat, Text: h.Texts.T(lang, id, args), ReplyTo: p.ReportMsgID, Buttons: kb,
		Key: fmt.Sprintf("pr:%d:v%d", p.ID, p.Version), Ref: ref(p.ID)}
	if err := h.Out.Enqueue(ctx, m); err != nil {
		h.log().Warn("problem notification not sent", "problem", p.ID, "chat", p.VillageChat, "err", err)
	}
}

// villageButtons are the answers the village's notification of p asks
// for: the rating after a resolution, resubmit or withdraw after a
// return. Only the notification of that very transition carries them
// (the version is in the data), so they follow from p's status.
func (h *Problems) villageButtons(lang string, p *cadrebot.Problem) [][]send.Button {
	switch p.Status {
	case cadrebot.StatusResolved:
		return h.ratingButtons(lang, p)
	case cadrebot.StatusReturned:
		return [][]send.Button{{
			{Text: h.Texts.T(lang, "pr_btn_resubmit"), Data: cbData("rsb", p.ID, p.Version)},
			{Text: h.Texts.T(lang, "pr_btn_withdraw"), Data: cbData("wd", p.ID, p.Version)},
		}}
	}
	return nil
}

// ref ties outgoing messages to their problem, so the outbox can flag a
// permanently undeliverable one on it.
func ref(id int64) string { return "problem:" + strconv.FormatInt(id, 10) }

// cbData builds card button data: "p:<act>:<id>:<version>[:<arg>]". Ids
// and versions are numbers and args are config ids (≤ 32 bytes), so it
// stays under Telegram's 64 bytes.
func cbData(act string, id, ver int64, arg ...string) string {
	s := PrefixCard + ":" + act + ":" + strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(ver, 10)
	if len(arg) > 0 {
		s += ":" + arg[0]
	}
	return s
}

// parseCB splits card button data; ok is false for anything malformed.
func parseCB(data string) (act string, id, ver int64, arg string, ok bool) {
	f := strings.SplitN(data, ":", 5)
	if len(f) < 4 || f[0] != PrefixCard {
		return "", 0, 0, "", false
	}
	var err1, err2 error
	id, err1 = strconv.ParseInt(f[2], 10, 64)
	ver, err2 = strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || ver < 0 {
		return "", 0, 0, "", false
	}
	if len(f) == 5 {
		arg = f[4]
	}
	return f[1], id, ver, arg, true
}

// parseID reads "12" or "#12".
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	return n, err == nil && n > 0
}

// localize fills a user error's status and action names in lang.
func (h *Problems) localize(err error, lang string) error {
	var ue *cadrebot.Error
	if !errors.As(err, &ue) || ue.Args == nil {
		return err
	}
	if s, ok := ue.Args["Status"].(string); ok {
		ue.Args["Status"] = i18n.HTML(h.Texts.T(lang, "pr_status_"+s))
	}
	if a, ok := ue.Args["Action"].(string); ok {
		ue.Args["Action"] = i18n.HTML(h.Texts.T(lang, "pr_act_"+a))
	}
	return err
}

// cardButtons are the actions a department chat gets for p.
func (h *Problems) cardButtons(lang string, p *cadrebot.Problem, dept string) [][]send.Button {
	if !p.Status.Held() {
		return nil
	}
	if dept != p.Dept && p.Supports(dept) {
		// A supporting department reports its part; the lead resolves.
		return [][]send.Button{{{Text: h.Texts.T(lang, "pr_btn_support_note"), Data: cbData("nt", p.ID, p.Version)}}}
	}
	if dept != p.Dept && !slices.Contains(h.Cfg.Ancestors(p.Dept), dept) {
		return nil // an old card of a department that handed it on
	}
	b := func(id, act string) send.Button {
		return send.Button{Text: h.Texts.T(lang, id), Data: cbData(act, p.ID, p.Version)}
	}
	if p.Dept == h.Cfg.TriageDepartment && p.Category == "" {
		// Triage: a handler routes it by choosing the category.
		var rows [][]send.Button
		var row []send.Button
		for _, c := range h.Cfg.Categories {
			row = append(row, send.Button{Text: h.catName(lang, c.ID), Data: cbData("cat", p.ID, p.Version, c.ID)})
			if len(row) == 2 {
				rows, row = append(rows, row), nil
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
		return append(rows, []send.Button{b("pr_btn_return", "ret")})
	}
	first := []send.Button{b("pr_btn_resolve", "res")}
	if p.Status != cadrebot.StatusAccepted {
		first = append([]send.Button{b("pr_btn_accept", "acc")}, first...)
	}
	return [][]send.Button{first, {b("pr_btn_return", "ret"), b("pr_btn_reassign", "asg"), b("pr_btn_support", "sp")}}
}
