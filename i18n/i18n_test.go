package i18n

import (
	"strings"
	"testing"
)

func TestEveryIDInEveryLanguage(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for _, id := range c.IDs(a) {
				if !c.Has(b, id) {
					t.Errorf("message %q is in %s but missing in %s", id, a, b)
				}
			}
		}
	}
	if len(c.IDs("zh")) == 0 {
		t.Fatal("no messages loaded")
	}
}

func TestArgsAreEscaped(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	got := c.T("en", "error_internal_ref", Args{"Ref": "<b>&"})
	if strings.Contains(got, "<b>&") || !strings.Contains(got, "&lt;b&gt;&amp;") {
		t.Errorf("T(error_internal_ref) = %q, want escaped argument", got)
	}
	got = c.T("en", "error_internal_ref", Args{"Ref": HTML("<b>x</b>")})
	if !strings.Contains(got, "<b>x</b>") {
		t.Errorf("T with HTML arg = %q, want it verbatim", got)
	}
}

func TestFallbackAndNormalize(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.T("fr", "unavailable"), c.T("zh", "unavailable"); got != want {
		t.Errorf("T(fr) = %q, want zh fallback %q", got, want)
	}
	for in, want := range map[string]string{"en-US": "en", "zh-hans": "zh", "": "", "fr": ""} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := c.T("en", "no-such-id"); got != "no-such-id" {
		t.Errorf("missing id renders %q", got)
	}
}

func TestPluralsAndTerms(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang, id string
		args     Args
		want     string
	}{
		{"en", "today_month_rate", Args{"Workdays": 1, "Rate": "100.0%"}, "(through yesterday, 1 workday)"},
		{"en", "today_month_rate", Args{"Workdays": 2, "Rate": "50.0%"}, "(through yesterday, 2 workdays)"},
		{"en", "remind_title", Args{"Count": 1, "Names": "Emma"}, "this resident instructor has not checked in"},
		{"en", "remind_title", Args{"Count": 3, "Names": "Emma"}, "these 3 resident instructors have not checked in"},
		{"en", "dg_member_leave", Args{"N": 1}, ", 1 day on leave"},
		{"en", "pr_leaders_overdue", Args{"Days": "1.0", "Unit": "U", "Dept": "D", "Line": HTML(""), "N": 1}, "1.0 days overdue"},
		{"zh", "today_month_rate", Args{"Workdays": 1, "Rate": "100.0%"}, "本月打卡率（截至昨日，1 个工作日）"},
		{"zh", "remind_title", Args{"Count": 2, "Names": "王芳"}, "以下 2 位驻村指导员今天还没有打卡"},
		{"zh", "err_admin_only", Args{"Cmd": "export"}, "只有群管理员可以使用 /export。"},
		{"zh", "err_admin_only", nil, "只有群管理员可以进行此项操作。"},
		{"zh", "leave_done", Args{"Name": "李强", "Kind": "请假", "From": "2026-12-03", "To": "2026-12-03", "Workdays": 1}, "李强 请假 2026-12-03（1 个工作日）"},
		{"zh", "leave_done", Args{"Name": "李强", "Kind": "请假", "From": "2026-12-03", "To": "2026-12-04", "Workdays": 2}, "2026-12-03 至 2026-12-04"},
	} {
		if got := c.T(tt.lang, tt.id, tt.args); !strings.Contains(got, tt.want) {
			t.Errorf("T(%s, %s, %v) = %q, want it to contain %q", tt.lang, tt.id, tt.args, got, tt.want)
		}
	}
	// The deployment's own title.
	c.SetTitle("第一书记", "first secretary")
	if got := c.T("zh", "remind_title", Args{"Count": 2, "Names": "王芳"}); !strings.Contains(got, "2 位第一书记") {
		t.Errorf("zh title not applied: %q", got)
	}
	if got := c.T("en", "remind_title", Args{"Count": 2, "Names": "x"}); !strings.Contains(got, "2 first secretaries") {
		t.Errorf("en plural title not applied: %q", got)
	}
	for in, want := range map[string]string{"first secretary": "first secretaries", "day": "days", "coach": "coaches", "instructor": "instructors"} {
		if got := PluralEn(in); got != want {
			t.Errorf("PluralEn(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOneVoice keeps the catalogs in the terms of docs/glossary.md: one
// term for each thing, 您 for the reader, no "X成功" replies.
func TestOneVoice(t *testing.T) {
	banned := map[string][]string{
		"zh": {"驻村干部", "出勤率", "按时率", "村级", "村群", "部门群", "你", "成功", "附议", "不在岗", "真的解决", "同志", "县级管理员"},
		"en": {"(s)", "village cadre", "chat of <b>"},
	}
	files, err := locales.ReadDir("locales")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := locales.ReadFile("locales/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		lang := strings.TrimSuffix(f.Name()[strings.Index(f.Name(), ".")+1:], ".yaml")
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, w := range banned[lang] {
				if strings.Contains(line, w) {
					t.Errorf("%s:%d uses %q, which docs/glossary.md replaces: %s", f.Name(), i+1, w, line)
				}
			}
		}
	}
}
