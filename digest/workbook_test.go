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
	"cadrebot/config"
	"cadrebot/units"
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

// TestTablesOfAnExport checks every header of every sheet of an export
// and one known row of each: 王芳 of 青山村 (兰亭街道) served the week
// from Monday; 李强 served Monday and Tuesday before a hand-over.
func TestTablesOfAnExport(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	wang := cadrebot.Member{UserID: 1, Name: "王芳", Index: 0}
	li := cadrebot.Member{UserID: 2, Name: "李强", Index: 1}
	bits := map[int][]byte{2026: make([]byte, 2*attendance.RowBytes)}
	set := func(m cadrebot.Member, days ...string) {
		for _, d := range days {
			off := attendance.BitOffset(m.Index, date(d))
			bits[2026][off/8] |= 0x80 >> (off % 8)
		}
	}
	set(wang, "2026-11-30", "2026-12-05") // Monday, and a Saturday
	set(li, "2026-11-30", "2026-12-02")   // the Wednesday after he left: not his
	p := problem(7, "2026-12-01 10:00", cadrebot.StatusResolved)
	p.Reporter, p.ReporterName, p.ResolvedAt, p.Note, p.Text = 1, "王芳", at("2026-12-02 22:00"), "已划线", "=1+1 停车"
	p.FoundBy, p.FoundName = 2, "李强"
	tree := units.New(&config.File{Units: []config.Unit{{ID: "lanting", Name: "兰亭街道", Level: config.LevelTown}}}, nil, nil)
	tree.AddVillage(-1, "青山村", "兰亭街道")
	x := &ExportData{Period: week, Now: at("2026-12-07 09:00"), Villages: []VillageRef{{Chat: -1, Name: "青山村"}},
		Tree: tree, Whole: true,
		Checkins: map[int64]*attendance.Period{-1: {Chat: -1, From: week.From, To: week.To, Roster: []cadrebot.Member{wang}, Bits: bits,
			Former: []cadrebot.Member{li},
			Service: map[int64]attendance.Services{
				1: {{From: date("2026-11-30"), Batch: "第20批", Home: "柯桥区农业农村局"}},
				2: {{From: date("2026-06-01"), To: date("2026-12-01"), Batch: "第19批", Title: "第一书记", Ended: attendance.EndHandover}},
			},
			Leaves: map[int64]attendance.Leaves{
				1: {{From: date("2026-12-01"), To: date("2026-12-01"), Kind: cadrebot.LeaveTrip,
					By: 1, ByName: "王芳", At: at("2026-11-30 18:00").Unix(), OKBy: 9, OKByName: "李强", OKAt: at("2026-11-30 19:05").Unix()}},
				// Recorded before the bot kept who did, and outside the week.
				3: {{From: date("2026-12-02"), To: date("2026-12-03"), Kind: cadrebot.LeaveAbsence},
					{From: date("2026-11-02"), To: date("2026-11-03"), Kind: cadrebot.LeaveAbsence}},
			}}},
		Problems: []cadrebot.Problem{p},
		History: map[int64][]cadrebot.Entry{7: {{At: at("2026-12-01 10:00"), Action: cadrebot.ActCreate, To: "new", Name: "李强"},
			{At: at("2026-12-01 11:00"), Action: cadrebot.ActHandover, Name: "管理员", Note: "李强 → 王芳"},
			{At: at("2026-12-02 22:00"), Action: cadrebot.ActResolve, From: "new", To: "resolved", Name: "赵队长", Note: "已划线"}}},
	}
	ts := c.Tables(x, "zh")
	var names []string
	for _, tb := range ts {
		names = append(names, tb.Name)
	}
	if diff := cmp.Diff([]string{"人员", "打卡", "问题", "汇总", "请假登记", "项目", "部门"}, names); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	tests := []struct {
		sheet  int
		header []string
		row    []any // a row of the sheet, whole
	}{
		{0, []string{"乡镇（街道）", "村", "村工作群 ID", "姓名", "用户 ID", "职务", "批次", "派出单位", "驻村开始", "驻村结束", "结束原因",
			"在岗工作日", "出勤天数", "打卡天数", "打卡率", "驻村天数", "请假天数", "出差天数", "外出天数", "缺勤天数", "发现问题", "已办结", "办结率"},
			// Li: Monday and Tuesday, checked in Monday; he found #7.
			[]any{"兰亭街道", "青山村", int64(-1), "李强", int64(2), "第一书记", "第19批", "", "2026-06-01", "2026-12-01", "交接",
				2, 1, 1, Pct{V: 0.5, OK: true, Text: "50.0%"}, 1, 0, 0, 0, 1, 1, 1, Pct{V: 1, OK: true, Text: "100.0%"}}},
		{1, []string{"乡镇（街道）", "村", "村工作群 ID", "日期", "星期", "日期类型", "姓名", "用户 ID", "状态", "已打卡", "打卡时间", "打卡备注", "纬度", "经度", "异地"},
			[]any{"兰亭街道", "青山村", int64(-1), "2026-12-05", "周六", "休息日", "王芳", int64(1), "休息", "是", "", "", "", "", ""}},
		{2, []string{"编号", "状态", "乡镇（街道）", "村", "村工作群 ID", "上报人", "上报人 ID", "发现人", "类别", "部门", "问题描述", "地址", "纬度", "经度",
			"照片数", "同反映人数", "上报时间", "办理期限", "时限（小时）", "办结时间", "关闭时间", "回访时间", "办理人", "办结说明", "退回理由",
			"办结用时（天）", "当前逾期", "升级级数", "无法送达", "处理记录",
			"协办部门", "已反馈进展的协办部门", "评价", "评价人", "评价时间", "照片（file_id）", "办结照片（file_id）"},
			[]any{int64(7), "已办结", "兰亭街道", "青山村", int64(-1), "王芳", int64(1), "李强", "停车与交通", "交通运输局", "=1+1 停车", "", "", "",
				0, 0, "2026-12-01 10:00", "2026-12-04 10:00", int64(72), "2026-12-02 22:00", "", "", "", "已划线", "",
				Days{V: 1.5, OK: true}, "", 0, "",
				"2026-12-01 10:00 上报 · 李强\n2026-12-01 11:00 交接，改由接任者跟进 · 管理员 · 李强 → 王芳\n2026-12-02 22:00 办结 · 赵队长 · 待受理 → 已办结 · 已划线",
				"", "", "", "", "", "", ""}},
		{3, []string{"层级", "单位", "上级单位", "村工作群数", "驻村指导员人数", "出勤天数", "应出勤天数", "打卡率", "上报问题", "已办结", "办结率", "未办结", "当前逾期"},
			// Wang 2 of 5 (the trip counts), Li 1 of 2.
			[]any{"村", "    青山村", "兰亭街道", 1, 2, 3, 7, Pct{V: 3.0 / 7, OK: true, Text: "42.9%"}, 1, 1, Pct{V: 1, OK: true, Text: "100.0%"}, 0, 0}},
		{4, []string{"乡镇（街道）", "村", "村工作群 ID", "姓名", "用户 ID", "类型", "开始日期", "结束日期", "工作日数", "登记人", "登记人 ID", "登记时间", "批准人", "批准人 ID", "批准时间"},
			[]any{"兰亭街道", "青山村", int64(-1), "王芳", int64(1), "出差", "2026-12-01", "2026-12-01", 1, "王芳", int64(1), "2026-11-30 18:00", "李强", int64(9), "2026-11-30 19:05"}},
	}
	for _, tt := range tests {
		tb := ts[tt.sheet]
		if diff := cmp.Diff(tt.header, tb.Header); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", tb.Name, diff)
		}
		if len(tb.Widths) != len(tb.Header) {
			t.Errorf("%s: %d widths for %d columns", tb.Name, len(tb.Widths), len(tb.Header))
		}
		found := false
		for _, r := range tb.Rows {
			if cmp.Equal(tt.row, r) {
				found = true
			}
			if len(r) != len(tb.Header) {
				t.Errorf("%s row of %d cells under %d columns: %v", tb.Name, len(r), len(tb.Header), r)
			}
		}
		if !found {
			t.Errorf("%s lacks the row %v; rows:\n%v", tb.Name, tt.row, tb.Rows)
		}
	}
	// The daily log: Wang from Monday, Li on his two days only.
	var days []string
	for _, r := range ts[1].Rows {
		days = append(days, r[3].(string)+" "+r[6].(string)+" "+r[8].(string))
	}
	want := []string{"2026-11-30 王芳 出勤", "2026-12-01 王芳 出差", "2026-12-02 王芳 缺勤", "2026-12-03 王芳 缺勤", "2026-12-04 王芳 缺勤",
		"2026-12-05 王芳 休息", "2026-11-30 李强 出勤", "2026-12-01 李强 缺勤"}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("check-in rows (-want +got):\n%s", diff)
	}
	// The summary starts at the top: the deployment, then the town.
	if got := ts[3].Rows[0][1]; got != "全县" || ts[3].Rows[1][1] != "  兰亭街道" {
		t.Errorf("summary rows = %v", ts[3].Rows)
	}

	old := MaxCheckinRows
	MaxCheckinRows = 3
	defer func() { MaxCheckinRows = old }()
	if c.CheckinsFit(x) {
		t.Error("12 rows fit under a limit of 3")
	}
	if rows := c.Tables(x, "zh")[1].Rows; len(rows) != 1 || !strings.Contains(rows[0][0].(string), "未列出") {
		t.Errorf("over the limit, check-ins = %v", rows)
	}
}
