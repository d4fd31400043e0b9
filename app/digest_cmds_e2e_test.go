package app_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"
	"github.com/xuri/excelize/v2"

	"cadrebot/apptest"
)

func TestStatsCommand(t *testing.T) {
	e := dgWeek(t)
	e.Clock.Set(dgAt("2026-01-04 18:00"))
	v1, v3 := e.TG.Group(dgV1, ""), e.TG.Group(dgV3, "")
	tests := []struct {
		chat  models.Chat
		who   models.User
		text  string
		want  []string
		photo bool
	}{
		{v1, apptest.Li, "/stats", []string{"青山村 统计（12月29日至1月4日）", "打卡率 80.0%", "1. 李强 50.0%", "办结率 40.0%", "上期 50.0%，下降 ↓"}, true},
		{v1, apptest.Li, "/stats week", []string{"青山村 统计（12月29日至1月4日）", "逾期：#2 #4"}, true},
		{v1, apptest.Li, "/stats 2025-12", []string{"青山村 统计（12月1日至12月31日）", "新报 6 件"}, true},
		{v1, apptest.Li, "/stats month", []string{"青山村 统计（1月1日至1月4日）"}, true},
		{v1, apptest.Li, "/stats 2025-13", []string{"用法：/stats [week|month|YYYY-MM]"}, false},
		{v1, apptest.Li, "/stats yesterday", []string{"用法：/stats"}, false},
		{v1, apptest.Li, "/stats 2027-01", []string{"2027-01 还没有开始"}, false},
		{v3, apptest.Li, "/stats", []string{"本期没有可统计的内容"}, false},
		{e.TG.Group(dgTraffic, ""), apptest.Handler, "/stats", []string{"交通运输局 统计", "待办 2 件", "本期办结 2 件：#3 #8"}, true},
		{e.TG.Group(dgCounty, ""), apptest.Handler, "/stats", []string{"全县 统计", "1. 青山村 80.0% · 5 件 · 40.0%"}, true},
		{e.TG.Group(-100799, "闲聊群"), apptest.Li, "/stats", []string{"本群还不是村工作群、部门工作群或领导群"}, false},
	}
	for _, tt := range tests {
		e.TG.SendText(tt.chat, tt.who, tt.text)
		m := e.WaitSent(tt.chat.ID, tt.want[0])
		body := m.Text + m.Caption
		for _, n := range e.TG.Sent(tt.chat.ID) {
			if n.ID > m.ID && len(n.Photo) == 0 {
				body += n.Text
			}
		}
		if got := dgMissing(body, tt.want...); len(got) > 0 {
			t.Errorf("%s in %d lacks %q:\n%s", tt.text, tt.chat.ID, got, body)
		}
		if (len(m.Photo) > 0) != tt.photo {
			t.Errorf("%s: photo = %v, want %v", tt.text, len(m.Photo) > 0, tt.photo)
		}
		if tt.photo {
			checkChart(t, e, m)
		}
	}
}

func TestDigestCommandSendsNowAndOnlyOnce(t *testing.T) {
	e := dgWeek(t)
	e.Clock.Set(dgAt("2026-01-05 08:00"))
	v1 := e.TG.Group(dgV1, "")
	// Telegram's admin list is cached briefly, so the refusal is shown to
	// someone else than the admin.
	e.TG.SendText(v1, apptest.Zhang, "/digest")
	e.WaitSent(dgV1, "只有群管理员可以")
	e.MakeAdmin(dgV1, apptest.Li)
	e.TG.SendText(v1, apptest.Li, "/digest")
	_, photo := waitDigest(t, e, dgV1, "青山村 周报（12月29日至1月4日）")
	checkChart(t, e, photo)

	// At 09:00 the others get theirs; 青山村 already has its digest.
	dgFire(t, e, dgAt("2026-01-05 09:00"), "the county digest", func() bool {
		return countDigests(e, dgCounty, "12月29日至1月4日") == 1 && countDigests(e, dgTraffic, "12月29日至1月4日") == 1
	})
	e.Drain()
	if n := countDigests(e, dgV1, "12月29日至1月4日"); n != 1 {
		t.Errorf("青山村 has %d digests after /digest and the schedule, want 1", n)
	}
	// Asked again, it is sent again: a copy on request.
	e.TG.SendText(v1, apptest.Li, "/digest")
	e.Wait("a copy of the digest", func() bool { return countDigests(e, dgV1, "12月29日至1月4日") == 2 })

	e.TG.SendText(e.TG.Group(-100799, "闲聊群"), apptest.Admin, "/digest")
	e.WaitSent(-100799, "没有周报可发")
}

