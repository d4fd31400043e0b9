package app_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/dashboard"
)

// dashClient is a browser, or a Mini App, talking to the app's dashboard
// directly (not through CADREBOT_PUBLIC_URL, which names no real host in
// these tests).
type dashClient struct {
	t        *testing.T
	base     string // http://127.0.0.1:port
	cookie   *http.Cookie
	initData string
}

func newDash(t *testing.T, e *apptest.Env) *dashClient {
	t.Helper()
	return &dashClient{t: t, base: "http://" + e.App.Addr()}
}

// local turns a link the bot sent into one on the test's listener.
func (c *dashClient) local(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		c.t.Fatalf("link %q: %v", link, err)
	}
	return c.base + u.RequestURI()
}

// do sends a request with the client's session cookie or Mini App data,
// without following redirects.
func (c *dashClient) do(method, path string) (*http.Response, string) {
	c.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = c.base + path
	}
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	if c.initData != "" {
		req.Header.Set("X-Telegram-Init-Data", c.initData)
	}
	if method == http.MethodPost {
		// What a browser sends with a form posted from the page itself.
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

// get fetches a page and fails unless it answers want.
func (c *dashClient) get(path string, want int) string {
	c.t.Helper()
	resp, body := c.do(http.MethodGet, path)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s = %d, want %d:\n%s", path, resp.StatusCode, want, tailOf(body, 600))
	}
	return body
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// signIn asks the bot for /dashboard as who, and spends the link.
func (c *dashClient) signIn(e *apptest.Env, who models.User) {
	c.t.Helper()
	link := dashLink(c.t, e, who)
	c.get(c.local(link), http.StatusOK)
	resp, body := c.do(http.MethodPost, c.local(link))
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign-in answered %d:\n%s", resp.StatusCode, tailOf(body, 400))
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "cadrebot_dash" {
			c.cookie = ck
		}
	}
	if c.cookie == nil {
		c.t.Fatalf("sign-in set no session cookie: %v", resp.Header["Set-Cookie"])
	}
}

// miniApp makes the client a Mini App opened by who now.
func (c *dashClient) miniApp(e *apptest.Env, who models.User) {
	c.initData = dashboard.SignInitData(apptest.Token, who.ID, who.FirstName, who.LanguageCode, e.Clock.Now())
}

// dashLink sends /dashboard in who's private chat and returns the
// browser link of the answer.
func dashLink(t *testing.T, e *apptest.Env, who models.User) string {
	t.Helper()
	m := dashAnswer(t, e, who)
	for _, row := range keyboard(m) {
		for _, b := range row {
			if strings.Contains(b.URL, "/dash/login/") {
				return b.URL
			}
		}
	}
	t.Fatalf("/dashboard answer has no link: %+v", m.ReplyMarkup)
	return ""
}

// dashAnswer sends /dashboard privately and returns the bot's answer.
func dashAnswer(t *testing.T, e *apptest.Env, who models.User) *models.Message {
	t.Helper()
	return privateAnswer(t, e, who, "/dashboard")
}

// privateAnswer sends text in who's private chat and returns the bot's
// next message there.
func privateAnswer(t *testing.T, e *apptest.Env, who models.User, text string) *models.Message {
	t.Helper()
	return answerIn(t, e, e.TG.Private(who), who, text)
}

// answerIn sends text in chat as who and returns the bot's next message
// there.
func answerIn(t *testing.T, e *apptest.Env, chat models.Chat, who models.User, text string) *models.Message {
	t.Helper()
	before := len(e.TG.Sent(chat.ID))
	e.TG.SendText(chat, who, text)
	var m *models.Message
	e.Wait("the answer to "+text, func() bool {
		if ms := e.TG.Sent(chat.ID); len(ms) > before {
			m = ms[len(ms)-1]
			return true
		}
		return false
	})
	return m
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr data-name="([^"]*)"[^>]*>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
	cardRE = regexp.MustCompile(`(?s)<div class="label">(.*?)</div><div class="value"[^>]*>(.*?)</div>`)
)

// leagueRows reads a league table: row name -> its cells' text, after the
// rank and the name.
func leagueRows(page string) map[string][]string {
	out := map[string][]string{}
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
			cells = append(cells, html.UnescapeString(strings.TrimSpace(tagRE.ReplaceAllString(c[1], ""))))
		}
		if len(cells) >= 2 {
			out[html.UnescapeString(m[1])] = cells[2:]
		}
	}
	return out
}

// leagueNames lists a league table's rows by name, in the page's order.
func leagueNames(page string) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// assertAgrees checks a league page against the /stats (or digest) text
// of the same unit: the summary line's figures against the page's own
// cards, and each village's league line against its row, in the same
// order.
func assertAgrees(t *testing.T, text, page string) {
	t.Helper()
	sum := regexp.MustCompile(`村工作群 (\d+) 个 · \S+ \d+ 人 · 打卡率 (\S+) · 新报问题 (\d+) 件 · 办结率 (\S+) · 满意率 (\S+) · 未办结 (\d+) 件（逾期 (\d+) 件）`).FindStringSubmatch(text)
	if sum == nil {
		t.Fatalf("no summary in:\n%s", text)
	}
	cards := summaryCards(page)
	for label, want := range map[string]string{"打卡率": sum[2], "新报": sum[3], "办结率": sum[4], "满意率": sum[5], "未办结": sum[6], "逾期": sum[7]} {
		if cards[label] != want {
			t.Errorf("dashboard %s = %q, the chat says %q", label, cards[label], want)
		}
	}
	rows := leagueRows(page)
	lines := regexp.MustCompile(`\d+\. (\S+) (\S+) · (\d+) 件 · (\S+) · (\S+)`).FindAllStringSubmatch(text, -1)
	if len(lines) == 0 || len(lines) != len(rows) || strconv.Itoa(len(rows)) != sum[1] {
		t.Fatalf("the chat has %d league lines and %s villages, the dashboard %d rows: %v\n%s", len(lines), sum[1], len(rows), rows, text)
	}
	names := leagueNames(page)
	for i, l := range lines {
		r := rows[l[1]]
		// Cells: check-in rate, resolution rate, on-time rate,
		// satisfaction rate, reported, open, overdue.
		if len(r) < 7 || r[0] != l[2] || r[4] != l[3] || r[1] != l[4] || r[3] != l[5] {
			t.Errorf("%s: dashboard %q, the chat check-in %s, reported %s, resolution %s, satisfaction %s", l[1], r, l[2], l[3], l[4], l[5])
		}
		if names[i] != l[1] {
			t.Errorf("dashboard ranks %q %d., the chat %q", names[i], i+1, l[1])
		}
	}
}

// summaryCards reads the unit's own figures: label -> value.
func summaryCards(page string) map[string]string {
	out := map[string]string{}
	for _, m := range cardRE.FindAllStringSubmatch(page, -1) {
		out[html.UnescapeString(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// keyboard is a message's inline keyboard, nil without one.
func keyboard(m *models.Message) [][]models.InlineKeyboardButton {
	if m.ReplyMarkup == nil {
		return nil
	}
	return m.ReplyMarkup.InlineKeyboard
}
