package playground_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cadrebot/playground"
)

var docShot = flag.Bool("docshot", false, "also write the README screenshot, docs/playground.png")

// chromium finds the browser: CADREBOT_CHROMIUM, else Debian's
// /usr/bin/chromium, which scripts/ensure-chromium.sh installs for `make
// test`. Outside CI a missing browser skips the test; in CI it fails, so
// the browser test can never be skipped there by accident.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CADREBOT_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found at %s: `make test` installs it with scripts/ensure-chromium.sh", path)
		}
		t.Skipf("chromium not found at %s; run scripts/ensure-chromium.sh (or set CADREBOT_CHROMIUM)", path)
	}
	return path
}

// browser drives one headless Chromium tab against the playground.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // screenshots
}

func newBrowser(t *testing.T, execPath string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine has no network: nothing may try to reach out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first action starts the browser and binds it to the context it
	// runs with: that must be the long-lived one, not a step's deadline.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("CADREBOT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir = filepath.Join(dir, "playground")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, dir: dir}
}

// do runs actions with a deadline, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

// wait polls a JavaScript predicate in the page.
func (b *browser) wait(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.shot("failed")
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// eval evaluates JavaScript and returns its value.
func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// shot saves a screenshot as a test artifact.
func (b *browser) shot(name string) []byte {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return nil
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
	return png
}

// shotPNG is a screenshot of the page as it is, not saved.
func (b *browser) shotPNG() []byte {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return nil
	}
	return png
}

// as picks the user in the page's menu.
func (b *browser) as(p playground.Person) {
	b.t.Helper()
	b.do("pick "+p.User.FirstName, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`{const s = document.querySelector("#user"); s.value = %q; s.dispatchEvent(new Event("change"))}`, p.Key)))
}

