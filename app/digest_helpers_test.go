package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/xuri/excelize/v2"

	"cadrebot"
	"cadrebot/apptest"
)

// Chats of the digest tests. The departments are apptest.DefaultYAML's;
// its digest_chat_id is -1009.
const (
	dgV1      = -100701 // 青山村: a roster, check-ins, leave, problems
	dgV2      = -100702 // 绿水村, in English: everyone on leave
	dgV3      = -100703 // 空村: no roster, no problems
	dgTraffic = -1002
	dgEnv     = -1004
	dgCounty  = -1009
)

// dgAt is a time in Shanghai.
func dgAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, apptest.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// dgFire sets the fake clock to when and waits until cond holds. A Set
// that lands just after the scheduler read the clock, and before it went
// to sleep, leaves it asleep until a poll past when; each nudge of a
// minute makes it look again. A digest's period and key come from the
// firing time, so the nudges change nothing else.
func dgFire(t *testing.T, e *apptest.Env, when time.Time, what string, cond func() bool) {
	t.Helper()
	e.Clock.Set(when)
	for i := 0; ; i++ {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if cond() {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		if i == 8 {
			t.Fatalf("timed out waiting for %s", what)
		}
		e.Clock.Advance(time.Minute)
	}
}

// dgGroup makes a village group and puts members on its roster.
func dgGroup(t *testing.T, e *apptest.Env, id int64, title, village string, members ...models.User) models.Chat {
	t.Helper()
	g := e.TG.Group(id, title)
	if village != "" {
		e.TG.SendText(g, apptest.Admin, "/setup "+village)
		e.WaitSent(g.ID, village)
	}
	for _, m := range members {
		e.TG.SendText(g, m, "/join")
		e.WaitSent(g.ID, m.FirstName)
	}
	return g
}

// dgProblem stores a problem as the report dialog would, at created.
func dgProblem(t *testing.T, e *apptest.Env, chat int64, village string, who models.User, cat, dept string, sla time.Duration, created time.Time, text string) cadrebot.Problem {
	t.Helper()
	p := cadrebot.Problem{Status: cadrebot.StatusNew, Version: 1, VillageChat: chat, Village: village, Reporter: who.ID,
		ReporterName: who.FirstName, Category: cat, Dept: dept, Text: text, Created: created, SLA: sla, Due: created.Add(sla)}
	if _, err := e.DB.CreateProblem(context.Background(), &p, cadrebot.Entry{At: created, By: who.ID, Name: who.FirstName,
		Action: cadrebot.ActCreate, To: p.Status, Dept: dept}, false); err != nil {
		t.Fatal(err)
	}
	return p
}

// dgAct applies a lifecycle action as the deployment admin would.
func dgAct(t *testing.T, e *apptest.Env, p cadrebot.Problem, a cadrebot.Action, when time.Time, note string) cadrebot.Problem {
	t.Helper()
	np, entry, err := cadrebot.Transition(p, cadrebot.Change{Action: a, Roles: cadrebot.RoleDeployAdmin | cadrebot.RoleReporter,
		By: apptest.Handler.ID, Name: apptest.Handler.FirstName, Note: note, SLA: p.SLA}, when)
	if err != nil {
		t.Fatalf("%s #%d: %v", a, p.ID, err)
	}
	if err := e.DB.ApplyProblem(context.Background(), p, np, entry); err != nil {
		t.Fatal(err)
	}
	return np
}

// digestMsgs returns the bot's messages in chat from the first photo
// whose caption contains title onwards: a digest is a photo whose caption
// starts the text, continued in text messages when long.
func digestMsgs(e *apptest.Env, chat int64, title string) []*models.Message {
	ms := e.TG.Sent(chat)
	for i, m := range ms {
		if len(m.Photo) > 0 && strings.Contains(m.Caption, title) {
			out := []*models.Message{m}
			for _, n := range ms[i+1:] {
				if len(n.Photo) > 0 || n.Document != nil {
					break
				}
				out = append(out, n)
			}
			return out
		}
	}
	return nil
}

// waitDigest waits for a digest in chat and returns its whole text (plain,
// as the reader sees it) and the photo message.
func waitDigest(t *testing.T, e *apptest.Env, chat int64, title string) (string, *models.Message) {
	t.Helper()
	var ms []*models.Message
	e.Wait(fmt.Sprintf("a digest %q in %d", title, chat), func() bool {
		ms = digestMsgs(e, chat, title)
		return len(ms) > 0
	})
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Caption)
		b.WriteString(m.Text)
		b.WriteString("\n")
	}
	return b.String(), ms[0]
}

// countDigests counts the digest photos in chat whose caption contains
// title.
func countDigests(e *apptest.Env, chat int64, title string) int {
	n := 0
	for _, m := range e.TG.Sent(chat) {
		if len(m.Photo) > 0 && strings.Contains(m.Caption, title) {
			n++
		}
	}
	return n
}

// checkChart decodes a digest's photo: the chart's size, and enough
// distinct colours that it is not blank.
func checkChart(t *testing.T, e *apptest.Env, m *models.Message) {
	t.Helper()
	if len(m.Photo) == 0 {
		t.Fatalf("message %d has no photo", m.ID)
	}
	f, ok := e.TG.File(m.Photo[len(m.Photo)-1].FileID)
	if !ok {
		t.Fatalf("photo of message %d not stored", m.ID)
	}
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
		t.Errorf("chart is %dx%d, want 1200x800", b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]bool{}
	nonWhite := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
				nonWhite++
			}
		}
	}
	if len(colours) < 10 || nonWhite < 2000 {
		t.Errorf("chart looks blank: %d colours, %d non-white samples", len(colours), nonWhite)
	}
}

// dgMissing reports the wanted substrings missing from s.
func dgMissing(s string, want ...string) []string {
	var out []string
	for _, w := range want {
		if !strings.Contains(s, w) {
			out = append(out, w)
		}
	}
	return out
}

// sheetNames lists a workbook's sheets in order.
func sheetNames(t *testing.T, e *apptest.Env, m *models.Message) []string {
	t.Helper()
	f, ok := e.TG.File(m.Document.FileID)
	if !ok {
		t.Fatalf("document %q not stored", m.Document.FileName)
	}
	x, err := excelize.OpenReader(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("not a valid XLSX: %v", err)
	}
	defer x.Close()
	return x.GetSheetList()
}
