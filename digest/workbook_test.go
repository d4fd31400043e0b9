package digest

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"cadrebot"
	"cadrebot/attendance"
)

func TestWorkbookRoundTrip(t *testing.T) {
	tables := []Table{
		{Name: "Summary", File: "summary.csv", Header: []string{"Name", "Rate", "Median", "Count"},
			Rows: [][]any{
				{"王芳", Pct{V: 0.875, OK: true, Text: "87.5%"}, Days{V: 1.25, OK: true}, 3},
				{"=HYPERLINK(\"x\")", Pct{Text: "—"}, Days{}, int64(0)},
			}},
		{Name: "Empty", File: "empty.csv", Header: []string{"A"}},
	}
	b, err := XLSX(tables)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a valid XLSX: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !cmp.Equal(got, []string{"Summary", "Empty"}) {
		t.Errorf("sheets = %v", got)
	}
	rows, _ := f.GetRows("Summary")
	want := [][]string{{"Name", "Rate", "Median", "Count"}, {"王芳", "87.5%", "1.3", "3"}, {"=HYPERLINK(\"x\")", "—", "—", "0"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Summary rows (-want +got):\n%s", diff)
	}
	// The rate is a number formatted as a percentage, so it sorts and
	// sums; user text is a string, never a formula.
	if v, _ := f.GetCellValue("Summary", "B2", excelize.Options{RawCellValue: true}); v != "0.875" {
		t.Errorf("B2 raw value = %q, want 0.875", v)
	}
	if fm, _ := f.GetCellFormula("Summary", "A3"); fm != "" {
		t.Errorf("A3 became formula %q", fm)
	}

	c, err := CSV(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(c, []byte("\ufeff")) {
		t.Error("CSV without a byte order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"Name", "Rate", "Median", "Count"}, {"王芳", "87.5%", "1.3", "3"}, {"'=HYPERLINK(\"x\")", "—", "—", "0"}}, recs); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestTablesOfAnExport(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	wang := cadrebot.Member{UserID: 1, Name: "王芳", Index: 0}
	bits := map[int][]byte{2026: make([]byte, attendance.RowBytes)}
	for _, d := range []string{"2026-11-30", "2026-12-05"} { // Monday, and a Saturday
		off := attendance.BitOffset(0, date(d))
		bits[2026][off/8] |= 0x80 >> (off % 8)
	}
	p := problem(7, "2026-12-01 10:00", cadrebot.StatusResolved)
	p.Reporter, p.ResolvedAt, p.Text = 1, at("2026-12-02 22:00"), "=1+1 停车"
	x := &ExportData{Period: week, Now: at("2026-12-07 09:00"), Villages: []VillageRef{{Chat: -1, Name: "青山村"}},
		Checkins: map[int64]*attendance.Period{-1: {Chat: -1, From: week.From, To: week.To, Roster: []cadrebot.Member{wang}, Bits: bits,
			Leaves: map[int64]attendance.Leaves{
				1: {{From: date("2026-12-01"), To: date("2026-12-01"), Kind: cadrebot.LeaveTrip,
					By: 1, ByName: "王芳", At: at("2026-11-30 18:00").Unix(), OKBy: 9, OKByName: "李强", OKAt: at("2026-11-30 19:05").Unix()}},
				// Recorded before the bot kept who did, and outside the week.
				2: {{From: date("2026-12-02"), To: date("2026-12-03"), Kind: cadrebot.LeaveAbsence},
					{From: date("2026-11-02"), To: date("2026-11-03"), Kind: cadrebot.LeaveAbsence}},
			}}},
		Problems: []cadrebot.Problem{p},
		History: map[int64][]cadrebot.Entry{7: {{At: at("2026-12-01 10:00"), Action: cadrebot.ActCreate, To: "new", Name: "王芳"},
			{At: at("2026-12-02 22:00"), Action: cadrebot.ActResolve, From: "new", To: "resolved", Name: "赵队长", Note: "已划线"}}},
	}
	ts := c.Tables(x, "zh")
	if len(ts) != 4 || ts[0].Name != "问题" || ts[1].Name != "打卡" || ts[2].Name != "汇总" || ts[3].Name != "请假登记" {
		t.Fatalf("tables = %v", ts)
	}
	wantLeave := [][]any{
		{"青山村", int64(-1), "王芳", int64(1), "出差", "2026-12-01", "2026-12-01", 1, "王芳", int64(1), "2026-11-30 18:00", "李强", int64(9), "2026-11-30 19:05"},
		{"青山村", int64(-1), "", int64(2), "请假", "2026-12-02", "2026-12-03", 2, "", "", "", "", "", ""},
	}
	if diff := cmp.Diff(wantLeave, ts[3].Rows); diff != "" {
		t.Errorf("leave rows (-want +got):\n%s", diff)
	}
	pr := ts[0].Rows[0]
	if pr[0] != int64(7) || pr[1] != "已办结" || pr[8] != "=1+1 停车" || pr[23] != (Days{V: 1.5, OK: true}) {
		t.Errorf("problem row = %v", pr)
	}
	if h := pr[len(pr)-1].(string); !strings.Contains(h, "2026-12-01 10:00 上报 · 王芳") ||
		!strings.Contains(h, "2026-12-02 22:00 办结 · 赵队长 · 待受理 → 已办结 · 已划线") || strings.Contains(h, "pr_") {
		t.Errorf("history cell = %q, want every entry named, the report too", h)
	}
	// Monday present; Tuesday on a trip; Wed-Fri absent; Saturday's
	// check-in listed as a day off; Sunday without one left out.
	var days []string
	for _, r := range ts[1].Rows {
		days = append(days, r[2].(string)+" "+r[7].(string))
	}
	want := []string{"2026-11-30 出勤", "2026-12-01 出差", "2026-12-02 缺勤", "2026-12-03 缺勤", "2026-12-04 缺勤", "2026-12-05 休息"}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("check-in rows (-want +got):\n%s", diff)
	}
	sum := ts[2].Rows[0]
	if sum[4] != 5 || sum[5] != 2 || sum[12].(Pct).Text != "40.0%" || sum[13] != 1 || sum[14] != 1 || sum[15] != (Days{V: 1.5, OK: true}) {
		t.Errorf("summary row = %v", sum)
	}

	old := MaxCheckinRows
	MaxCheckinRows = 3
	defer func() { MaxCheckinRows = old }()
	if c.CheckinsFit(x) {
		t.Error("6 rows fit under a limit of 3")
	}
	if rows := c.Tables(x, "zh")[1].Rows; len(rows) != 1 || !strings.Contains(rows[0][0].(string), "未列出") {
		t.Errorf("over the limit, check-ins = %v", rows)
	}
}
