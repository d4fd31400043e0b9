package digest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"cadrebot"
)

// TestProblemSheetCurrentState: a reopened problem shows no resolution
// time or note (its history keeps them), and every history entry reads
// in the language of the workbook, me-too and creation included.
func TestProblemSheetCurrentState(t *testing.T) {
	c := composer(t)
	p := problem(7, "2026-11-02 10:00", cadrebot.StatusReopened)
	p.ResolvedAt, p.Note = at("2026-11-03 10:00"), "已划线"
	hist := []cadrebot.Entry{
		{At: at("2026-11-02 10:00"), Name: "王芳", Action: cadrebot.ActCreate, To: cadrebot.StatusNew},
		{At: at("2026-11-02 11:00"), Name: "李强", Action: cadrebot.ActMeToo},
		{At: at("2026-11-03 10:00"), Name: "赵队长", Action: cadrebot.ActResolve, From: cadrebot.StatusNew, To: cadrebot.StatusResolved, Note: "已划线"},
		{At: at("2026-11-04 10:00"), Name: "王芳", Action: cadrebot.ActReopen, From: cadrebot.StatusResolved, To: cadrebot.StatusReopened},
	}
	x := &ExportData{Period: MonthOf(2026, time.November, shanghai), Now: at("2026-11-05 10:00"),
		Problems: []cadrebot.Problem{p}, History: map[int64][]cadrebot.Entry{7: hist}}
	tb := c.problemTable(x, "zh")
	row := tb.Rows[0]
	col := func(name string) any { return row[slices.Index(tb.Header, name)] }
	if got := col("办结时间"); got != "" {
		t.Errorf("办结时间 of a reopened problem = %q, want empty", got)
	}
	if got := col("办结说明"); got != "" {
		t.Errorf("办结说明 of a reopened problem = %q, want empty", got)
	}
	h, _ := col("处理记录").(string)
	for _, want := range []string{"2026-11-02 10:00 上报 · 王芳", "也反映了此问题 · 李强", "办结 · 赵队长", "已划线", "重新打开 · 王芳"} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "pr_") {
		t.Errorf("history shows a catalog key:\n%s", h)
	}
}
