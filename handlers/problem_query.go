package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// pageSize is how many problems one /problems page lists.
const pageSize = 10

// problemFilters are the words /problems takes.
var problemFilters = []string{"open", "overdue", "mine", "all", "flagged", "support"}

// List handles /problems [open|overdue|mine|all|flagged|support]. In a
// department chat it lists that department's queue (support: the open
// problems it supports), in a village group the village's problems;
// elsewhere deployment admins see the whole deployment. Long lists get
// page buttons.
func (h *Problems) List() Func {
	return func(ctx context.Context, u *Update) error {
		filter := strings.ToLower(strings.TrimSpace(u.Args))
		if filter == "" {
			filter = "open"
		}
		if !slices.Contains(problemFilters, filter) {
			return cadrebot.Errorf("pr_usage_problems")
		}
		text, kb, err := h.page(ctx, u, filter, 0, u.From.ID)
		if err != nil {
			return err
		}
		return Reply(ctx, h.Out, u, text, kb...)
	}
}

// ListPage handles the page buttons: "pq:<filter>:<page>:<user b36>".
// The list is worked out again from the presser and the chat, so a page
// never shows more than /problems would there; a page the list does not
// have, or data the message did not offer, is refused.
func (h *Problems) ListPage() Func {
	return func(ctx context.Context, u *Update) error {
		f := strings.Split(u.Callback.Data, ":")
		if len(f) != 4 || !slices.Contains(problemFilters, f[1]) || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		page, err1 := strconv.Atoi(f[2])
		owner, err2 := strconv.ParseInt(f[3], 36, 64)
		if err1 != nil || err2 != nil || page < 0 {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if f[1] == "mine" && owner != u.From.ID {
			// "Mine" is the asker's list; anyone else asks for their own.
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "pr_list_not_yours")), true)
		}
		text, kb, err := h.page(ctx, u, f[1], page, owner)
		if errors.Is(err, errNoPage) {
			// Offered, but the list has shrunk since.
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "err_stale_button")), true)
		}
		if err != nil {
			return err
		}
		return h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, kb)
	}
}

// errNoPage is a page number past the end of a list.
var errNoPage = errors.New("no such page")

// scope is what a chat's lists cover.
type scope struct {
	dept    string // a department chat
	village int64  // a village group (any other group lists nothing)
	all     bool   // the whole deployment (a deployment admin, privately)
}

func (h *Problems) scopeOf(ctx context.Context, u *Update) (scope, error) {
	if u.IsGroup() {
		dept, err := h.deptOfChat(ctx, u.ChatID)
		if err != nil {
			return scope{}, err
		}
		if dept != "" {
			return scope{dept: dept}, nil
		}
		// A group lists its own problems only, whoever asks: the whole
		// deployment's go to a deployment admin privately.
		return scope{village: u.ChatID}, nil
	}
	return scope{all: h.Auth.IsDeploymentAdmin(u.From.ID)}, nil
}

func (sc scope) has(p *cadrebot.Problem) bool {
	switch {
	case sc.dept != "":
		return p.Dept == sc.dept
	case sc.village != 0:
		return p.VillageChat == sc.village
	}
	return sc.all
}