// tab shows a chat in its column.
func (b *browser) tab(c playground.ChatInfo) {
	b.t.Helper()
	b.do("open the "+c.Short+" tab", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tab[data-tab="%d"]`, c.ID))))
}

// send types text into a chat's composer and presses 发送.
func (b *browser) send(chat int64, text string) {
	b.t.Helper()
	pane := fmt.Sprintf(`#pane%d`, chat)
	b.do("send "+text,
		chromedp.SetValue(chromedp.CSS(pane+` input[name=text]`), text),
		chromedp.Click(chromedp.CSS(pane+` button.send`)),
	)
	b.wait("the sent message on the page", fmt.Sprintf(
		`[...document.querySelectorAll(%q)].some(m => !m.classList.contains("bot") && m.textContent.includes(%q))`,
		fmt.Sprintf("#msgs%d .msg", chat), firstLine(text)))
}

// lastBotText is the newest bot message in chat whose text matches all of
// words, as a JS expression ("" when none).
func botMsgJS(chat int64, words ...string) string {
	w, _ := json.Marshal(words)
	return fmt.Sprintf(`([...document.querySelectorAll("#msgs%d .msg.bot")].reverse().find(m => %s.every(w => m.textContent.includes(w))))`, chat, w)
}

// clickButton clicks the newest inline button in chat whose label contains
// one of labels, and returns the label it clicked.
func (b *browser) clickButton(chat int64, labels ...string) string {
	b.t.Helper()
	l, _ := json.Marshal(labels)
	find := fmt.Sprintf(`([...document.querySelectorAll("#msgs%d .msg.bot .ib[data-press]")].reverse().find(x => %s.some(l => x.textContent.includes(l))))`, chat, l)
	b.wait(fmt.Sprintf("a button %v", labels), "!!"+find)
	return b.eval(fmt.Sprintf(`{const x = %s; x.click(); x.textContent}`, find))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 20 {
		s = string(r[:20])
	}
	return s
}

// TestBrowserDemo walks through the demo the way docs/playground.md tells
// a visitor to: check in, report a problem, resolve it as the department,
// read the resolution rate, and jump to Monday for the weekly digest. Each
// part skips, naming the feature, while that feature is not in the bot.
func TestBrowserDemo(t *testing.T) {
	execPath := chromium(t)
	p := startDemo(t)
	b := newBrowser(t, execPath)
	village, traffic := playground.Xiejiawu.ID, playground.Traffic.ID
	menu := map[string]bool{}
	for _, c := range p.TG.Commands("", "") {
		menu[c.Command] = true
	}
	need := func(t *testing.T, cmd, feature string) {
		t.Helper()
		if !menu[cmd] {
			t.Fatalf("the bot has no /%s: %s are missing from its menu", cmd, feature)
		}
	}
	// Subtests share the browser; each gets it through sub.
	sub := func(t *testing.T) *browser { c := *b; c.t = t; return &c }

	t.Run("page", func(t *testing.T) {
		b := sub(t)
		b.do("open the page", chromedp.Navigate(p.URL))
		b.wait("the page to sync with the event stream", `document.body.dataset.synced`)
		b.wait("the seeded history", fmt.Sprintf(`document.querySelectorAll("#msgs%d .msg").length > 3`, village))
		b.shot("01-page")
		// Works whatever features are merged: the roster the history built.
		b.as(playground.Wang)
		b.send(village, "/roster")
		b.wait("the roster reply", "!!"+botMsgJS(village, "王芳", "李强"))
	})
	if t.Failed() {
		return
	}

	t.Run("checkin", func(t *testing.T) {
		need(t, "checkin", "check-ins")
		b := sub(t)
		b.as(playground.Wang)
		b.send(village, "/checkin 巡查工业园区停车情况")
		b.wait("the check-in acknowledged (reaction or reply)", fmt.Sprintf(
			`(() => { const ms = [...document.querySelectorAll("#msgs%d .msg")];
			  const i = ms.findIndex(m => m.textContent.includes("巡查工业园区停车情况"));
			  return i >= 0 && (ms[i].querySelector(".react") || ms.slice(i+1).some(m => m.classList.contains("bot"))) })()`, village))
		// The private chat: reminders by DM instead of a mention.
		b.send(playground.Wang.User.ID, "/remindme")
		b.wait("/remindme answered privately", "!!"+botMsgJS(playground.Wang.User.ID, "私信"))
		b.shot("02-checkin")
	})

	resolved := t.Run("report and resolve", func(t *testing.T) {
		need(t, "report", "problem reports")
		b := sub(t)
		b.as(playground.Wang)
		b.send(village, "/report 园区门口货车占道停放，影响村民出行")
		b.clickButton(village, "停车与交通")
		// The answer quotes the report, which tells it from the seeded
		// reports' answers.
		registered := botMsgJS(village, "已登记", "园区门口货车占道")
		b.wait("the report's number", "!!"+registered)
		n := b.eval(fmt.Sprintf(`(%s.textContent.match(/已登记 #(\d+)/) || [,""])[1]`, registered))
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("no #N in the bot's answer to the report: %q", n)
		}
		b.tab(playground.Traffic)
		b.wait("the card in 交通运输局", "!!"+botMsgJS(traffic, "#"+n, "园区门口货车占道"))
		b.shot("03-card")
		b.as(playground.Zhao)
		b.clickButton(traffic, "办结")
		b.wait("the question for the note", "!!"+botMsgJS(traffic, "#"+n, "办结说明"))
		b.send(traffic, "已协调园区在门口划定货车临时停车区")
		b.wait("the card to show it resolved", "!!"+botMsgJS(traffic, "#"+n, "已办结", "园区门口货车占道"))
		b.wait("the reporter told in the village", "!!"+botMsgJS(village, "#"+n, "办结"))
		b.shot("04-resolved")
	})

	t.Run("resolution rate", func(t *testing.T) {
		need(t, "report", "problem reports")
		if !resolved {
			t.Skip("the report was not resolved")
		}
		b := sub(t)
		b.as(playground.Wang)
		// /stats gives the digest's figures; before it, the
		// problem list ends with the same rate.
		cmd := "/problems all"
		if menu["stats"] {
			cmd = "/stats"
		}
		b.send(village, cmd)
		b.wait("the resolution rate at 100% after "+cmd, "!!"+botMsgJS(village, "办结率", "100.0%"))
		b.shot("05-rate")
	})

	t.Run("project", func(t *testing.T) {
		need(t, "project", "village projects")
		b := sub(t)
		b.tab(playground.Xiejiawu)
		b.as(playground.Li)
		b.send(village, "/project P1")
		b.wait("the seeded project with its slipped milestone", "!!"+botMsgJS(village, "P1 儿童公园停车场扩建", "已逾期"))
		b.clickButton(village, "完成：完成选址和设计方案")
		b.wait("the milestone done, told to the village", "!!"+botMsgJS(village, "节点「完成选址和设计方案」已完成（李强）"))
		b.shot("06-project")
	})

	t.Run("weekly digest", func(t *testing.T) {
		need(t, "stats", "digests and statistics")
		b := sub(t)
		b.tab(playground.Xiejiawu)
		before := b.eval(fmt.Sprintf(`String(document.querySelectorAll("#msgs%d .msg.bot img").length)`, village))
		b.do("jump to Monday 09:00", chromedp.Click(chromedp.ID("to-monday")))
		b.wait("the weekly digest with its chart", fmt.Sprintf(
			`document.querySelectorAll("#msgs%d .msg.bot img").length > %s &&
			 [...document.querySelectorAll("#msgs%d .msg.bot img")].pop().complete`, village, before, village))
		b.shot("07-digest")
	})

	// The README's picture is the page as the walk-through left it, with
	// whatever features this build has.
	if *docShot {
		b.tab(playground.Traffic)
		if png := b.shot("docs"); png != nil {
			if err := os.WriteFile(filepath.Join("..", "docs", "playground.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
