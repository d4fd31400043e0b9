package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// getenv serves a fixed environment so tests never touch the process's.
func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeYAML(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cadrebot.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadYAML(t *testing.T, body string, vars map[string]string) (*Config, error) {
	t.Helper()
	env := map[string]string{"CADREBOT_CONFIG": writeYAML(t, body)}
	for k, v := range vars {
		env[k] = v
	}
	return Load(getenv(env))
}

const sampleYAML = `timezone: Asia/Shanghai
language: zh
admins: [111111]
digest_chat_id: -1009
schedules:
  checkin_reminder: "0 10 * * 1-5"
  weekly_digest: "0 9 * * 1"
  overdue_sweep: "@every 1h"
categories:
  - {id: parking, name: "停车与交通", department: traffic, sla: 72h}
departments:
  - {id: traffic, name: "交通运输局", chat_id: -1002, parent: county}
  - {id: county, name: "县驻村办", chat_id: -1003}
`

func TestLoadDefaultsWithoutFile(t *testing.T) {
	c, err := Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := Defaults(); !reflect.DeepEqual(c.File, want) {
		t.Errorf("File = %+v\nwant %+v", c.File, want)
	}
	wantEnv := Env{
		APIURL:    "https://api.telegram.org",
		RedisURL:  "redis://127.0.0.1:6379/0",
		KeyPrefix: "cadrebot:",
		HTTPAddr:  ":8080",
		LogFormat: "text",
		LogLevel:  "info",
	}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("Env = %+v\nwant %+v", c.Env, wantEnv)
	}
	if c.Location == nil || c.Location.String() != "Asia/Shanghai" {
		t.Errorf("Location = %v, want Asia/Shanghai", c.Location)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("Warnings = %q, want none", w)
	}
}

func TestDefaultsAreFresh(t *testing.T) {
	a := Defaults()
	a.Checkin.Milestones[0] = 99
	a.Calendar.Weekdays[0] = 6
	if b := Defaults(); b.Checkin.Milestones[0] != 5 || b.Calendar.Weekdays[0] != 1 {
		t.Fatal("Defaults shares slices between calls")
	}
}

