package app_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/dashboard"
	"cadrebot/telegramtest"
)

// /dashboard: what it answers whom, where.
func TestDashboardCommand(t *testing.T) {
	t.Run("no public URL", func(t *testing.T) {
		e := apptest.Start(t)
		m := dashAnswer(t, e, apptest.Admin)
		if !strings.Contains(m.Text, "CADREBOT_PUBLIC_URL") || keyboard(m) != nil {
			t.Errorf("answer without CADREBOT_PUBLIC_URL = %q %+v, want what to set and no buttons", m.Text, m.ReplyMarkup)
		}
	})

	e := apptest.Start(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "https://dash.example.org/"))
	e.TG.Group(prTraffic, "交通运输局工作群")
	e.TG.SetMember(prTraffic, apptest.Handler.ID, telegramtest.StatusMember)

	m := dashAnswer(t, e, apptest.Admin)
	kb := keyboard(m)
	if !strings.Contains(m.Text, "全县") || len(kb) != 2 || kb[0][0].WebApp == nil ||
		kb[0][0].WebApp.URL != "https://dash.example.org/dash/app" || !strings.HasPrefix(kb[1][0].URL, "https://dash.example.org/dash/login/") {
		t.Errorf("admin's answer = %q %+v, want the deployment, a Mini App button and a one-time link", m.Text, kb)
	}
	if !strings.Contains(m.Text, "15 分钟") {
		t.Errorf("answer %q does not say how long the link lasts", m.Text)
	}

	m = dashAnswer(t, e, apptest.Handler)
	if !strings.Contains(m.Text, "交通运输局") || strings.Contains(m.Text, "全县") || len(keyboard(m)) != 2 {
		t.Errorf("department member's answer = %q, want the department only", m.Text)
	}

	m = dashAnswer(t, e, apptest.Wang)
	if !strings.Contains(m.Text, "没有可以查看的范围") || len(keyboard(m)) != 0 {
		t.Errorf("answer to someone with nothing to see = %q %+v", m.Text, m.ReplyMarkup)
	}

	// In a group: a button to the private chat, which "/start dashboard"
	// answers like /dashboard.
	g := e.TG.Group(prTraffic, "")
	e.TG.SendText(g, apptest.Handler, "/dashboard")
	gm := e.WaitSent(prTraffic, "私聊")
	if kb := keyboard(gm); len(kb) != 1 || !strings.HasSuffix(kb[0][0].URL, "?start=dashboard_-1002") {
		t.Errorf("group answer buttons = %+v, want one to the private chat, naming the group", gm.ReplyMarkup)
	}
	// From the department's group, the dashboard opens on the department.
	s := privateAnswer(t, e, apptest.Handler, "/start dashboard_-1002")
	if kb := keyboard(s); len(kb) == 0 || kb[0][0].WebApp == nil || kb[0][0].WebApp.URL != "https://dash.example.org/dash/app?u=p%3Atraffic" {
		t.Errorf("/start dashboard_-1002 answered %q %+v, want the Mini App on the department", s.Text, s.ReplyMarkup)
	}
	// A group whose unit the sender may not see opens the default view.
	s = privateAnswer(t, e, apptest.Handler, "/start dashboard_-1004")
	if kb := keyboard(s); len(kb) == 0 || kb[0][0].WebApp == nil || kb[0][0].WebApp.URL != "https://dash.example.org/dash/app" {
		t.Errorf("/start dashboard_-1004 answered %+v, want the Mini App on the viewer's own unit", s.ReplyMarkup)
	}
}