// page renders one page of a list.
func (h *Problems) page(ctx context.Context, u *Update, filter string, page int, user int64) (string, [][]send.Button, error) {
	sc, err := h.scopeOf(ctx, u)
	if err != nil {
		return "", nil, err
	}
	var ids []int64
	var total int
	var ps []cadrebot.Problem
	off := page * pageSize
	switch filter {
	case "overdue", "flagged":
		// Short lists the sweeps keep; filter them to the scope here.
		if filter == "flagged" && !h.Auth.IsDeploymentAdmin(u.From.ID) {
			return "", nil, cadrebot.Errorf("err_deploy_admin_only")
		}
		var all []int64
		if filter == "overdue" {
			all, err = h.Store.DueBy(ctx, u.Now)
		} else {
			all, err = h.Store.Flagged(ctx)
		}
		if err != nil {
			return "", nil, err
		}
		loaded, err := h.Store.Problems(ctx, all)
		if err != nil {
			return "", nil, err
		}
		for _, p := range loaded {
			if filter == "flagged" || sc.has(&p) {
				ps = append(ps, p)
			}
		}
		slices.SortFunc(ps, func(a, b cadrebot.Problem) int { return int(b.ID - a.ID) })
		total = len(ps)
		ps = ps[min(off, total):min(off+pageSize, total)]
	default:
		var l cadrebot.ProblemSet
		switch {
		case filter == "mine":
			l = cadrebot.UserProblems(user)
		case filter == "support" && sc.dept != "":
			l = cadrebot.SupportQueue(sc.dept)
		case filter == "support":
			return "", nil, cadrebot.Errorf("pr_list_where_dept")
		case sc.dept != "" && filter == "open":
			l = cadrebot.DeptQueue(sc.dept)
		case sc.dept != "":
			l = cadrebot.DeptProblems(sc.dept)
		case sc.village != 0:
			l = cadrebot.VillageProblems(sc.village, filter == "open")
		case !sc.all:
			return "", nil, cadrebot.Errorf("pr_list_where")
		case filter == "open":
			l = cadrebot.OpenProblems
		default:
			l = cadrebot.AllProblems
		}
		if ids, total, err = h.Store.ProblemPage(ctx, l, off, pageSize); err != nil {
			return "", nil, err
		}
		if ps, err = h.Store.Problems(ctx, ids); err != nil {
			return "", nil, err
		}
	}
	T := func(id string, a ...i18n.Args) string { return h.Texts.T(u.Lang, id, a...) }
	pages := max(1, (total+pageSize-1)/pageSize)
	if page >= pages {
		return "", nil, errNoPage
	}
	var b strings.Builder
	where := ""
	switch {
	case sc.dept != "":
		where = h.deptName(u.Lang, sc.dept)
	case sc.village != 0 && u.Group != nil:
		where = villageName(u.Group)
	}
	b.WriteString(T("pr_list_title", i18n.Args{"Filter": i18n.HTML(T("pr_filter_" + filter)), "Where": where,
		"Count": total, "Page": page + 1, "Pages": pages}))
	if total == 0 {
		b.WriteString("\n" + T("pr_list_empty"))
	}
	for i := range ps {
		b.WriteString("\n" + h.listLine(u.Lang, &ps[i], u.Now))
	}
	if filter == "all" && page == 0 && (sc.dept != "" || sc.village != 0) {
		if line, err := h.figuresLine(ctx, u.Lang, sc, u.Now); err == nil {
			b.WriteString("\n\n" + line)
		} else {
			h.log().Warn("figures for /problems", "err", err)
		}
	}
	var nav []send.Button
	data := func(p int) string {
		return PrefixProblemList + ":" + filter + ":" + strconv.Itoa(p) + ":" + strconv.FormatInt(user, 36)
	}
	if page > 0 {
		nav = append(nav, send.Button{Text: T("pr_btn_prev"), Data: data(page - 1)})
	}
	if page+1 < pages {
		nav = append(nav, send.Button{Text: T("pr_btn_next_page"), Data: data(page + 1)})
	}
	if len(nav) == 0 {
		return b.String(), nil, nil
	}
	return b.String(), [][]send.Button{nav}, nil
}

// listLine is one problem in a list.
func (h *Problems) listLine(lang string, p *cadrebot.Problem, now ...time.Time) string {
	text := strings.Join(strings.Fields(p.Text), " ")
	if utf8.RuneCountInString(text) > 40 {
		text = string([]rune(text)[:40]) + "…"
	}
	flags := ""
	if len(now) > 0 && p.Overdue(now[0]) {
		flags += " ⏰"
	}
	if p.Undeliverable {
		flags += " ⚠️"
	}
	return h.Texts.T(lang, "pr_list_line", i18n.Args{"Icon": statusIcon[p.Status], "N": p.ID, "Cat": h.catName(lang, p.Category),
		"Text": text, "Village": p.Village, "Status": i18n.HTML(h.Texts.T(lang, "pr_status_"+string(p.Status))),
		"Flags": flags})
}

// figuresLine is the resolution rate and friends of a scope, over all
// its problems.
func (h *Problems) figuresLine(ctx context.Context, lang string, sc scope, now time.Time) (string, error) {
	l := cadrebot.VillageProblems(sc.village, false)
	if sc.dept != "" {
		l = cadrebot.DeptProblems(sc.dept)
	}
	ids, _, err := h.Store.ProblemPage(ctx, l, 0, 0)
	if err != nil {
		return "", err
	}
	ps, err := h.Store.Problems(ctx, ids)
	if err != nil {
		return "", err
	}
	f := cadrebot.ComputeFigures(ps, now)
	return h.Texts.T(lang, "pr_figures", i18n.Args{"Rate": f.ResolutionRate(), "OnTime": f.OnTimeRate(),
		"Mean": fmtDays(f.MeanToFix, f.Resolved), "Median": fmtDays(f.MedianToFix, f.Resolved), "Done": f.Done, "Total": f.Total,
		"Satisfaction": f.SatisfactionRate(), "Satisfied": f.Satisfied, "Rated": f.Rated}), nil
}

