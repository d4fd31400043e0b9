package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/apptest"
)

const (
	qVillage = -100961
	qCounty  = -100962
)

const quarterYAML = apptest.DefaultYAML + `
units:
  - {id: keqiao, name: 柯桥区, level: county, chat_id: -100962}
  - {id: lanting, name: 兰亭街道, level: town, parent: keqiao}
`

// TestQuarterExport is the county office's 考核 of 2026-Q4, asked in the
// county's leaders' group on 4 January and checked cell by cell: every
// header of every sheet and a known row of each.
//
// 谢家坞村 (兰亭街道, 柯桥区): 陈明 (第19批) joins on Monday 7 December,
// checks in Monday (with a note), Tuesday (11 km away) and Wednesday,
// misses Thursday and is on a trip Friday; on Monday 14th the village is
// handed over to 刘洋 (第20批, 第一书记), who checks in all week and is on
// leave the 21st and 22nd. 陈明 found #1 (resolved, then reopened) and #2
// (open), which follow 刘洋 now; 刘洋 found #3 (resolved and closed).
func TestQuarterExport(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(quarterYAML), apptest.WithoutScheduler(), apptest.WithTime(dgAt("2026-12-07 08:30")))
	v := e.TG.Group(qVillage, "谢家坞村工作群")
	e.MakeAdmin(qVillage, apptest.Li)
	e.TG.SendText(v, apptest.Li, "/setup 谢家坞村 兰亭街道")
	e.WaitSent(qVillage, "本群服务")
	e.TG.SendText(v, apptest.Li, "/setvillage 30.2741 120.1551 1000")
	e.WaitSent(qVillage, "已设置村位置")
	e.TG.SendText(v, chen, "/join 第19批 柯桥区农业农村局")
	e.WaitSent(qVillage, "陈明 已加入名单")

	at := func(s string) { e.Clock.Set(dgAt(s)) }
	at("2026-12-07 09:00")
	waitReaction(t, e, qVillage, e.TG.SendText(v, chen, "/checkin 走访农户"))
	at("2026-12-08 09:30")
	waitReaction(t, e, qVillage, e.TG.SendLocation(v, chen, 30.3741, 120.1551))
	at("2026-12-09 09:00")
	waitReaction(t, e, qVillage, e.TG.SendText(v, chen, "/checkin"))
	at("2026-12-10 18:00")
	e.TG.SendText(v, chen, "/leave 2026-12-11 出差")
	e.WaitSent(qVillage, "已登记：陈明 出差")

	day := 24 * time.Hour
	p1 := dgProblem(t, e, qVillage, "谢家坞村", chen, "parking", "traffic", 72*time.Hour, dgAt("2026-12-08 10:00"), "园区出入口没有减速带")
	p1 = dgAct(t, e, dgAct(t, e, p1, cadrebot.ActAccept, dgAt("2026-12-08 11:00"), ""), cadrebot.ActResolve, dgAt("2026-12-10 10:00"), "已装减速带")
	dgAct(t, e, p1, cadrebot.ActReopen, dgAt("2026-12-11 10:00"), "减速带被撞坏")
	dgProblem(t, e, qVillage, "谢家坞村", chen, "sanitation", "environment", 7*day, dgAt("2026-12-09 10:00"), "河道漂浮物")

	at("2026-12-14 09:00")
	e.TG.SendText(v, liu, "/join")
	e.WaitSent(qVillage, "刘洋 已加入名单")
	at("2026-12-14 09:05")
	e.TG.SendText(v, apptest.Li, "/handover @chenming @liuyang 第20批 柯桥区农业农村局 第一书记")
	e.WaitSent(qVillage, "交接完成")
	for d := 14; d <= 18; d++ {
		at(fmt.Sprintf("2026-12-%d 09:10", d))
		waitReaction(t, e, qVillage, e.TG.SendText(v, liu, "/checkin"))
	}
	e.TG.SendText(v, liu, "/leave 2026-12-21 2026-12-22")
	e.WaitSent(qVillage, "已登记：刘洋 请假")
	p3 := dgProblem(t, e, qVillage, "谢家坞村", liu, "parking", "traffic", 72*time.Hour, dgAt("2026-12-15 10:00"), "校门口拥堵")
	p3 = dgAct(t, e, dgAct(t, e, p3, cadrebot.ActAccept, dgAt("2026-12-15 11:00"), ""), cadrebot.ActResolve, dgAt("2026-12-16 10:00"), "已疏导")
	dgAct(t, e, p3, cadrebot.ActClose, dgAt("2026-12-17 10:00"), "")

	// 4 January: the county's leaders ask for the quarter.
	at("2027-01-04 10:00")
	county := e.TG.Group(qCounty, "柯桥区领导群")
	e.MakeAdmin(qCounty, apptest.Li)
	dm := e.TG.Private(apptest.Li)
	e.TG.StartPrivate(apptest.Li)
	e.TG.SendText(dm, apptest.Li, "/start")
	e.WaitSent(dm.ID, "驻村")
	e.TG.SendText(county, apptest.Li, "/export 2026-Q4")
	e.WaitSent(qCounty, "导出文件已私信发给您")
	docs := exportDocs(e, dm.ID)
	if len(docs) != 1 || docs[0].Document.FileName != "cadrebot--100962-2026-Q4.xlsx" || !strings.Contains(docs[0].Caption, "柯桥区 导出（10月1日至12月31日）") {
		t.Fatalf("documents = %d (%q), want the quarter's workbook", len(docs), docs[0].Document.FileName)
	}
	wb := readXLSX(t, e, docs[0])

	sheets := []struct {
		name   string
		header []string
		row    []string
	}{
		{"人员",
			[]string{"乡镇（街道）", "村", "村工作群 ID", "姓名", "用户 ID", "职务", "批次", "派出单位", "驻村开始", "驻村结束", "结束原因",
				"在岗工作日", "出勤天数", "打卡天数", "打卡率", "驻村天数", "请假天数", "出差天数", "外出天数", "缺勤天数", "发现问题", "已办结", "办结率"},
			// 3 check-ins (one off-site) and a trip of 5 workdays; found
			// #1 (reopened) and #2 (open).
			[]string{"兰亭街道", "谢家坞村", "-100961", "陈明", "1101", "驻村指导员", "第19批", "柯桥区农业农村局", "2026-12-07", "2026-12-13", "交接",
				"5", "4", "3", "80.0%", "2", "0", "1", "0", "1", "2", "0", "0.0%"}},
		{"打卡",
			[]string{"乡镇（街道）", "村", "村工作群 ID", "日期", "星期", "日期类型", "姓名", "用户 ID", "状态", "已打卡", "打卡时间", "打卡备注", "纬度", "经度", "异地"},
			[]string{"兰亭街道", "谢家坞村", "-100961", "2026-12-07", "周一", "工作日", "陈明", "1101", "出勤", "是", "09:00", "走访农户"}},
		{"问题",
			[]string{"编号", "状态", "乡镇（街道）", "村", "村工作群 ID", "上报人", "上报人 ID", "发现人", "类别", "部门", "问题描述", "地址", "纬度", "经度",
				"照片数", "同反映人数", "上报时间", "办理期限", "时限（小时）", "办结时间", "关闭时间", "回访时间", "办理人", "办结说明", "退回理由",
				"办结用时（天）", "当前逾期", "升级级数", "无法送达", "处理记录",
				"协办部门", "已反馈进展的协办部门", "评价", "评价人", "评价时间", "照片（file_id）", "办结照片（file_id）"},
			// Reopened: no resolution time or note; handed over to 刘洋.
			[]string{"1", "已重新打开", "兰亭街道", "谢家坞村", "-100961", "刘洋", "1102", "陈明", "停车与交通", "交通运输局", "园区出入口没有减速带",
				"", "", "", "0", "0", "2026-12-08 10:00", "2026-12-14 10:00", "72", "", "", "", "赵队长", "", "", "—", "是", "0", "",
				"2026-12-08 10:00 上报 · 陈明 · 交通运输局\n2026-12-08 11:00 受理 · 赵队长 · 待受理 → 办理中\n" +
					"2026-12-10 10:00 办结 · 赵队长 · 办理中 → 已办结 · 已装减速带\n2026-12-11 10:00 重新打开 · 赵队长 · 已办结 → 已重新打开 · 交通运输局 · 减速带被撞坏\n" +
					"2026-12-14 09:05 交接，改由接任者跟进 · 李强 · 陈明 → 刘洋"}},
		{"汇总",
			[]string{"层级", "单位", "上级单位", "村工作群数", "驻村指导员人数", "出勤天数", "应出勤天数", "打卡率", "上报问题", "已办结", "办结率", "未办结", "当前逾期"},
			// 陈明 4 of 5, 刘洋 5 of 12 (14 workdays, 2 on leave).
			[]string{"乡镇（街道）", "  兰亭街道", "柯桥区", "1", "2", "9", "17", "52.9%", "3", "1", "33.3%", "2", "2"}},
		{"请假登记",
			[]string{"乡镇（街道）", "村", "村工作群 ID", "姓名", "用户 ID", "类型", "开始日期", "结束日期", "工作日数", "登记人", "登记人 ID", "登记时间", "批准人", "批准人 ID", "批准时间"},
			[]string{"兰亭街道", "谢家坞村", "-100961", "刘洋", "1102", "请假", "2026-12-21", "2026-12-22", "2", "刘洋", "1102", "2026-12-18 09:10"}},
	}
	var names []string
	for _, s := range sheets {
		names = append(names, s.name)
	}
	// Then the sheets of projects and departments (tested with them).
	names = append(names, "项目", "部门")
	if got := sheetNames(t, e, docs[0]); !cmp.Equal(got, names) {
		t.Errorf("sheets = %v, want %v", got, names)
	}
	for _, s := range sheets {
		rows := wb[s.name]
		if len(rows) == 0 {
			t.Errorf("sheet %s missing", s.name)
			continue
		}
		if diff := cmp.Diff(s.header, rows[0]); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", s.name, diff)
		}
		found := false
		for _, r := range rows[1:] {
			// GetRows leaves trailing empty cells out.
			if len(r) <= len(s.row) && cmp.Equal(s.row[:len(r)], r) && strings.Join(s.row[len(r):], "") == "" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s lacks the row\n%q\nrows:\n%q", s.name, s.row, rows[1:])
		}
	}
	// 刘洋's period is still open: no end.
	if row(wb["人员"], "刘洋", "第一书记", "第20批", "2026-12-14", "14", "5", "41.7%", "1", "1", "100.0%") == nil {
		t.Errorf("人员 lacks 刘洋's period:\n%q", wb["人员"])
	}
	// The county's own row tops the summary.
	if r := wb["汇总"][1]; r[0] != "县（区）" || r[1] != "柯桥区" {
		t.Errorf("summary starts with %q, want the county", r)
	}
}