// A one-time link signs a browser in once, within 15 minutes; the cookie
// is HttpOnly and SameSite=Strict (Secure behind https), and sign-out ends
// the session.
func TestDashboardLinkSignsInOnce(t *testing.T) {
	e := apptest.Start(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "https://dash.example.org"))
	c := newDash(t, e)
	link := dashLink(t, e, apptest.Admin)

	// Opening the link only shows the sign-in button: a preview or a
	// scanner fetching it spends nothing.
	for range 2 {
		if body := c.get(c.local(link), http.StatusOK); !strings.Contains(body, `id="login"`) {
			t.Fatalf("the link's page has no sign-in button:\n%s", tailOf(body, 500))
		}
	}
	resp, _ := c.do(http.MethodPost, c.local(link))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", resp.StatusCode)
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "cadrebot_dash" {
			ck = k
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure || ck.Path != "/dash/" || len(ck.Value) < 40 {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Strict, Secure, path /dash/, a long random id", ck)
	}
	c.cookie = ck
	if body := c.get("/dash/", http.StatusOK); !strings.Contains(body, "全县") {
		t.Errorf("signed-in page does not show the deployment")
	}
	if strings.Contains(e.Log.String(), ck.Value) || strings.Contains(e.Log.String(), strings.TrimPrefix(link, "https://dash.example.org/dash/login/")) {
		t.Errorf("the session id or the link's token reached the log")
	}

	// Replayed: refused, and no second session.
	replay := &dashClient{t: t, base: c.base}
	if resp, body := replay.do(http.MethodPost, c.local(link)); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 ||
		!strings.Contains(body, "已经用过") {
		t.Errorf("replayed link = %d %v", resp.StatusCode, resp.Cookies())
	}

	// Expired: a fresh link, 15 minutes and a second later.
	stale := dashLink(t, e, apptest.Admin)
	e.Clock.Advance(dashboard.LinkTTL + time.Second)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if resp, _ := replay.do(method, c.local(stale)); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("%s of an expired link = %d %v", method, resp.StatusCode, resp.Cookies())
		}
	}

	// Forged: a changed body under the old signature, a made-up
	// signature, nonsense.
	fresh := dashLink(t, e, apptest.Admin)
	body, sig, _ := strings.Cut(strings.TrimPrefix(fresh, "https://dash.example.org/dash/login/"), ".")
	for _, forged := range []string{body + ".AAAA" + sig[4:], body[:len(body)-2] + "fQ." + sig, "x.y", ""} {
		if resp, _ := replay.do(http.MethodPost, c.base+"/dash/login/"+forged); resp.StatusCode == http.StatusSeeOther || len(resp.Cookies()) != 0 {
			t.Errorf("forged link %q signed in: %d", forged, resp.StatusCode)
		}
	}

	// Sign-out ends the session in Redis, not just in the browser.
	if resp, _ := c.do(http.MethodPost, "/dash/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-out = %d", resp.StatusCode)
	}
	c.get("/dash/league", http.StatusUnauthorized)
	// Without any credentials, nothing.
	(&dashClient{t: t, base: c.base}).get("/dash/league", http.StatusUnauthorized)
}

// Mini App data is accepted only as Telegram signs it, and for a day.
func TestDashboardMiniAppData(t *testing.T) {
	e := apptest.Start(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "https://dash.example.org"))
	c := newDash(t, e)
	now := e.Clock.Now()
	sign := func(user int64, at time.Time) string {
		return dashboard.SignInitData(apptest.Token, user, "x", "zh", at)
	}
	good := sign(apptest.Admin.ID, now.Add(-time.Hour))
	tests := []struct {
		name, data string
		want       int
	}{
		{"valid", good, http.StatusOK},
		{"signed with another bot's token", dashboard.SignInitData("654321:other-bot", apptest.Admin.ID, "x", "zh", now), http.StatusUnauthorized},
		{"user swapped after signing", strings.Replace(good, "9001", "9002", 1), http.StatusUnauthorized},
		{"hash flipped", good[:len(good)-1] + map[bool]string{true: "0", false: "1"}[strings.HasSuffix(good, "1")], http.StatusUnauthorized},
		{"no hash", regexp.MustCompile(`&?hash=[0-9a-f]+`).ReplaceAllString(good, ""), http.StatusUnauthorized},
		{"older than a day", sign(apptest.Admin.ID, now.Add(-25*time.Hour)), http.StatusUnauthorized},
		{"from the future", sign(apptest.Admin.ID, now.Add(time.Hour)), http.StatusUnauthorized},
		{"valid, but nothing to see", sign(apptest.Wang.ID, now), http.StatusForbidden},
	}
	for _, tt := range tests {
		c.initData = tt.data
		if resp, body := c.do(http.MethodGet, "/dash/league"); resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d\n%s", tt.name, resp.StatusCode, tt.want, tailOf(body, 300))
		}
	}

	// The Mini App's own page may be framed by Telegram's web client, and
	// carries nothing personal; every other page denies framing.
	c.initData = ""
	resp, body := c.do(http.MethodGet, "/dash/app")
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != http.StatusOK ||
		!strings.Contains(csp, "frame-ancestors https://web.telegram.org") || !strings.Contains(csp, "script-src 'self'") ||
		resp.Header.Get("X-Frame-Options") != "ALLOW-FROM https://web.telegram.org" || strings.Contains(body, "全县") {
		t.Errorf("/dash/app = %d, CSP %q, XFO %q", resp.StatusCode, csp, resp.Header.Get("X-Frame-Options"))
	}
	c.initData = good
	resp, _ = c.do(http.MethodGet, "/dash/league")
	if h := resp.Header; h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("league page headers = %v", h)
	}
	if strings.Contains(e.Log.String(), good) {
		t.Errorf("Mini App data reached the log")
	}
}

