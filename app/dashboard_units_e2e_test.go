package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// The hierarchy of the dashboard's unit tests: 柯桥区 with two towns,
// 兰亭街道 (its leaders' group from the config) with two villages and
// 华舍街道 (its leaders' group bound with /leaders) with one.
const (
	duCounty = -100921
	duTown   = -100922
	duTown2  = -100923
	duV1     = -100931 // 谢家坞村, 兰亭街道
	duV2     = -100932 // 花街村, 兰亭街道
	duV3     = -100933 // 蜀阜村, 华舍街道
)

const dashUnitsYAML = apptest.DefaultYAML + `
units:
  - {id: keqiao, name: 柯桥区, level: county, chat_id: -100921}
  - {id: lanting, name: 兰亭街道, level: town, parent: keqiao, chat_id: -100922}
  - {id: huashe, name: 华舍街道, level: town, parent: keqiao}
`

// The leaders: one of the town's group, one of the county's (who is in
// the town's group too).
var (
	townLeader   = models.User{ID: 3101, FirstName: "孙书记", LanguageCode: "zh"}
	countyLeader = models.User{ID: 3102, FirstName: "钱区长", LanguageCode: "zh"}
)

// dashUnits starts the deployment on Monday 29 December 2025 and brings
// it to Wednesday evening: three villages with cadres who checked in on
// some days (谢家坞村 4 of 6 cadre-workdays, 花街村 1 of 3, 蜀阜村 1 of
// 2: Emma joined on Tuesday), the leaders' groups with their members,
// and three problems, one in each village: #1 resolved and rated, #2
// open, #3 overdue.
func dashUnits(t *testing.T) (*apptest.Env, [3]cadrebot.Problem) {
	t.Helper()
	e := apptest.Start(t, apptest.WithYAML(dashUnitsYAML), apptest.WithTime(dgAt("2025-12-29 09:00")),
		apptest.WithEnv("CADREBOT_PUBLIC_URL", "http://dash.example.org"))
	villages := []struct {
		id           int64
		title, setup string
		members      []models.User
	}{
		{duV1, "谢家坞村工作群", "谢家坞村 兰亭街道", []models.User{apptest.Wang, apptest.Li}},
		{duV2, "花街村工作群", "花街村 lanting", []models.User{apptest.Zhang}},
		{duV3, "蜀阜村工作群", "蜀阜村 华舍街道", nil},
	}
	gs := map[int64]models.Chat{}
	for _, v := range villages {
		g := e.TG.Group(v.id, v.title)
		gs[v.id] = g
		e.TG.SendText(g, apptest.Admin, "/setup "+v.setup)
		e.WaitSent(v.id, "本群服务 <b>"+strings.Fields(v.setup)[0]+"</b>")
		for _, m := range v.members {
			e.TG.SendText(g, m, "/join")
			e.WaitSent(v.id, m.FirstName)
		}
	}
	for _, id := range []int64{duCounty, duTown, duTown2} {
		g := e.TG.Group(id, map[int64]string{duCounty: "柯桥区领导群", duTown: "兰亭街道领导群", duTown2: "华舍街道领导群"}[id])
		e.TG.SendText(g, apptest.Admin, "/help")
		e.WaitSent(id, "/join")
	}
	town2 := e.TG.Group(duTown2, "")
	e.TG.SendText(town2, apptest.Admin, "/leaders 华舍街道")
	if m := e.Confirm(town2, apptest.Admin, "的领导群吗？"); !strings.Contains(m.Text, "华舍街道") {
		t.Fatalf("confirmed /leaders answered %q", m.Text)
	}
	e.TG.SetMember(duTown, townLeader.ID, telegramtest.StatusMember)
	e.TG.SetMember(duCounty, countyLeader.ID, telegramtest.StatusMember)
	e.TG.SetMember(duTown, countyLeader.ID, telegramtest.StatusMember)

	checkin := func(when string, chat int64, who ...models.User) {
		e.Clock.Set(dgAt(when))
		for _, w := range who {
			waitReaction(t, e, chat, e.TG.SendText(gs[chat], w, "/checkin"))
		}
	}
	checkin("2025-12-29 09:30", duV1, apptest.Wang, apptest.Li)
	checkin("2025-12-29 09:40", duV2, apptest.Zhang)
	checkin("2025-12-30 09:30", duV1, apptest.Wang)
	// Emma's service starts on Tuesday: Monday is no absence of hers.
	e.TG.SendText(gs[duV3], apptest.Emma, "/join")
	e.WaitSent(duV3, "Emma")
	checkin("2025-12-30 09:40", duV3, apptest.Emma)
	checkin("2025-12-31 09:30", duV1, apptest.Li)

	var ps [3]cadrebot.Problem
	ps[0] = dgProblem(t, e, duV1, "谢家坞村", apptest.Wang, "parking", "traffic", 72*time.Hour, dgAt("2025-12-29 10:00"), "村口路灯坏了")
	ps[0] = dgAct(t, e, ps[0], cadrebot.ActAccept, dgAt("2025-12-29 11:00"), "")
	ps[0] = dgAct(t, e, ps[0], cadrebot.ActResolve, dgAt("2025-12-30 11:00"), "已更换灯泡")
	rated, entry, err := cadrebot.Transition(ps[0], cadrebot.Change{Action: cadrebot.ActRate, Rating: cadrebot.RatingSatisfied,
		Roles: cadrebot.RoleReporter, By: apptest.Wang.ID, Name: apptest.Wang.FirstName}, dgAt("2025-12-30 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.ApplyProblem(context.Background(), ps[0], rated, entry); err != nil {
		t.Fatal(err)
	}
	ps[0] = rated
	ps[1] = dgProblem(t, e, duV2, "花街村", apptest.Zhang, "parking", "traffic", 72*time.Hour, dgAt("2025-12-30 10:00"), "桥头护栏断了")
	ps[2] = dgProblem(t, e, duV3, "蜀阜村", apptest.Emma, "sanitation", "environment", 24*time.Hour, dgAt("2025-12-29 15:00"), "河道漂浮垃圾")
	e.Clock.Set(dgAt("2025-12-31 18:00"))
	return e, ps
}

// statsText sends /stats in chat and returns the answer's text, photo
// caption and continuations, plain as the reader sees them.
func statsText(t *testing.T, e *apptest.Env, chat int64, who models.User, title string) string {
	t.Helper()
	e.TG.SendText(e.TG.Group(chat, ""), who, "/stats")
	m := e.WaitSent(chat, title)
	text := m.Caption + m.Text
	for _, n := range e.TG.Sent(chat) {
		if n.ID > m.ID && len(n.Photo) == 0 && n.Document == nil {
			text += "\n" + n.Text
		}
	}
	return text
}

// A town's leaders' group member sees the town and its villages, with
// the figures of the town's /stats, and is refused the county, the other
// town, its village and its problems by every door; /dashboard from the
// town's group opens on the town; leaving the group ends it.
func TestDashboardTownLeaders(t *testing.T) {
	e, ps := dashUnits(t)
	mine, theirs := strconv.FormatInt(ps[1].ID, 10), strconv.FormatInt(ps[2].ID, 10)

	m := dashAnswer(t, e, townLeader)
	if !strings.Contains(m.Text, "可查看：兰亭街道\n") || len(keyboard(m)) != 1 {
		t.Errorf("town leader's /dashboard = %q, want the town alone and the browser link", m.Text)
	}

	// /dashboard in the town's leaders' group: to the private chat, where
	// the link opens the town.
	gm := answerIn(t, e, e.TG.Group(duTown, ""), townLeader, "/dashboard")
	kb := keyboard(gm)
	if len(kb) != 1 || !strings.HasSuffix(kb[0][0].URL, "?start=dashboard_-100922") {
		t.Fatalf("the leaders' group's answer = %+v", gm.ReplyMarkup)
	}
	m = privateAnswer(t, e, townLeader, "/start dashboard_-100922")
	var link string
	for _, row := range keyboard(m) {
		if strings.Contains(row[0].URL, "/dash/login/") {
			link = row[0].URL
		}
	}
	c := newDash(t, e)
	c.get(c.local(link), http.StatusOK)
	resp, _ := c.do(http.MethodPost, c.local(link))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/dash/league?u=u%3Alanting" {
		t.Fatalf("sign-in from the town's group = %d to %q, want the town's league", resp.StatusCode, loc)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "cadrebot_dash" {
			c.cookie = ck
		}
	}

	// The town's page: its two villages, ranked and counted as the
	// town's /stats ranks and counts them, periods of service and all.
	page := c.get("/dash/", http.StatusOK)
	if names := leagueNames(page); len(names) != 2 || strings.Contains(page, "蜀阜村") || strings.Contains(page, "华舍街道") {
		t.Errorf("the town's league lists %q", names)
	}
	town := c.get("/dash/league?u=u:lanting", http.StatusOK)
	assertAgrees(t, statsText(t, e, duTown, townLeader, "兰亭街道 统计"), town)
	if got := summaryCards(town); got["打卡率"] != "55.6%" || got["满意率"] != "100.0%" || got["新报"] != "2" {
		t.Errorf("the town's figures = %v, want 打卡率 55.6%% (5 of 9), 满意率 100.0%%, 新报 2", got)
	}

	// Below the town: allowed.
	for _, path := range []string{"/dash/league?u=v:-100931", "/dash/problems?u=u:lanting", "/dash/map?u=u:lanting",
		"/dash/trend?u=u:lanting", "/dash/problem/" + mine + "?u=u:lanting", "/dash/problem/" + mine + "?u=v:-100932"} {
		c.get(path, http.StatusOK)
	}
	if body := c.get("/dash/problems?u=u:lanting", http.StatusOK); !strings.Contains(body, `data-id="`+mine+`"`) || strings.Contains(body, `data-id="`+theirs+`"`) {
		t.Errorf("the town's open problems: %s", tailOf(body, 600))
	}
	resp, body := c.do(http.MethodGet, "/dash/export?u=u:lanting&per=week")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("兰亭街道")) {
		t.Errorf("the town's export = %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}

	// Above and beside: refused, without their data.
	app := newDash(t, e)
	app.miniApp(e, townLeader)
	for _, cl := range []*dashClient{c, app} {
		for _, path := range []string{
			"/dash/league?u=d:", "/dash/league?u=u:keqiao", "/dash/league?u=u:huashe", "/dash/league?u=v:-100933",
			"/dash/depts?u=d:", "/dash/problems?u=u:huashe", "/dash/map?u=u:keqiao", "/dash/trend?u=u:keqiao",
			"/dash/export?u=u:keqiao", "/dash/export?u=u:huashe", "/dash/export?u=d:", "/dash/problem/" + theirs + "?u=u:huashe",
		} {
			if resp, body := cl.do(http.MethodGet, path); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "蜀阜村") {
				t.Errorf("GET %s = %d, want 403 without the unit's data", path, resp.StatusCode)
			}
		}
		// The other town's problem through the viewer's own town: not
		// found, so its number reveals nothing.
		for _, path := range []string{"/dash/problem/" + theirs + "?u=u:lanting", "/dash/photo/" + theirs + "/0?u=u:lanting"} {
			if resp, body := cl.do(http.MethodGet, path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "漂浮") {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	}
	if resp, _ := app.do(http.MethodPost, "/dash/download?u=u:keqiao"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("download link for the county = %d, want 403", resp.StatusCode)
	}
	if body := app.get("/dash/league", http.StatusOK); !strings.Contains(body, "谢家坞村") {
		t.Errorf("the Mini App's first page does not show the town's villages")
	}

	// Leaving the leaders' group takes the access away (after the
	// membership cache's minute).
	e.TG.SetMember(duTown, townLeader.ID, telegramtest.StatusLeft)
	e.App.Auth.Forget(duTown, townLeader.ID)
	c.get("/dash/league?u=u:lanting", http.StatusForbidden)
	app.get("/dash/league?u=u:lanting", http.StatusForbidden)
}

// The county's leaders see the county (a town's group they are also in
// adds nothing), its towns ranked as the county's /stats ranks them, and
// every village; not the deployment nor its departments.
func TestDashboardCountyLeaders(t *testing.T) {
	e, _ := dashUnits(t)
	m := dashAnswer(t, e, countyLeader)
	if !strings.Contains(m.Text, "可查看：柯桥区\n") {
		t.Errorf("county leader's /dashboard = %q, want the county alone", m.Text)
	}
	c := newDash(t, e)
	c.signIn(e, countyLeader)
	text := statsText(t, e, duCounty, countyLeader, "柯桥区 统计")

	towns := leagueRows(c.get("/dash/league?u=u:keqiao", http.StatusOK))
	lines := regexp.MustCompile(`\d+\. (\S+) · (\d+) 个村 · (\S+) · (\d+) 件 · (\S+) · 逾期 (\d+) 件`).FindAllStringSubmatch(text, -1)
	if len(lines) != 2 || len(towns) != 2 {
		t.Fatalf("/stats has %d units below, the dashboard %d: %v\n%s", len(lines), len(towns), towns, text)
	}
	names := leagueNames(c.get("/dash/league?u=u:keqiao", http.StatusOK))
	for i, l := range lines {
		r := towns[l[1]]
		// Cells: check-in rate, resolution rate, on-time rate,
		// satisfaction rate, reported, open, overdue.
		if names[i] != l[1] || len(r) < 7 || r[0] != l[3] || r[4] != l[4] || r[1] != l[5] || r[6] != l[6] {
			t.Errorf("%d. %s: dashboard %q %q, /stats %q", i+1, l[1], names[i], r, l[0])
		}
	}
	villages := c.get("/dash/league?u=u:keqiao&level=village", http.StatusOK)
	assertAgrees(t, text, villages)
	// Check-ins count only days in service: Emma's Monday, before she
	// joined, is none of the county's 11 expected cadre-workdays.
	if got := summaryCards(villages)["打卡率"]; got != "54.5%" {
		t.Errorf("the county's check-in rate = %q, want 54.5%% (6 of 11)", got)
	}
	c.get("/dash/league?u=u:huashe", http.StatusOK)
	c.get("/dash/league?u=v:-100933", http.StatusOK)
	for _, path := range []string{"/dash/league?u=d:", "/dash/depts?u=d:", "/dash/problems?u=p:traffic"} {
		c.get(path, http.StatusForbidden)
	}
}
