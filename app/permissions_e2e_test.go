package app_test

import (
	"fmt"
	"strings"
	"testing"

	"cadrebot/i18n"
)

// The permission matrix: every command and every kind of button of
// app/routes.go, sent or pressed by each of six people in each of five
// kinds of chat, and what the bot did about it. The table below is the
// authoritative answer to "who may do what where" (docs/commands.md
// points here); a command or callback prefix without a row fails the
// test, and so does every cell whose outcome differs.
//
// The people (the roles, in the order of each cell string):
//
//	member            王芳, a cadre on the village's roster; a plain member
//	                  of the village group (and of 东山's, where she files
//	                  the report that waits for approval)
//	group admin       李强, a Telegram admin of every group: the village,
//	                  the three departments', the leaders', the
//	                  unconfigured one. Being in the traffic bureau's
//	                  group makes him one of its handlers too, and being
//	                  the village's admin gives him its admins' rights
//	                  everywhere, as in a real deployment
//	handler           赵队长, a plain member of the traffic bureau's group
//	other dept's      环保专员, a plain member of the environment bureau's
//	handler           group only
//	deployment admin  the county office's admin (config admins), a member
//	                  of no group: whatever he may do, the config lets him
//	stranger          路人甲, on no roster and in no chat
//
// Everyone has started the bot privately. Telegram lets only members post
// in a group, but the cells where someone posts in a group they are not a
// member of still run (telegramtest.KeepStatus): someone who left right
// after posting looks just like that to the bot, which must ask
// getChatMember rather than trust whoever posts. Where the bot's answer
// goes to that group (a list, a problem's text), a non-member would not
// see it anyway.
//
// The chats (the columns): the village group 谢家坞村 (set up in
// 兰亭街道, approved), the traffic bureau's group (config chat_id), the
// leaders' group of 兰亭街道 (config units[].chat_id), a group the bot is
// in that nobody set up, and each person's private chat with the bot.
//
// The state every cell sees: #1 accepted by the traffic bureau, #2
// closed, #3 resolved (its village notice asks for a rating), #4 to #14
// new, all reported by the member in the village and routed to traffic;
// project P1 in the village, led by the member, with twelve milestones;
// 东山村's report waiting for approval. Commands are chosen to pass the
// permission check without changing who holds what: a status error ("#1
// is being handled, it cannot be accepted"), a usage, a past date, a
// past month for /stats. Rows run in table order, each row's private
// cells first (runOrder), and what a row changes is stated here:
//
//   - /approve by the deployment admin approves the department's, the
//     leaders' and the unconfigured group (no row below files a report
//     there);
//   - /leave of a past day records it for the admins who may;
//   - /note adds a note to #1's history;
//   - /checkin and /join put whoever sends them on the village's roster,
//     which /project, /progress and the private /checkin and /leave
//     read, so they are the last commands;
//   - a button is pressed on a message of its kind offered in that
//     chat, made fresh for every cell where a press uses it up (see
//     fixtures): p:acc files and accepts problems #15 on, lv approves the
//     member's leave for tomorrow, ap approves 东山 and files its report,
//     pm marks P1's milestones done one by one;
//   - the confirmations come last: the group admin's ✅ renames the
//     village, the deployment admin's binds 演练部门 to the group.
//
// Outcome letters:
//
//	A allowed: the bot acted, or answered with usage or a state error
//	  after the permission check
//	R refused for lack of rights (err_admin_only, pr_err_forbidden, a
//	  forged or someone else's button, ... see classify)
//	W wrong place (err_group_only, pr_list_where, checkin_not_village, ...)
//	S silent: no answer at all
//	N not applicable: the button never appears there
//	E an error answer (internal error, flood control): never expected
var permissionMatrix = []struct {
	what                                   string // a command as sent, or a button "prefix:action"
	village, dept, leaders, unset, private string
}{
	// {what, village group, department group, leaders' group, unconfigured
	// group, private chat}; each string is member, group admin, handler,
	// other dept's handler, deployment admin, stranger.
	//
	// Help, setup and the roster.
	{"/start", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"},
	{"/help", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"},
	{"/setup", "RARRAR", "RARRAR", "RARRAR", "RARRAR", "WWWWWW"},
	{"/bind", "RRRRAR", "RRRRAR", "RRRRAR", "RRRRAR", "WWWWWW"},
	{"/leaders", "RRRRAR", "RRRRAR", "RRRRAR", "RRRRAR", "WWWWWW"},
	{"/approve", "RRRRAR", "RRRRAR", "RRRRAR", "RRRRAR", "WWWWWW"},
	{"/lang", "RARRAR", "RARRAR", "RARRAR", "RARRAR", "WWWWWW"},
	{"/roster", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "WWWWWW"},
	{"/handover", "RARRAR", "WWWWWW", "WWWWWW", "WWWWWW", "WWWWWW"},
	// Check-ins, leave, reminders.
	{"/today", "AAAAAA", "WWWWWW", "WWWWWW", "WWWWWW", "WWWWWW"},
	{"/leave 2026-11-29", "RARRAR", "WWWWWW", "WWWWWW", "WWWWWW", "RWWWWW"},
	{"/schedule", "RARRAR", "RARRAR", "RARRAR", "RARRAR", "WWWWWW"},
	{"/setvillage", "RARRAR", "RARRAR", "RARRAR", "RARRAR", "WWWWWW"},
	{"/remindme", "WWWWWW", "WWWWWW", "WWWWWW", "WWWWWW", "AAAAAA"},
	// Problems.
	// Reports come from village groups only: filed elsewhere, the group would become the report's
	// "village", whose admins close, reopen and rate it.
	{"/report 村口路灯不亮", "AAAAAA", "WWWWWW", "WWWWWW", "WWWWWW", "WWWWWW"},
	{"/cancel", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"},
	// A group lists its own problems, whoever asks (another group's list is empty); the whole
	// deployment's is for deployment admins privately.
	{"/problems", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "WWWWAW"},
	// A problem is read in the groups that deal with it, whoever asks; an admin's right to read it
	// follows them into their private chat, not into any other group.
	{"/problem 1", "AAAAAA", "AAAAAA", "AAAAAA", "RRRRRR", "AARRAR"},
	{"/accept 1", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/resolve 1", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/reject 1", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/reopen 1", "AARRAR", "AARRAR", "AARRAR", "AARRAR", "AARRAR"},
	{"/close 2", "AARRAR", "AARRAR", "AARRAR", "AARRAR", "AARRAR"},
	{"/assign 2 environment", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/category 2 sanitation", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/support 1 traffic", "RAARAR", "RAARAR", "RAARAR", "RAARAR", "RAARAR"},
	{"/note 1 已到现场查看", "WWWWWW", "RAARAR", "WWWWWW", "WWWWWW", "WWWWWW"},
	// Projects.
	{"/project", "AARRAR", "WWWWWW", "WWWWWW", "WWWWWW", "WWWWWW"},
	// As /problem 1: its village group, or privately its lead and the admins.
	{"/project P1", "AAAAAA", "RRRRRR", "RRRRRR", "RRRRRR", "AARRAR"},
	// As /problems: the village's, or privately one's own (every open one for deployment admins).
	{"/projects", "AAAAAA", "WWWWWW", "WWWWWW", "WWWWWW", "AAAAAA"},
	{"/progress P1", "AARRAR", "RRRRRR", "RRRRRR", "RRRRRR", "AARRAR"},
	// Digests, statistics, exports.
	{"/stats 2020-01", "AAAAAA", "AAAAAA", "AAAAAA", "WWWWWW", "WWWWAW"},
	{"/digest", "RARRAR", "RARRAR", "RARRAR", "RWRRWR", "WWWWWW"},
	{"/export", "RARRAR", "RARRAR", "RARRAR", "RWRRWR", "RRRRAR"},
	{"/dashboard", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "RAAAAR"},
	// What puts the sender on the roster.
	{"/checkin", "AAAAAA", "WWWWWW", "WWWWWW", "WWWWWW", "AWWWWW"},
	{"/join", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "WWWWWW"},
	// Buttons.
	{"p:acc", "NNNNNN", "RAARAR", "NNNNNN", "NNNNNN", "NNNNNN"},
	{"p:rate", "AARRRR", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"},
	{"rd", "ARRRRR", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"},
	{"pq", "AAAAAA", "AAAAAA", "NNNNNN", "NNNNNN", "ANNNAN"},
	{"lv", "RARRAR", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"},
	{"ap", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNAN"},
	{"pj", "ARRRRR", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"},
	// ✅ is offered only where it is taken: in the village group and in the lead's private chat.
	{"pm", "AARRAR", "NNNNNN", "NNNNNN", "NNNNNN", "ANNNNN"},
	{"cf", "RARRRR", "RRRRAR", "RRRRAR", "RRRRAR", "NNNNNN"},
}

// TestPermissionMatrix runs every cell of permissionMatrix and reports
// every cell whose outcome differs, with the bot's answer.
func TestPermissionMatrix(t *testing.T) {
	m := startMatrix(t)
	checkCoverage(t, m)
	if t.Failed() {
		return
	}
	type diff struct{ row, kind, role, want, got, answer string }
	var diffs []diff
	observed := make([][5]string, len(permissionMatrix))
	for i, row := range permissionMatrix {
		want := [5]string{row.village, row.dept, row.leaders, row.unset, row.private}
		got := [5][]byte{}
		for _, k := range runOrder {
			got[k] = make([]byte, len(pmRoles))
			for r, who := range pmRoles {
				var a answer
				var letter byte = 'N'
				if strings.HasPrefix(row.what, "/") {
					a = m.command(m.chat(k, who), who, row.what)
					letter = classify(a)
				} else if fx := fixtures[row.what]; fx == nil {
					t.Fatalf("button row %q has no fixture", row.what)
				} else if ans, ok := m.pressCell(fx, k, who); ok {
					a, letter = ans, classify(ans)
				}
				got[k][r] = letter
				if len(want[k]) != len(pmRoles) || want[k][r] != letter {
					w := "?"
					if r < len(want[k]) {
						w = string(want[k][r])
					}
					diffs = append(diffs, diff{row.what, kindName[k], pmRoleName[r], w, string(letter), a.String()})
				}
			}
		}
		for k := range got {
			observed[i][k] = string(got[k])
		}
	}
	if len(diffs) == 0 {
		return
	}
	var b strings.Builder
	for _, d := range diffs {
		fmt.Fprintf(&b, "%-24s %-20s %-22s want %s got %s: %s\n", d.row, d.kind, d.role, d.want, d.got, d.answer)
	}
	var tbl strings.Builder
	for i, row := range permissionMatrix {
		o := observed[i]
		fmt.Fprintf(&tbl, "\t{%q, %q, %q, %q, %q, %q},\n", row.what, o[0], o[1], o[2], o[3], o[4])
	}
	t.Errorf("%d cells differ from the permission matrix:\n%s\nthe observed table:\n%s", len(diffs), b.String(), tbl.String())
}

// checkCoverage fails the test for a command or callback prefix of the
// running bot that has no row, and for a row that names none.
func checkCoverage(t *testing.T, m *pmEnv) {
	t.Helper()
	commands, callbacks := m.App.RouteNames()
	if len(commands) == 0 || len(callbacks) == 0 {
		t.Fatalf("RouteNames = %v, %v", commands, callbacks)
	}
	rows := map[string]bool{}
	for _, row := range permissionMatrix {
		name := strings.TrimPrefix(strings.Fields(row.what)[0], "/")
		if !strings.HasPrefix(row.what, "/") {
			name, _, _ = strings.Cut(row.what, ":")
		}
		rows[name] = true
		for _, s := range []string{row.village, row.dept, row.leaders, row.unset, row.private} {
			if len(s) != len(pmRoles) || strings.Trim(s, "ARWSN") != "" {
				t.Errorf("row %q: %q is not %d outcome letters", row.what, s, len(pmRoles))
			}
		}
	}
	known := map[string]bool{}
	for _, c := range commands {
		known[c] = true
		if !rows[c] {
			t.Errorf("command /%s has no row in the permission matrix", c)
		}
	}
	for _, p := range callbacks {
		known[p] = true
		if !rows[p] {
			t.Errorf("callback prefix %q has no row in the permission matrix", p)
		}
	}
	for name := range rows {
		if !known[name] {
			t.Errorf("the permission matrix has a row for %q, which the bot does not route", name)
		}
	}
}

// Answers the classifier knows, as fragments of the zh catalog (the test
// deployment's language); TestPermissionClassifier renders each from the
// catalog, so a reworded message cannot slip through as "allowed".
var (
	// The bot's own failures and flood control: never a permission.
	errorTexts = []string{"内部错误", "服务暂时不可用", "您的操作太频繁", "未知命令"}
	// Refusals for lack of rights. A stale-button answer counts: in the
	// matrix it means the presser's own list has no such page, so they
	// do not get to see the one they were shown.
	refusedTexts = []string{
		"只有群管理员可以",          // err_admin_only, leave_admin_for_others, leave_req_admin_only
		"只有部署管理员可以",         // err_deploy_admin_only
		"您不能对 #",            // pr_err_forbidden
		"不存在，或您无权在这里查看",     // pr_err_no_access, pj_err_no_access
		"只有本村驻村指导员",         // pj_err_not_cadre
		"只有负责人",             // pj_err_done_forbidden
		"只有上报人或村工作群管理员可以评价", // pr_err_rate_forbidden
		"补登以前的日期请找群管理员",     // leave_past_admin_only
		"可以确认或取消",           // cf_only_asker
		"这不是您的表单",           // pr_dlg_not_yours
		"仅限部署管理员使用",         // export_private_admin_only
		"这条消息没有提供这个按钮",      // err_button_forged
		"这个按钮无效",            // pr_err_forged
		"只有村工作群管理员可以重新打开",   // pr_err_reopen_closed
		"这是别人的清单",           // pr_list_not_yours
		"您目前没有可以查看的范围",      // dash_no_access
		"此按钮已失效",            // err_stale_button
	}
	// Wrong place: the command or button is not for this chat.
	wrongPlaceTexts = []string{
		"请在村工作群或部门工作群中使用此命令",           // err_group_only, pr_list_where
		"请在与机器人的私聊中使用此命令",              // err_private_only
		"请在村工作群里使用 /projects",          // pj_err_where
		"请在村工作群里新建项目",                  // pj_err_village_only
		"请在村工作群里上报问题",                  // pr_err_village_only
		"的私聊中发送 /remindme",             // remindme_in_group
		"本群还没有设置服务的村",                  // checkin_not_village
		"您还不在任何村工作群的名单中",               // checkin_private_none
		"无法确定为哪个村打卡",                   // checkin_private_many
		"本群不是 #",                       // pr_err_note_where
		"请在部门工作群里使用 /problems support", // pr_list_where_dept
		"本群还不是村工作群、部门工作群或领导群",          // stats_nothing, digest_nothing, export_nothing
	}
)

// classify turns what the bot did into an outcome letter.
func classify(a answer) byte {
	any := func(frags []string) bool {
		for _, t := range a.texts {
			for _, f := range frags {
				if strings.Contains(t, f) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case any(errorTexts):
		return 'E'
	case any(refusedTexts):
		return 'R'
	case any(wrongPlaceTexts):
		return 'W'
	case len(a.texts) > 0 || a.acted:
		return 'A'
	}
	return 'S'
}

// TestPermissionClassifier: each refusal and wrong-place answer of the
// catalog is told apart from an ordinary answer, so classify cannot
// quietly call everything allowed.
func TestPermissionClassifier(t *testing.T) {
	texts, err := i18n.Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	n := i18n.Args{"N": 7, "P": "P7", "Cmd": "setup", "Action": "受理", "Name": "王芳", "Lead": "王芳", "Bot": "cadrebot",
		"Today": "2026-11-30", "Count": 2, "Status": "待受理"}
	for _, tt := range []struct {
		id   string
		want byte
	}{
		{"error_internal_ref", 'E'}, {"slow_down", 'E'}, {"unavailable", 'E'}, {"unknown_command", 'E'},
		{"err_admin_only", 'R'}, {"err_deploy_admin_only", 'R'}, {"pr_err_forbidden", 'R'}, {"pr_err_no_access", 'R'},
		{"pj_err_no_access", 'R'}, {"pj_err_not_cadre", 'R'}, {"pj_err_done_forbidden", 'R'}, {"pr_err_rate_forbidden", 'R'},
		{"leave_admin_for_others", 'R'}, {"leave_req_admin_only", 'R'}, {"leave_past_admin_only", 'R'}, {"cf_only_asker", 'R'},
		{"pr_dlg_not_yours", 'R'}, {"export_private_admin_only", 'R'}, {"err_button_forged", 'R'}, {"pr_err_forged", 'R'},
		{"pr_err_reopen_closed", 'R'}, {"pr_list_not_yours", 'R'}, {"err_stale_button", 'R'},
		{"err_group_only", 'W'}, {"err_private_only", 'W'}, {"pr_list_where", 'W'}, {"pj_err_where", 'W'},
		{"pj_err_village_only", 'W'}, {"remindme_in_group", 'W'}, {"checkin_not_village", 'W'}, {"checkin_private_none", 'W'},
		{"checkin_private_many", 'W'}, {"pr_err_note_where", 'W'}, {"pr_list_where_dept", 'W'}, {"stats_nothing", 'W'},
		{"digest_nothing", 'W'}, {"export_nothing", 'W'},
		// Answers after the check: usages, state errors, results.
		{"setup_usage", 'A'}, {"pr_err_status", 'A'}, {"pr_err_note_required", 'A'}, {"pr_done", 'A'}, {"help_private", 'A'},
		{"pr_cancel_nothing", 'A'}, {"leave_usage", 'A'}, {"cf_expiry", 'A'}, {"bind_confirm", 'A'}, {"leaders_confirm", 'A'},
		{"pj_usage_progress", 'A'}, {"stats_empty", 'A'}, {"export_sent", 'A'},
	} {
		if !texts.Has("zh", tt.id) {
			t.Errorf("no catalog message %s", tt.id)
			continue
		}
		text := texts.T("zh", tt.id, n)
		if got := classify(answer{texts: []string{text}}); got != tt.want {
			t.Errorf("classify(%s: %q) = %c, want %c", tt.id, text, got, tt.want)
		}
	}
	if got := classify(answer{}); got != 'S' {
		t.Errorf("classify(nothing) = %c, want S", got)
	}
	if got := classify(answer{acted: true}); got != 'A' {
		t.Errorf("classify(a reaction) = %c, want A", got)
	}
	// A refusal wins over whatever else the bot said.
	if got := classify(answer{texts: []string{texts.T("zh", "pr_done", n), texts.T("zh", "err_admin_only", n)}}); got != 'R' {
		t.Errorf("classify(an answer and a refusal) = %c, want R", got)
	}
}