// A department's member sees the department's problems and nothing else:
// not the deployment, a town, a village, another department, nor another
// department's problem, its photo or its export, by any door.
func TestDashboardCrossUnitRefused(t *testing.T) {
	e := dgWeek(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "http://dash.example.org"))
	e.Clock.Set(dgAt("2026-01-04 18:00"))
	e.TG.SetMember(dgTraffic, apptest.Handler.ID, telegramtest.StatusMember)
	e.TG.SetMember(dgEnv, apptest.Handler.ID, telegramtest.StatusLeft)
	// #2 belongs to environment, #4 to traffic (dgWeek).
	mine, theirs := "4", "2"

	browser := newDash(t, e)
	browser.signIn(e, apptest.Handler)
	app := newDash(t, e)
	app.miniApp(e, apptest.Handler)
	for _, c := range []*dashClient{browser, app} {
		if body := c.get("/dash/league", http.StatusOK); !strings.Contains(body, "交通运输局") || strings.Contains(body, `href="/dash/depts`) {
			t.Errorf("department member's home page does not show just the department")
		}
		if body := c.get("/dash/problems?u=p:traffic", http.StatusOK); !strings.Contains(body, `data-id="`+mine+`"`) ||
			strings.Contains(body, `data-id="`+theirs+`"`) {
			t.Errorf("department's open problems = %s", tailOf(body, 800))
		}
		c.get("/dash/problem/"+mine+"?u=p:traffic", http.StatusOK)
		for _, path := range []string{
			"/dash/league?u=d:", "/dash/league?u=v:-100701", "/dash/problems?u=p:environment",
			"/dash/trend?u=d:", "/dash/map?u=p:environment", "/dash/export?u=d:", "/dash/export?u=p:environment",
		} {
			if resp, body := c.do(http.MethodGet, path); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "青山村") {
				t.Errorf("GET %s = %d, want 403 without the unit's data", path, resp.StatusCode)
			}
		}
		// Another department's problem through the viewer's own unit:
		// not found, so its number reveals nothing.
		for _, path := range []string{"/dash/problem/" + theirs + "?u=p:traffic", "/dash/photo/" + theirs + "/0?u=p:traffic"} {
			if resp, body := c.do(http.MethodGet, path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "垃圾站") {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	}
	// The Mini App's download link: only for a unit the viewer may see.
	if resp, _ := app.do(http.MethodPost, "/dash/download?u=d:"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("download link for the deployment = %d, want 403", resp.StatusCode)
	}
	// Leaving the department's group takes the access away (after the
	// membership cache's minute).
	e.TG.SetMember(dgTraffic, apptest.Handler.ID, telegramtest.StatusLeft)
	e.App.Auth.Forget(dgTraffic, apptest.Handler.ID)
	browser.get("/dash/league?u=p:traffic", http.StatusForbidden)
}

// The dashboard and /stats agree on one dataset: the county's figures,
// every village's line, every department's on-time rate and overdue
// count, and a village group's own /stats.
func TestDashboardAgreesWithStats(t *testing.T) {
	e := dgWeek(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "http://dash.example.org"))
	e.Clock.Set(dgAt("2026-01-04 18:00"))
	county := e.TG.Group(dgCounty, "")
	e.TG.SendText(county, apptest.Admin, "/stats")
	stats := e.WaitSent(dgCounty, "全县 统计")
	text := stats.Caption + stats.Text
	for _, m := range e.TG.Sent(dgCounty) {
		if m.ID > stats.ID && len(m.Photo) == 0 {
			text += "\n" + m.Text
		}
	}
	c := newDash(t, e)
	c.signIn(e, apptest.Admin)
	page := c.get("/dash/league?u=d:&level=village", http.StatusOK)

	assertAgrees(t, text, page)

	depts := leagueRows(c.get("/dash/depts?u=d:", http.StatusOK))
	dl := regexp.MustCompile(`\d+\. (\S+) (\S+)（\d+/\d+）· 待办 \d+ · 逾期 (\d+) · 本期办结 \d+ · 满意率 (\S+)`).FindAllStringSubmatch(text, -1)
	if len(dl) != 3 {
		t.Fatalf("/stats has %d department lines:\n%s", len(dl), text)
	}
	for _, l := range dl {
		r := depts[l[1]]
		// Cells: resolution rate, on-time rate, satisfaction rate,
		// reported, open, overdue.
		if len(r) < 6 || r[1] != l[2] || r[5] != l[3] || r[2] != l[4] {
			t.Errorf("%s: dashboard %q, /stats on-time %s, overdue %s, satisfaction %s", l[1], r, l[2], l[3], l[4])
		}
	}

	v1 := e.TG.Group(dgV1, "")
	e.TG.SendText(v1, apptest.Li, "/stats")
	vs := e.WaitSent(dgV1, "青山村 统计")
	vtext := vs.Caption + vs.Text
	vc := summaryCards(c.get("/dash/league?u=v:-100701", http.StatusOK))
	for label, re := range map[string]string{"打卡率": `打卡率 (\S+)（`, "办结率": `办结率 (\S+)（`} {
		m := regexp.MustCompile(re).FindStringSubmatch(vtext)
		if m == nil || vc[label] != m[1] {
			t.Errorf("青山村 %s: dashboard %q, its /stats %q", label, vc[label], m)
		}
	}
}

