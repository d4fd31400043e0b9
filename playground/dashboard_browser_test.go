package playground_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"cadrebot/playground"
)

// TestBrowserDashboard opens the leaders' dashboard from the playground's
// link as the demo county's admin, with no Telegram: it sorts and filters
// the league table, filters the open problems by department, opens a
// problem, downloads the export, and opens the dashboard once more the way
// Telegram opens its Mini App. Screenshots go to artifacts/playground;
// -docshot also writes docs/dashboard.png.
func TestBrowserDashboard(t *testing.T) {
	execPath := chromium(t)
	p := startDemo(t)
	b := newBrowser(t, execPath)
	village := playground.Xiejiawu.ID

	// A second open problem, in another department than the seeded one,
	// so that the department filter has something to leave out.
	b.do("open the page", chromedp.Navigate(p.URL))
	b.wait("the page to sync with the event stream", `document.body.dataset.synced`)
	b.as(playground.Wang)
	b.send(village, "/report 园区门口货车占道停放，影响村民出行")
	b.clickButton(village, "停车与交通")
	registered := botMsgJS(village, "已登记", "园区门口货车占道")
	b.wait("the report's number", "!!"+registered)
	n := b.eval(fmt.Sprintf(`(%s.textContent.match(/已登记 #(\d+)/) || [,""])[1]`, registered))
	if _, err := strconv.Atoi(n); err != nil {
		t.Fatalf("no #N in the answer to the report: %q", n)
	}

	// The page's link signs in as 陈主任, as his /dashboard link would.
	if href := b.eval(`document.querySelector("#open-dashboard").getAttribute("href")`); href != "/dashboard" {
		t.Fatalf("the playground's dashboard link is %q", href)
	}
	b.do("follow the dashboard link", chromedp.Navigate(p.URL+"/dashboard"))
	b.wait("the one-time link's page", `!!document.querySelector("#login")`)
	b.shot("dash-01-sign-in")
	b.do("sign in", chromedp.Click(chromedp.CSS("#login")))
	b.waitNav("the league table", `document.querySelectorAll("#league tbody tr").length >= 2`)

	// Sorting: by check-in rate, highest first, then lowest first.
	col := b.eval(`String([...document.querySelectorAll("#league thead th")].findIndex(th => th.querySelector('[data-sort="checkin"]')))`)
	values := fmt.Sprintf(`[...document.querySelectorAll("#league tbody tr")].map(r => r.cells[%s].dataset.v).filter(v => v !== "").map(Number)`, col)
	b.do("sort by check-in rate", chromedp.Click(chromedp.CSS(`#league button[data-sort="checkin"]`)))
	b.wait("highest check-in rate first", fmt.Sprintf(`(v => v.length > 1 && v.every((x, i) => i == 0 || v[i-1] >= x))(%s)`, values))
	firstDesc := b.eval(`document.querySelector("#league tbody tr").dataset.name`)
	b.do("sort the other way", chromedp.Click(chromedp.CSS(`#league button[data-sort="checkin"]`)))
	b.wait("lowest check-in rate first", fmt.Sprintf(`(v => v.every((x, i) => i == 0 || v[i-1] <= x))(%s)`, values))
	if got := b.eval(`document.querySelector("#league thead th[aria-sort]").getAttribute("aria-sort")`); got != "ascending" {
		t.Errorf("aria-sort after the second click = %q", got)
	}
	if firstAsc := b.eval(`document.querySelector("#league tbody tr").dataset.name`); firstAsc == firstDesc {
		t.Errorf("%s heads the table both ways: the rates differ, so the order should flip", firstAsc)
	}
	// Filtering by name leaves the matching unit.
	b.do("filter the league by name", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`{const f = document.querySelector("#league-filter"); f.value = %q; f.dispatchEvent(new Event("input"))}`, firstDesc)))
	b.wait("one row left", fmt.Sprintf(`[...document.querySelectorAll("#league tbody tr")].filter(r => !r.hidden).map(r => r.dataset.name).join() == %q`, firstDesc))
	b.do("clear the filter", chromedp.Evaluate[chromedp.Void](
		`{const f = document.querySelector("#league-filter"); f.value = ""; f.dispatchEvent(new Event("input"))}`))
	b.wait("every row back", `[...document.querySelectorAll("#league tbody tr")].every(r => !r.hidden)`)
	b.shot("dash-02-league")

	// The export: the /export workbook, downloaded.
	dir := t.TempDir()
	dctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(dctx, cdpbrowser.DownloadProgress)
	b.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}))
	b.do("download the export", chromedp.Click(chromedp.CSS("a.export")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the downloaded export: %v", err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the export is no workbook: %v", err)
	}
	if sheets := wb.GetSheetList(); len(sheets) != 7 || sheets[0] != "人员" || sheets[3] != "汇总" {
		t.Errorf("export sheets = %q, want /export's seven", sheets)
	}
	_ = wb.Close()

	// The open problems, filtered by department.
	b.do("open the problem list", chromedp.Click(chromedp.CSS(`.tabs a[href^="/dash/problems"]`)))
	b.waitNav("two open problems", `document.querySelectorAll("#problems tbody tr").length >= 2`)
	depts := `[...document.querySelectorAll("#problems tbody tr")].map(r => r.cells[3].textContent)`
	if got := b.eval(`String(new Set(` + depts + `).size)`); got == "1" {
		t.Fatalf("the open problems all sit in one department: nothing to filter")
	}
	b.do("pick 交通运输局", chromedp.Evaluate[chromedp.Void](`{const s = document.querySelector("#f-dept"); s.value = "traffic"; s.dispatchEvent(new Event("change"))}`))
	b.waitNav("only 交通运输局's problems", fmt.Sprintf(`location.search.includes("dept=traffic") &&
		(d => d.length > 0 && d.every(x => x == "交通运输局"))(%s) &&
		!!document.querySelector('#problems tr[data-id="%s"]')`, depts, n))
	b.shot("dash-03-problems")

	// A problem's page: its text, where its card is, its history.
	b.do("open #"+n, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#problems tr[data-id="%s"] a`, n))))
	b.waitNav("the problem's page", fmt.Sprintf(`(a => a && a.dataset.id == %q && a.textContent.includes("园区门口货车占道") &&
		document.querySelectorAll("#history tr").length >= 1 && document.querySelectorAll("#cards li").length >= 1)(document.querySelector("#problem"))`, n))
	b.shot("dash-04-problem")

	for _, tab := range []string{"map", "trend"} {
		b.do("open the "+tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tabs a[href^="/dash/%s"]`, tab))))
		b.waitNav("the "+tab, fmt.Sprintf(`document.querySelector("#page").dataset.tab == %q`, tab))
		b.shot("dash-05-" + tab)
	}
	b.do("back to the map", chromedp.Click(chromedp.CSS(`.tabs a[href^="/dash/map"]`)))
	// The seeded history shares two problems' spots, next to their villages.
	b.waitNav("the map's dots and villages", `document.querySelectorAll("#map circle.pt").length >= 2 &&
		[...document.querySelectorAll("#map .village text")].map(t => t.textContent).sort().join() == "东山村,谢家坞村"`)
	b.do("the trends again", chromedp.Click(chromedp.CSS(`.tabs a[href^="/dash/trend"]`)))
	b.waitNav("the trend table", `!!document.querySelector("#trend")`)
	if pts := b.eval(`String(document.querySelectorAll("#trend tbody tr").length)`); pts != "12" {
		t.Errorf("the trend table has %s weeks, want 12", pts)
	}

	// As a Mini App: the launch data in the fragment, sent with each
	// request; links load in place.
	b.do("open the Mini App", chromedp.Navigate(p.URL+"/dashboard/app"))
	b.waitNav("the Mini App's league table", `document.body.dataset.miniapp == "1" && !!document.querySelector("#league tbody tr")`)
	b.do("open the problems in the Mini App", chromedp.Click(chromedp.CSS(`.tabs a[href^="/dash/problems"]`)))
	b.wait("the Mini App's problem list", `location.pathname == "/dash/app" && document.querySelectorAll("#problems tbody tr").length >= 2`)
	b.shot("dash-06-mini-app")

	// The README's picture: last week's league table of the demo's
	// villages, in a window its size.
	if *docShot {
		b.do("open last week's league by village", chromedp.EmulateViewport(1280, 380),
			chromedp.Navigate(p.URL+"/dash/league?u=d:&off=1&level=village"))
		b.waitNav("the league table", `document.querySelectorAll("#league tbody tr").length >= 2`)
		if png := b.shotPNG(); png != nil {
			if err := os.WriteFile(filepath.Join("..", "docs", "dashboard.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// waitNav is wait across a navigation the last action started: a poll
// that the old page's end interrupts starts again on the new page.
func (b *browser) waitNav(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(25 * time.Second)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.shot("failed")
			b.t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
