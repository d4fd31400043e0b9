package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "72h", want: 72 * time.Hour},
		{in: "30m", want: 30 * time.Minute},
		{in: "5s", want: 5 * time.Second},
		{in: "7d", want: 7 * day},
		{in: "2d12h", want: 2*day + 12*time.Hour},
		{in: "1d30m15s", want: day + 30*time.Minute + 15*time.Second},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "-2d", want: -2 * day},
		{in: "0", want: 0},
		{in: "", want: 0},
		{in: " 7d ", want: 7 * day},
		{in: "30", wantErr: true},
		{in: "d", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "12h2d", wantErr: true},
		{in: "2d-3h", wantErr: true},
		{in: "-", wantErr: true},
		{in: "7 days", wantErr: true},
		{in: "999999999999d", wantErr: true},
		{in: "106751d24h", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n") {
			t.Errorf("ParseDuration(%q) error not one line", tt.in)
		}
	}
}

func TestDurationString(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{5 * time.Second, "5s"},
		{10 * time.Second, "10s"},
		{30 * time.Minute, "30m"},
		{72 * time.Hour, "3d"},
		{7 * day, "7d"},
		{2*day + 12*time.Hour, "2d12h"},
		{day + 10*time.Minute, "1d10m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{1500 * time.Millisecond, "1.5s"},
		{-36 * time.Hour, "-1d12h"},
	}
	for _, tt := range tests {
		got := Duration{tt.d}.String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, tt.d)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	type doc struct {
		A Duration `yaml:"a"`
		B Duration `yaml:"b"`
		C Duration `yaml:"c"`
	}
	var d doc
	if err := yaml.Unmarshal([]byte("a: 72h\nb: \"7d\"\nc: ~\n"), &d); err != nil {
		t.Fatal(err)
	}
	want := doc{Duration{72 * time.Hour}, Duration{7 * 24 * time.Hour}, Duration{}}
	if d != want {
		t.Fatalf("got %+v, want %+v", d, want)
	}
	out, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != "a: 3d\nb: 7d\nc: 0s\n" {
		t.Errorf("Marshal = %q", got)
	}
	var back doc
	if err := yaml.Unmarshal(out, &back); err != nil || back != d {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	// A mapping is not a duration; the error names the field.
	err = yaml.Unmarshal([]byte("a: {h: 1}\n"), &d)
	if err == nil || !strings.Contains(err.Error(), "a: want a duration") {
		t.Errorf("mapping: err = %v", err)
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec string
		want string // error substring; "" for success
	}{
		{"0 10 * * 1-5", ""},
		{"@every 1h", ""},
		{"@every 1s", ""},
		{"@daily", ""},
		{" 0 9 * * 1 ", ""},
		{"", "empty"},
		{"0 9 * *", `invalid cron spec "0 9 * *": expected exactly 5 fields, found 4: [0 9 * *]`},
		{"0 0 9 * * 1", "expected exactly 5 fields"},
		{"60 * * * *", "invalid cron spec"},
		{"@fortnightly", "invalid cron spec"},
		{"@every 500ms", "at least 1s"},
		{"@every -1h", "at least 1s"},
		{"TZ=Asia/Shanghai", "TZ="},
		{"CRON_TZ=UTC 0 9 * * 1", "TZ="},
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.spec)
		switch {
		case tt.want == "" && (err != nil || s == nil):
			t.Errorf("ParseSchedule(%q) = %v, %v", tt.spec, s, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseSchedule(%q) error = %v, want %q", tt.spec, err, tt.want)
		}
	}
	s, err := ParseSchedule("0 10 * * 1-5")
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("CST", 8*3600)
	// Friday 11:00 → next Monday 10:00, in the time's own zone.
	from := time.Date(2026, 5, 8, 11, 0, 0, 0, loc)
	if got, want := s.Next(from), time.Date(2026, 5, 11, 10, 0, 0, 0, loc); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", from, got, want)
	}
}

func TestLookups(t *testing.T) {
	f := &File{
		Admins: []int64{7},
		Categories: []Category{
			{ID: "parking", Department: "traffic"},
			{ID: "roads", Department: "traffic"},
		},
		Departments: []Department{
			{ID: "traffic", ChatID: -2, Parent: "county"},
			{ID: "county", ChatID: -3, Parent: "province"},
			{ID: "province", ChatID: 0},
			{ID: "unbound"},
			{ID: "loop1", Parent: "loop2"},
			{ID: "loop2", Parent: "loop1"},
			{ID: "orphan", Parent: "gone"},
		},
		Villages: []Village{{ChatID: -10, Name: "东山村"}},
	}
	if c, ok := f.Category("roads"); !ok || c.ID != "roads" {
		t.Errorf("Category(roads) = %+v, %v", c, ok)
	}
	if _, ok := f.Category("nope"); ok {
		t.Error("Category(nope) found")
	}
	if d, ok := f.Department("county"); !ok || d.ChatID != -3 {
		t.Errorf("Department(county) = %+v, %v", d, ok)
	}
	if d, ok := f.DepartmentByChat(-2); !ok || d.ID != "traffic" {
		t.Errorf("DepartmentByChat(-2) = %+v, %v", d, ok)
	}
	if d, ok := f.DepartmentByChat(0); ok {
		t.Errorf("DepartmentByChat(0) = %+v; unbound departments must not match", d)
	}
	if v, ok := f.Village(-10); !ok || v.Name != "东山村" {
		t.Errorf("Village(-10) = %+v, %v", v, ok)
	}
	if _, ok := f.Village(-11); ok {
		t.Error("Village(-11) found")
	}
	if !f.IsAdmin(7) || f.IsAdmin(8) {
		t.Error("IsAdmin wrong")
	}
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{"traffic", []string{"county", "province"}},
		{"province", nil},
		{"missing", nil},
		{"loop1", []string{"loop2"}},
		{"orphan", nil},
	} {
		if got := f.Ancestors(tt.id); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Ancestors(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestErrorIsOneLine(t *testing.T) {
	e := &Error{Field: "x", Msg: "first\n  second\r\nthird"}
	if got := e.Error(); got != "config: x: first second third" {
		t.Errorf("Error() = %q", got)
	}
}