// fmtDays shows a duration in days with one decimal; "—" over nothing.
func fmtDays(d time.Duration, n int) string {
	if n == 0 {
		return cadrebot.NoFigure
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64)
}

// Show handles /problem N: the problem in full and its history.
func (h *Problems) Show() Func {
	return func(ctx context.Context, u *Update) error {
		arg := strings.TrimSpace(u.Args)
		if arg == "" {
			return cadrebot.Errorf("pr_usage_problem")
		}
		id, ok := parseID(arg)
		if !ok {
			return cadrebot.Errorf("pr_err_not_number", "Arg", arg)
		}
		// Not found and not allowed get the same answer, so that asking
		// cannot tell whether a number exists.
		hidden := cadrebot.Errorf("pr_err_no_access", "N", id)
		p, err := h.Store.Problem(ctx, id)
		if errors.Is(err, cadrebot.ErrNotFound) {
			return hidden
		}
		if err != nil {
			return err
		}
		hist, err := h.Store.History(ctx, id)
		if err != nil {
			return err
		}
		ok, err = h.maySee(ctx, u, &p, hist)
		if err != nil {
			return err
		}
		if !ok {
			return hidden
		}
		var b strings.Builder
		b.WriteString(h.cardText(u.Lang, &p, true, u.Now))
		b.WriteString("\n\n" + h.Texts.T(u.Lang, "pr_history"))
		for _, e := range hist {
			b.WriteString("\n" + h.historyLine(u.Lang, e))
		}
		if err := Reply(ctx, h.Out, u, b.String()); err != nil {
			return err
		}
		return h.showPhotos(ctx, u, &p)
	}
}

// maySee keeps a problem inside the chats that deal with it. In a group,
// only its village group, the chats of the departments it was routed,
// reassigned or escalated to (or that support it) and the leaders'
// groups of the units above its village read it, whoever asks: an
// admin's right to read does not carry a problem into a group that has
// no business with it. In a private chat, the reporter, the admins of its
// village group and deployment admins read it.
func (h *Problems) maySee(ctx context.Context, u *Update, p *cadrebot.Problem, hist []cadrebot.Entry) (bool, error) {
	if !u.IsGroup() {
		if h.Auth.IsDeploymentAdmin(u.From.ID) || u.From.ID == p.Reporter {
			return true, nil
		}
		return h.Auth.IsGroupAdmin(ctx, p.VillageChat, u.From.ID)
	}
	if u.ChatID == p.VillageChat {
		return true, nil
	}
	depts, err := h.deptsOfChat(ctx, u.ChatID)
	if err != nil {
		return false, err
	}
	for _, d := range depts {
		if routedTo(p, hist, h.Cfg.Ancestors(p.Dept), d) {
			return true, nil
		}
	}
	// The leaders' groups of the units above the village oversee its
	// problems.
	if h.Leaders != nil {
		ls, err := h.Leaders(ctx, p.VillageChat)
		if err != nil {
			return false, err
		}
		for _, l := range ls {
			if l.Chat == u.ChatID {
				return true, nil
			}
		}
	}
	return false, nil
}

// routedTo reports whether dept ever had p: it holds or supports it, got
// a card of it, appears in its routing history (filed, reassigned,
// categorized, escalated, reminded, added as a supporter), or is an
// ancestor its escalation reached.
func routedTo(p *cadrebot.Problem, hist []cadrebot.Entry, ancestors []string, dept string) bool {
	if p.Dept == dept || p.Supports(dept) {
		return true
	}
	for _, d := range p.CardDepts {
		if d == dept {
			return true
		}
	}
	for _, e := range hist {
		if e.Dept == dept {
			return true
		}
	}
	return slices.Contains(ancestors[:min(p.Stage, len(ancestors))], dept)
}

func (h *Problems) historyLine(lang string, e cadrebot.Entry) string {
	name := e.Name
	if name == "" {
		name = h.Texts.T(lang, "pr_by_bot")
	}
	s := h.Texts.T(lang, "pr_history_line", i18n.Args{"At": h.fmtTime(e.At), "Name": name,
		"Action": i18n.HTML(h.Texts.T(lang, "pr_hist_"+string(e.Action)))})
	if e.Dept != "" && e.Action != cadrebot.ActCreate {
		s += " → " + i18n.Escape(h.deptName(lang, e.Dept))
	}
	if e.Note != "" {
		s += fmt.Sprintf(": %s", i18n.Escape(e.Note))
	}
	return s
}