// A problem's page: its history, its card, its photo relayed from
// Telegram without the token; the export as a download, in a browser and,
// through a one-time link, from the Mini App.
func TestDashboardProblemPhotoAndExport(t *testing.T) {
	e := dgWeek(t, apptest.WithEnv("CADREBOT_PUBLIC_URL", "http://dash.example.org"))
	e.Clock.Set(dgAt("2026-01-04 18:00"))
	v1 := e.TG.Group(dgV1, "")
	photo := e.TG.SendPhoto(v1, apptest.Wang, nil, "现场")
	e.Drain()
	fileID := photo.Photo[len(photo.Photo)-1].FileID
	want, _ := e.TG.File(fileID)
	p := dgProblem(t, e, dgV1, "青山村", apptest.Wang, "parking", "traffic", 72*time.Hour, dgAt("2026-01-04 12:00"), "桥头护栏断了")
	// The photo, as the report dialog keeps it; the card, as delivery
	// records it.
	p.Photos = []string{fileID}
	dgAct(t, e, p, cadrebot.ActAccept, dgAt("2026-01-04 13:00"), "")
	if err := e.DB.SetCard(t.Context(), p.ID, -1001234567890, 77, "traffic", false, nil); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)

	c := newDash(t, e)
	c.signIn(e, apptest.Admin)
	page := c.get("/dash/problem/"+id+"?u=d:", http.StatusOK)
	for _, s := range []string{"桥头护栏断了", "办理中", "https://t.me/c/1234567890/77", "受理", "/dash/photo/" + id + "/0?u=d:"} {
		if !strings.Contains(page, s) {
			t.Errorf("the problem's page lacks %q", s)
		}
	}
	if strings.Contains(page, fileID) || strings.Contains(page, apptest.Token) {
		t.Errorf("the problem's page shows the file id or the token")
	}
	resp, body := c.do(http.MethodGet, "/dash/photo/"+id+"/0?u=d:")
	if resp.StatusCode != http.StatusOK || body != string(want.Data) || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("photo = %d %q %q, %d bytes (want %d)", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(body), len(want.Data))
	}
	c.get("/dash/photo/"+id+"/1?u=d:", http.StatusNotFound)

	// The export: /export's workbook of the unit and period.
	resp, body = c.do(http.MethodGet, "/dash/export?u=v:-100701&per=week")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "cadrebot-village-100701-20251229-20260104.xlsx") {
		t.Fatalf("export = %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	wb, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := wb.GetRows("问题")
	if len(rows) != 1+6 { // the five reported in the week and the one above
		t.Errorf("the export's 问题 has %d rows, want the header and 6", len(rows))
	}

	// From the Mini App: a one-time download link.
	app := newDash(t, e)
	app.miniApp(e, apptest.Admin)
	resp, body = app.do(http.MethodPost, "/dash/download?u=d:&per=month")
	link := strings.TrimSuffix(strings.TrimPrefix(regexp.MustCompile(`"url":"([^"]+)"`).FindString(body), `"url":"`), `"`)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(link, "http://dash.example.org/dash/download/") {
		t.Fatalf("download link = %d %s", resp.StatusCode, body)
	}
	browser := &dashClient{t: t, base: c.base}
	if resp, body := browser.do(http.MethodGet, browser.local(link)); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("the download link = %d", resp.StatusCode)
	}
	if resp, _ := browser.do(http.MethodGet, browser.local(link)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the download link used twice = %d, want 401", resp.StatusCode)
	}
}