// exportFile returns the documents the bot sent to chat, newest last.
func exportDocs(e *apptest.Env, chat int64) []*models.Message {
	var out []*models.Message
	for _, m := range e.TG.Sent(chat) {
		if m.Document != nil {
			out = append(out, m)
		}
	}
	return out
}

func readXLSX(t *testing.T, e *apptest.Env, m *models.Message) map[string][][]string {
	t.Helper()
	f, ok := e.TG.File(m.Document.FileID)
	if !ok {
		t.Fatalf("document %q not stored", m.Document.FileName)
	}
	x, err := excelize.OpenReader(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("export is not a valid XLSX: %v", err)
	}
	defer x.Close()
	out := map[string][][]string{}
	for _, s := range x.GetSheetList() {
		rows, err := x.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = rows
	}
	return out
}

// row finds the first row of a sheet whose cells include all of want.
func row(rows [][]string, want ...string) []string {
	for _, r := range rows {
		ok := true
		for _, w := range want {
			if !slices.Contains(r, w) {
				ok = false
				break
			}
		}
		if ok {
			return r
		}
	}
	return nil
}

func TestExportWorkbook(t *testing.T) {
	e := dgWeek(t)
	e.Clock.Set(dgAt("2026-01-05 10:00"))
	v1 := e.TG.Group(dgV1, "")
	for _, tt := range []struct {
		who        models.User
		text, want string
	}{
		{apptest.Li, "/export", "只有群管理员可以"},
		{apptest.Admin, "/export 2026-13", "用法：/export"},
		{apptest.Admin, "/export 2026-01-04 2025-12-29", "结束日期 2025-12-29 早于开始日期 2026-01-04"},
		{apptest.Admin, "/export 2025-01-01 2026-01-04", "时间范围 369 天，最多 366 天"},
		{apptest.Admin, "/export 2026-02", "2026-02-01 还没有到"},
	} {
		e.TG.SendText(v1, tt.who, tt.text)
		e.WaitSent(dgV1, tt.want)
	}

	// Wang administers the group but never started the bot privately.
	e.MakeAdmin(dgV1, apptest.Wang)
	e.TG.SendText(v1, apptest.Wang, "/export 2025-12-29 2026-01-04")
	m := e.WaitSent(dgV1, "打开私聊并点“开始”")
	if kb := m.ReplyMarkup; kb == nil || len(kb.InlineKeyboard) == 0 || !strings.HasPrefix(kb.InlineKeyboard[0][0].URL, "https://t.me/") {
		t.Errorf("no button to open the private chat: %+v", m.ReplyMarkup)
	}
	dm := e.TG.Private(apptest.Wang)
	e.TG.StartPrivate(apptest.Wang)
	e.TG.SendText(dm, apptest.Wang, "/start")
	e.WaitSent(dm.ID, "驻村")
	e.TG.SendText(v1, apptest.Wang, "/export 2025-12-29 2026-01-04")
	e.WaitSent(dgV1, "导出文件已私信发给您")
	docs := exportDocs(e, dm.ID)
	if len(docs) != 1 || !strings.HasSuffix(docs[0].Document.FileName, ".xlsx") || !strings.Contains(docs[0].Caption, "青山村 导出（12月29日至1月4日）") {
		t.Fatalf("private documents = %d, want the workbook with its caption", len(docs))
	}
	wb := readXLSX(t, e, docs[0])
	problems, checkins, summary := wb["问题"], wb["打卡"], wb["汇总"]
	if problems == nil || checkins == nil || summary == nil {
		t.Fatalf("sheets = %v, want 问题, 打卡, 汇总", slices.Collect(func(yield func(string) bool) {
			for k := range wb {
				yield(k)
			}
		}))
	}
	if got := len(problems) - 1; got != 5 {
		t.Errorf("问题 has %d rows, want the 5 reported in the range", got)
	}
	if r := row(problems, "3", "已关闭", "青山村", "工业园区门口没有停车位，进出车辆有安全隐患", "2025-12-29 10:00", "已施划停车位", "1.2"); r == nil {
		t.Errorf("问题 lacks #3 with its fields: %q", problems)
	} else if h := r[slices.Index(problems[0], "处理记录")]; !strings.Contains(h, "受理") || !strings.Contains(h, "办结") || !strings.Contains(h, "关闭") {
		t.Errorf("#3 history = %q, want accept, resolve and close", h)
	}
	if r := row(problems, "4", "待受理", "路灯不亮 <b>夜里看不见</b>"); r == nil || !slices.Contains(r, "是") {
		t.Errorf("问题 lacks #4, overdue: %q", r)
	}
	for _, want := range [][]string{
		{"2025-12-29", "王芳", "出勤", "是", "09:45"},
		{"2025-12-30", "王芳", "出勤", "是", "30.3741", "120.1551"},
		{"2025-12-30", "李强", "请假"},
		{"2025-12-31", "张伟", "缺勤"},
		{"2026-01-01", "王芳", "节假日（元旦节）", "休息", "是"},
		{"2026-01-04", "张伟", "调休上班", "出差"},
	} {
		if row(checkins, want...) == nil {
			t.Errorf("打卡 lacks a row with %q", want)
		}
	}
	if row(checkins, "2026-01-01", "李强") != nil {
		t.Errorf("打卡 lists a holiday without a check-in")
	}
	// 人员: each period of service, with what its cadre found.
	for _, want := range [][]string{
		{"王芳", "2025-12-29", "4", "100.0%", "2", "1", "50.0%"},
		{"李强", "2025-12-29", "4", "50.0%", "1", "0", "0.0%"},
		{"张伟", "2025-12-29", "4", "75.0%", "2", "1", "50.0%"},
	} {
		if row(wb["人员"], want...) == nil {
			t.Errorf("人员 lacks a row with %q:\n%q", want, wb["人员"])
		}
	}
	if row(summary, "村", "青山村", "3", "8", "10", "80.0%", "5", "2", "40.0%") == nil {
		t.Errorf("汇总 lacks 青山村:\n%q", summary)
	}

	// The leave sheet: who recorded each range, and when.
	if row(wb["请假登记"], "李强", "请假", "2025-12-30", "2025-12-31", "2", "李强", "2025-12-29 09:30") == nil {
		t.Errorf("请假登记 lacks Li's leave with its record: %q", wb["请假登记"])
	}

	// CSV: a file per sheet, readable by Excel (BOM).
	e.TG.SendText(v1, apptest.Wang, "/export csv 2025-12")
	e.Wait("seven CSV files", func() bool { return len(exportDocs(e, dm.ID)) == 8 })
	for _, d := range exportDocs(e, dm.ID)[1:] {
		f, _ := e.TG.File(d.Document.FileID)
		if !strings.HasSuffix(d.Document.FileName, ".csv") || !bytes.HasPrefix(f.Data, []byte("\ufeff")) {
			t.Errorf("%s: not a CSV with a BOM", d.Document.FileName)
		}
	}

	// A deployment admin privately gets the whole county.
	adm := e.TG.Private(apptest.Admin)
	e.TG.StartPrivate(apptest.Admin)
	e.TG.SendText(adm, apptest.Admin, "/export 2025-12-29 2026-01-04")
	e.Wait("the county workbook", func() bool { return len(exportDocs(e, adm.ID)) == 1 })
	all := readXLSX(t, e, exportDocs(e, adm.ID)[0])
	if got := len(all["问题"]) - 1; got != 6 || row(all["问题"], "8", "绿水村", "Bridge closed") == nil {
		t.Errorf("county 问题 has %d rows, want 6 with #8 of 绿水村", got)
	}
	if row(all["人员"], "绿水村", "Emma", "—") == nil {
		t.Errorf("county 人员 lacks Emma, all on leave, with no rate: %q", all["人员"])
	}
	e.TG.SendText(dm, apptest.Wang, "/export")
	e.WaitSent(dm.ID, "仅限部署管理员")

	// Blocked the bot after starting it: Telegram's 403 gets the how-to.
	e.MakeAdmin(dgV1, apptest.Zhang)
	zdm := e.TG.Private(apptest.Zhang)
	e.TG.StartPrivate(apptest.Zhang)
	e.TG.SendText(zdm, apptest.Zhang, "/start")
	e.WaitSent(zdm.ID, "驻村")
	e.TG.BlockBot(apptest.Zhang.ID)
	e.Drain()
	e.TG.SendText(v1, apptest.Zhang, "/export")
	e.WaitSent(dgV1, "张伟，导出文件会私信发给您")
}