func TestLoadSample(t *testing.T) {
	c, err := loadYAML(t, sampleYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &c.File
	if !f.IsAdmin(111111) || f.IsAdmin(222222) {
		t.Error("IsAdmin wrong")
	}
	if f.DigestChatID != -1009 {
		t.Errorf("DigestChatID = %d", f.DigestChatID)
	}
	cat, ok := f.Category("parking")
	if !ok || cat.SLA.Duration != 72*time.Hour || cat.Name != "停车与交通" {
		t.Errorf("Category(parking) = %+v, %v", cat, ok)
	}
	if got := f.Ancestors("traffic"); !reflect.DeepEqual(got, []string{"county"}) {
		t.Errorf("Ancestors(traffic) = %q", got)
	}
	// Schedules the file leaves out still get defaults.
	if f.Schedules.ResolvedSweep != "@every 1h" || f.Schedules.OutboxReclaim != "@every 30s" {
		t.Errorf("Schedules = %+v", f.Schedules)
	}
	if f.Problems.DefaultSLA.Duration != 7*24*time.Hour {
		t.Errorf("DefaultSLA = %s", f.Problems.DefaultSLA)
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load(getenv(map[string]string{"CADREBOT_CONFIG": "example.yaml"}))
	if err != nil {
		t.Fatal(err)
	}
	f, d := c.File, Defaults()
	// The example promises to show the defaults; keep it honest.
	for _, x := range []struct {
		name      string
		got, want any
	}{
		{"timezone", f.Timezone, d.Timezone},
		{"language", f.Language, d.Language},
		{"cadre_title", f.CadreTitle, d.CadreTitle},
		{"cadre_title_en", f.CadreTitleEn, d.CadreTitleEn},
		{"schedules", f.Schedules, d.Schedules},
		{"calendar.weekdays", f.Calendar.Weekdays, d.Calendar.Weekdays},
		{"checkin", f.Checkin, d.Checkin},
		{"problems", f.Problems, d.Problems},
		{"projects", f.Projects, d.Projects},
		{"flood", f.Flood, d.Flood},
		{"limits", f.Limits, d.Limits},
		{"dashboard", f.Dashboard, d.Dashboard},
	} {
		if !reflect.DeepEqual(x.got, x.want) {
			t.Errorf("example.yaml %s = %+v, default is %+v", x.name, x.got, x.want)
		}
	}
	if got := f.Ancestors("traffic"); !reflect.DeepEqual(got, []string{"county"}) {
		t.Errorf("Ancestors(traffic) = %q", got)
	}
	if c, _ := f.Category("parking"); !reflect.DeepEqual(c.Support, []string{"environment"}) {
		t.Errorf("parking's supporting departments = %q, want the example's [environment]", c.Support)
	}
	for _, id := range []string{"parking", "roads", "environment", "safety"} {
		if _, ok := f.Category(id); !ok {
			t.Errorf("example.yaml lacks category %q", id)
		}
	}
	if u, ok := f.Unit("lanting"); !ok || u.Parent != "keqiao" || u.Level != LevelTown {
		t.Errorf("example.yaml unit lanting = %+v", u)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "TZ and LANG override the file",
			env:  map[string]string{"CADREBOT_TZ": "Europe/Berlin", "CADREBOT_LANG": "en"},
			yaml: "timezone: Asia/Shanghai\nlanguage: zh\n",
			check: func(t *testing.T, c *Config) {
				if c.File.Timezone != "Europe/Berlin" || c.Location.String() != "Europe/Berlin" {
					t.Errorf("timezone = %q, location %v", c.File.Timezone, c.Location)
				}
				if c.File.Language != "en" {
					t.Errorf("language = %q", c.File.Language)
				}
			},
		},
		{
			name: "file values stand without overrides",
			yaml: "timezone: Asia/Urumqi\nlanguage: en\n",
			check: func(t *testing.T, c *Config) {
				if c.Location.String() != "Asia/Urumqi" || c.File.Language != "en" {
					t.Errorf("got %v %q", c.Location, c.File.Language)
				}
			},
		},
		{
			name: "API URL trailing slashes trimmed",
			env:  map[string]string{"TELEGRAM_API_URL": "http://bot-api:8081//"},
			check: func(t *testing.T, c *Config) {
				if c.Env.APIURL != "http://bot-api:8081" {
					t.Errorf("APIURL = %q", c.Env.APIURL)
				}
			},
		},
		{
			name: "REDIS_URL marks RedisSet",
			env:  map[string]string{"REDIS_URL": "rediss://:pw@redis:6380/2"},
			check: func(t *testing.T, c *Config) {
				if !c.Env.RedisSet || c.Env.RedisURL != "rediss://:pw@redis:6380/2" {
					t.Errorf("RedisSet = %v, RedisURL = %q", c.Env.RedisSet, c.Env.RedisURL)
				}
			},
		},
		{
			name: "sentinel list is trimmed and needs no REDIS_URL check",
			env: map[string]string{
				"REDIS_SENTINEL_ADDRS": " s1:26379, s2:26379,",
				"REDIS_MASTER_NAME":    "mymaster",
				"REDIS_URL":            "not a url at all",
			},
			check: func(t *testing.T, c *Config) {
				if want := []string{"s1:26379", "s2:26379"}; !reflect.DeepEqual(c.Env.SentinelAddrs, want) {
					t.Errorf("SentinelAddrs = %q", c.Env.SentinelAddrs)
				}
			},
		},
		{
			name: "secret file newline trimmed",
			env: map[string]string{
				"CADREBOT_WEBHOOK_URL":    "https://bot.example.org/hook",
				"CADREBOT_WEBHOOK_SECRET": "abc_DEF-123\n",
			},
			check: func(t *testing.T, c *Config) {
				if c.Env.WebhookSecret != "abc_DEF-123" {
					t.Errorf("WebhookSecret = %q", c.Env.WebhookSecret)
				}
				if w := c.Warnings(); len(w) != 0 {
					t.Errorf("Warnings = %q", w)
				}
			},
		},
		{
			name: "public URL trimmed; https needs no warning",
			env:  map[string]string{"CADREBOT_PUBLIC_URL": "https://bot.example.org/"},
			check: func(t *testing.T, c *Config) {
				if c.Env.PublicURL != "https://bot.example.org" {
					t.Errorf("PublicURL = %q", c.Env.PublicURL)
				}
				if w := c.Warnings(); len(w) != 0 {
					t.Errorf("Warnings = %q", w)
				}
				if c.File.Dashboard.SessionTTL.Duration != 12*time.Hour || c.File.Dashboard.MapTiles != "" {
					t.Errorf("Dashboard = %+v, want the defaults", c.File.Dashboard)
				}
			},
		},
		{
			name: "plain http public URL warns about the Mini App",
			env:  map[string]string{"CADREBOT_PUBLIC_URL": "http://127.0.0.1:8080"},
			check: func(t *testing.T, c *Config) {
				if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "Mini Apps only over https") {
					t.Errorf("Warnings = %q", w)
				}
			},
		},
		{
			name: "webhook without secret loads with a warning",
			env:  map[string]string{"CADREBOT_WEBHOOK_URL": "https://bot.example.org/hook"},
			check: func(t *testing.T, c *Config) {
				if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "CADREBOT_WEBHOOK_SECRET") {
					t.Errorf("Warnings = %q", w)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Config
			var err error
			if tt.yaml != "" {
				c, err = loadYAML(t, tt.yaml, tt.env)
			} else {
				c, err = Load(getenv(tt.env))
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x.yaml")
	tests := []struct {
		name  string
		env   map[string]string
		yaml  string // written to a file when non-empty
		field string // Error.Field
		want  string // substring of Error(); whole line when it starts with "config: "
	}{
		{name: "missing file", env: map[string]string{"CADREBOT_CONFIG": missing},
			field: "CADREBOT_CONFIG", want: "config: CADREBOT_CONFIG: open " + missing + ": no such file or directory"},
		{name: "malformed yaml", yaml: "timezone: Asia/Shanghai\nschedules:\n  weekly_digest: [\n",
			field: "<file>", want: "]"},
		{name: "unknown field", yaml: "timezone: Asia/Shanghai\ntimezon: x\n",
			field: "<file>", want: `[2:1] unknown field "timezon"`},
		{name: "unknown nested field", yaml: "problems:\n  default_sal: 3d\n",
			field: "<file>", want: `unknown field "default_sal"`},
		{name: "duplicate key", yaml: "language: zh\nlanguage: en\n",
			field: "<file>", want: `mapping key "language" already defined`},
		{name: "two documents", yaml: "language: zh\n---\nlanguage: en\n",
			field: "<file>", want: "more than one YAML document"},
		{name: "wrong type", yaml: "problems:\n  max_photos: many\n",
			field: "<file>", want: "cannot unmarshal"},
		{name: "bad duration", yaml: "categories:\n  - {id: a, name: A, department: d, sla: 3 days}\n",
			field: "categories[0].sla", want: `invalid duration "3 days"`},
		{name: "duration without unit", yaml: "problems:\n  dialog_ttl: 30\n",
			field: "problems.dialog_ttl", want: `invalid duration "30"`},

		{name: "bad cron", yaml: "schedules:\n  weekly_digest: \"0 9 * *\"\n",
			field: "schedules.weekly_digest",
			want:  `config: schedules.weekly_digest: invalid cron spec "0 9 * *": expected exactly 5 fields, found 4: [0 9 * *]`},
		{name: "bad optional cron", yaml: "schedules:\n  checkin_final_reminder: \"61 * * * *\"\n",
			field: "schedules.checkin_final_reminder", want: "invalid cron spec"},
		{name: "cron with seconds", yaml: "schedules:\n  overdue_sweep: \"0 0 9 * * 1\"\n",
			field: "schedules.overdue_sweep", want: "expected exactly 5 fields"},
		{name: "cron TZ prefix", yaml: "schedules:\n  overdue_sweep: \"TZ=UTC\"\n",
			field: "schedules.overdue_sweep", want: "TZ="},
		{name: "sub-second every", yaml: "schedules:\n  outbox_reclaim: \"@every 100ms\"\n",
			field: "schedules.outbox_reclaim", want: "at least 1s"},

		{name: "support unknown", yaml: "departments:\n  - {id: d, name: D}\ncategories:\n  - {id: a, name: A, department: d, support: [x]}\n",
			field: "categories[0].support[0]", want: `unknown department "x"`},
		{name: "support itself", yaml: "departments:\n  - {id: d, name: D}\ncategories:\n  - {id: a, name: A, department: d, support: [d]}\n",
			field: "categories[0].support[0]", want: "it leads, it cannot also support"},
		{name: "support twice", yaml: "departments:\n  - {id: d, name: D}\n  - {id: e, name: E}\ncategories:\n  - {id: a, name: A, department: d, support: [e, e]}\n",
			field: "categories[0].support[1]", want: `duplicate department "e" (also support[0])`},
		{name: "remind days", yaml: "projects:\n  remind_days: -1\n", field: "projects.remind_days", want: "must be positive"},
		{name: "bad project sweep", yaml: "schedules:\n  project_sweep: \"9 * *\"\n",
			field: "schedules.project_sweep", want: "invalid cron spec"},

		{name: "bad timezone", yaml: "timezone: Mars/Base\n",
			field: "timezone", want: `config: timezone: unknown time zone "Mars/Base"`},
		{name: "bad CADREBOT_TZ", env: map[string]string{"CADREBOT_TZ": "Mars/Base"},
			field: "CADREBOT_TZ", want: `config: CADREBOT_TZ: unknown time zone "Mars/Base"`},
		{name: "bad language", yaml: "language: fr\n",
			field: "language", want: `config: language: must be zh or en, got "fr"`},
		{name: "bad CADREBOT_LANG", env: map[string]string{"CADREBOT_LANG": "fr"},
			field: "CADREBOT_LANG", want: `must be zh or en, got "fr"`},
		{name: "negative admin", yaml: "admins: [-1001]\n", field: "admins[0]", want: "positive"},

		{name: "unknown category department", yaml: "categories:\n  - {id: a, name: A, department: foo}\n",
			field: "categories[0].department", want: `config: categories[0].department: unknown department "foo"`},
		{name: "category without department", yaml: "categories:\n  - {id: a, name: A}\n",
			field: "categories[0].department", want: "required"},
		{name: "duplicate category", yaml: "departments: [{id: d, name: D}]\ncategories:\n  - {id: a, name: A, department: d}\n  - {id: a, name: B, department: d}\n",
			field: "categories[1].id", want: `duplicate id "a"`},
		{name: "empty category id", yaml: "departments: [{id: d, name: D}]\ncategories:\n  - {name: A, department: d}\n",
			field: "categories[0].id", want: "required"},
		{name: "category id with space", yaml: "departments: [{id: d, name: D}]\ncategories:\n  - {id: a b, name: A, department: d}\n",
			field: "categories[0].id", want: "letters, digits"},
		{name: "category without name", yaml: "departments: [{id: d, name: D}]\ncategories:\n  - {id: a, department: d}\n",
			field: "categories[0].name", want: "required"},
		{name: "negative sla", yaml: "departments: [{id: d, name: D}]\ncategories:\n  - {id: a, name: A, department: d, sla: -1h}\n",
			field: "categories[0].sla", want: "must be positive, got -1h"},
		{name: "negative default sla", yaml: "problems:\n  default_sla: -2d\n",
			field: "problems.default_sla", want: "must be positive, got -2d"},

		{name: "department cycle",
			yaml:  "departments:\n  - {id: environment, name: E}\n  - {id: traffic, name: T, parent: county}\n  - {id: county, name: C, parent: traffic}\n",
			field: "departments[1].parent", want: "config: departments[1].parent: cycle traffic -> county -> traffic"},
		{name: "unit level", yaml: "units:\n  - {id: a, name: A, level: province}\n",
			field: "units[0].level", want: `must be city, county or town, got "province"`},
		{name: "unit under a lower level", yaml: "units:\n  - {id: t, name: T, level: town}\n  - {id: c, name: C, level: county, parent: t}\n",
			field: "units[1].parent", want: `town "t" cannot be the parent of county "c"`},
		{name: "unit unknown parent", yaml: "units:\n  - {id: t, name: T, level: town, parent: x}\n",
			field: "units[0].parent", want: `unknown unit "x"`},
		{name: "unit id", yaml: "units:\n  - {id: \"t:1\", name: T, level: town}\n",
			field: "units[0].id", want: "must be 1-32 letters"},
		{name: "unit chat is the county chat", yaml: "digest_chat_id: -5\nunits:\n  - {id: t, name: T, level: town, chat_id: -5}\n",
			field: "units[0].chat_id", want: "-5 is already digest_chat_id"},
		{name: "village town ambiguous", yaml: "units:\n  - {id: a, name: 城关镇, level: town}\n  - {id: b, name: 城关镇, level: town}\nvillages:\n  - {chat_id: -1, name: 东山村, town: 城关镇}\n",
			field: "villages[0].town", want: `"城关镇" names units a, b: use one's id`},
		{name: "department self parent", yaml: "departments:\n  - {id: a, name: A, parent: a}\n",
			field: "departments[0].parent", want: "cycle a -> a"},
		{name: "unknown parent", yaml: "departments:\n  - {id: a, name: A, parent: b}\n",
			field: "departments[0].parent", want: `unknown department "b"`},
		{name: "duplicate department", yaml: "departments:\n  - {id: a, name: A}\n  - {id: a, name: B}\n",
			field: "departments[1].id", want: `duplicate id "a"`},
		{name: "empty department id", yaml: "departments:\n  - {name: A}\n",
			field: "departments[0].id", want: "required"},
		{name: "shared department chat", yaml: "departments:\n  - {id: a, name: A, chat_id: -5}\n  - {id: b, name: B, chat_id: -5}\n",
			field: "departments[1].chat_id", want: "already departments[0]"},
		{name: "unknown triage", yaml: "triage_department: x\n",
			field: "triage_department", want: `config: triage_department: unknown department "x"`},

		{name: "bad holiday", yaml: "calendar:\n  holidays: [2026-10-01, 2026-10-02, 2026-13-01]\n",
			field: "calendar.holidays[2]", want: `config: calendar.holidays[2]: invalid date "2026-13-01" (want YYYY-MM-DD)`},
		{name: "bad workday", yaml: "calendar:\n  workdays: [\"2026/02/14\"]\n",
			field: "calendar.workdays[0]", want: "want YYYY-MM-DD"},
		{name: "workday and holiday", yaml: "calendar:\n  workdays: [2026-10-01]\n  holidays: [2026-10-01]\n",
			field: "calendar.workdays[0]", want: "cannot be both"},
		{name: "bad weekday", yaml: "calendar:\n  weekdays: [1, 7]\n",
			field: "calendar.weekdays[1]", want: "got 7"},

		{name: "duplicate village", yaml: "villages:\n  - {chat_id: -1}\n  - {chat_id: -1}\n",
			field: "villages[1].chat_id", want: "duplicate chat id -1"},
		{name: "village without chat", yaml: "villages:\n  - {name: X}\n",
			field: "villages[0].chat_id", want: "required"},
		{name: "negative radius", yaml: "villages:\n  - {chat_id: -1, radius_m: -5}\n",
			field: "villages[0].radius_m", want: "got -5"},
		{name: "latitude", yaml: "villages:\n  - {chat_id: -1, lat: 91}\n",
			field: "villages[0].lat", want: "between -90 and 90"},
		{name: "longitude", yaml: "villages:\n  - {chat_id: -1, lon: -181}\n",
			field: "villages[0].lon", want: "between -180 and 180"},
		{name: "village timezone", yaml: "villages:\n  - {chat_id: -1, timezone: Mars/Base}\n",
			field: "villages[0].timezone", want: `unknown time zone "Mars/Base"`},

		{name: "milestones order", yaml: "checkin:\n  milestones: [5, 5]\n",
			field: "checkin.milestones[1]", want: "got 5 after 5"},
		{name: "too many photos", yaml: "problems:\n  max_photos: 11\n",
			field: "problems.max_photos", want: "album"},
		{name: "negative workers", yaml: "limits:\n  updates_per_chat: -1\n",
			field: "limits.updates_per_chat", want: "must be positive"},
		{name: "NaN rate", yaml: "limits:\n  global_per_second: .nan\n",
			field: "limits.global_per_second", want: "positive number"},
		{name: "negative flood window", yaml: "flood:\n  window: -30s\n",
			field: "flood.window", want: "must be positive"},

		{name: "API URL relative", env: map[string]string{"TELEGRAM_API_URL": "api.telegram.org"},
			field: "TELEGRAM_API_URL", want: "absolute http(s) URL"},
		{name: "API URL ftp", env: map[string]string{"TELEGRAM_API_URL": "ftp://x"},
			field: "TELEGRAM_API_URL", want: "absolute http(s) URL"},
		{name: "API URL query", env: map[string]string{"TELEGRAM_API_URL": "https://x/?a=b"},
			field: "TELEGRAM_API_URL", want: "query"},
		{name: "redis scheme", env: map[string]string{"REDIS_URL": "http://127.0.0.1:6379"},
			field: "REDIS_URL", want: `scheme must be redis or rediss, got "http"`},
		{name: "redis unparsable", env: map[string]string{"REDIS_URL": "redis://:sekrit@host:port/0"},
			field: "REDIS_URL", want: "invalid"},
		{name: "redis db", env: map[string]string{"REDIS_URL": "redis://h:6379/x"},
			field: "REDIS_URL", want: "database"},
		{name: "sentinel without master", env: map[string]string{"REDIS_SENTINEL_ADDRS": "s:26379"},
			field: "REDIS_MASTER_NAME", want: "REDIS_SENTINEL_ADDRS"},
		{name: "sentinel and cluster", env: map[string]string{"REDIS_SENTINEL_ADDRS": "s:1", "REDIS_MASTER_NAME": "m", "REDIS_CLUSTER_ADDRS": "c:1"},
			field: "REDIS_CLUSTER_ADDRS", want: "cannot be combined"},
		{name: "cluster addr", env: map[string]string{"REDIS_CLUSTER_ADDRS": "c1"},
			field: "REDIS_CLUSTER_ADDRS", want: `host:port, got "c1"`},
		{name: "log format", env: map[string]string{"CADREBOT_LOG_FORMAT": "xml"},
			field: "CADREBOT_LOG_FORMAT", want: `must be json or text, got "xml"`},
		{name: "log level", env: map[string]string{"CADREBOT_LOG_LEVEL": "loud"},
			field: "CADREBOT_LOG_LEVEL", want: `got "loud"`},
		{name: "http addr", env: map[string]string{"CADREBOT_HTTP_ADDR": "8080"},
			field: "CADREBOT_HTTP_ADDR", want: "host:port"},
		{name: "webhook URL", env: map[string]string{"CADREBOT_WEBHOOK_URL": "/hook"},
			field: "CADREBOT_WEBHOOK_URL", want: "absolute http(s) URL"},
		{name: "webhook secret chars", env: map[string]string{"CADREBOT_WEBHOOK_URL": "https://x/h", "CADREBOT_WEBHOOK_SECRET": "no spaces allowed"},
			field: "CADREBOT_WEBHOOK_SECRET", want: "1-256 characters"},
		{name: "webhook secret length", env: map[string]string{"CADREBOT_WEBHOOK_SECRET": strings.Repeat("a", 257)},
			field: "CADREBOT_WEBHOOK_SECRET", want: "got 257 characters"},
		{name: "public URL relative", env: map[string]string{"CADREBOT_PUBLIC_URL": "bot.example.org"},
			field: "CADREBOT_PUBLIC_URL", want: "absolute http(s) URL"},
		{name: "public URL with query", env: map[string]string{"CADREBOT_PUBLIC_URL": "https://bot.example.org/?x=1"},
			field: "CADREBOT_PUBLIC_URL", want: "without query"},
		{name: "public URL with a path", env: map[string]string{"CADREBOT_PUBLIC_URL": "https://bot.example.org/cadre"},
			field: "CADREBOT_PUBLIC_URL", want: `no path (the dashboard is served at /dash/ on that host), got path "/cadre"`},
		{name: "public URL with credentials", env: map[string]string{"CADREBOT_PUBLIC_URL": "https://u:sekrit@bot.example.org"},
			field: "CADREBOT_PUBLIC_URL", want: "credentials"},
		{name: "dashboard session", yaml: "dashboard: {session_ttl: 1m}\n",
			field: "dashboard.session_ttl", want: "between 5m and 30d, got 1m"},
		{name: "dashboard tiles placeholder", yaml: "dashboard: {map_tiles: \"https://tiles.example.org/{z}/{x}.png\"}\n",
			field: "dashboard.map_tiles", want: "lacks {y}"},
		{name: "dashboard tiles host", yaml: "dashboard: {map_tiles: \"https://{s}.tiles.example.org/{z}/{x}/{y}.png\"}\n",
			field: "dashboard.map_tiles", want: "fixed host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			field := tt.field
			if tt.yaml != "" {
				path := writeYAML(t, tt.yaml)
				env["CADREBOT_CONFIG"] = path
				if field == "<file>" {
					field = path
				}
			}
			c, err := Load(getenv(env))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if ce.Field != field {
				t.Errorf("Field = %q, want %q (%s)", ce.Field, field, msg)
			}
			if !strings.HasPrefix(msg, "config: "+field+": ") {
				t.Errorf("error %q does not start with the field", msg)
			}
			if strings.HasPrefix(tt.want, "config: ") {
				if msg != tt.want {
					t.Errorf("error\n got %q\nwant %q", msg, tt.want)
				}
			} else if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q lacks %q", msg, tt.want)
			}
			if strings.Contains(msg, "sekrit") {
				t.Errorf("error leaks the Redis password: %q", msg)
			}
		})
	}
}

func TestMissingFileIsNotExist(t *testing.T) {
	_, err := Load(getenv(map[string]string{"CADREBOT_CONFIG": filepath.Join(t.TempDir(), "none.yaml")}))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	for _, body := range []string{"", "# nothing yet\n", "---\n"} {
		c, err := loadYAML(t, body, nil)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if !reflect.DeepEqual(c.File, Defaults()) {
			t.Errorf("%q: File = %+v", body, c.File)
		}
	}
}

func TestCategorySLAInheritsFileDefault(t *testing.T) {
	c, err := loadYAML(t, `problems: {default_sla: 2d12h}
departments: [{id: d, name: D}]
categories: [{id: a, name: A, department: d}, {id: b, name: B, department: d, sla: 1h}]
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.File.Category("a"); a.SLA.Duration != 60*time.Hour {
		t.Errorf("a.SLA = %s, want 2d12h", a.SLA)
	}
	if b, _ := c.File.Category("b"); b.SLA.Duration != time.Hour {
		t.Errorf("b.SLA = %s, want 1h", b.SLA)
	}
}

// docs/configuration.md shows example.yaml whole; a field added to one
// and not the other fails here.
func TestDocsShowTheExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(ex)+"```\n") {
		t.Error("docs/configuration.md's YAML block is not config/example.yaml: copy the file into it")
	}
}
