package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Validate checks c after defaults are applied and returns the first
// problem as an *Error, or nil. It does not modify c.
func (c *Config) Validate() error {
	if err := c.Env.validate(); err != nil {
		return err
	}
	return c.File.validate(c.tzField(), c.langField())
}

// Warnings lists settings that work but deserve a line in the log at start.
func (c *Config) Warnings() []string {
	var w []string
	if c.Env.WebhookURL != "" && c.Env.WebhookSecret == "" {
		w = append(w, "CADREBOT_WEBHOOK_URL is set without CADREBOT_WEBHOOK_SECRET: anyone who learns the URL can post fake updates")
	}
	if strings.HasPrefix(strings.ToLower(c.Env.PublicURL), "http:") {
		w = append(w, "CADREBOT_PUBLIC_URL is plain http: Telegram opens Mini Apps only over https, so /dashboard offers the browser link alone, and the session cookie is not marked Secure")
	}
	if strings.HasPrefix(strings.ToLower(c.Env.WebhookURL), "http:") {
		w = append(w, "CADREBOT_WEBHOOK_URL is plain http: Telegram's cloud Bot API only delivers to https, so this works only with a local Bot API server")
	}
	return w
}

// The file's value is blamed on the variable when the variable supplied it,
// so the operator looks in the right place.
func (c *Config) tzField() string {
	if c.Env.TZ != "" && c.Env.TZ == c.File.Timezone {
		return "CADREBOT_TZ"
	}
	return "timezone"
}

func (c *Config) langField() string {
	if c.Env.Lang != "" && c.Env.Lang == c.File.Language {
		return "CADREBOT_LANG"
	}
	return "language"
}

// Telegram's rule for secret_token in setWebhook.
var webhookSecretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (e *Env) validate() error {
	if err := checkHTTPURL("TELEGRAM_API_URL", e.APIURL); err != nil {
		return err
	}
	if u, _ := url.Parse(e.APIURL); u.RawQuery != "" || u.Fragment != "" {
		// The client appends "/bot<token>/<method>" to this string.
		return fail("TELEGRAM_API_URL", "must not have a query or fragment: %q", e.APIURL)
	}

	switch {
	case len(e.SentinelAddrs) > 0 && len(e.ClusterAddrs) > 0:
		return fail("REDIS_CLUSTER_ADDRS", "cannot be combined with REDIS_SENTINEL_ADDRS")
	case len(e.SentinelAddrs) > 0:
		if e.MasterName == "" {
			return fail("REDIS_MASTER_NAME", "required when REDIS_SENTINEL_ADDRS is set")
		}
		if err := checkAddrs("REDIS_SENTINEL_ADDRS", e.SentinelAddrs); err != nil {
			return err
		}
	case len(e.ClusterAddrs) > 0:
		if err := checkAddrs("REDIS_CLUSTER_ADDRS", e.ClusterAddrs); err != nil {
			return err
		}
	default:
		if err := checkRedisURL(e.RedisURL); err != nil {
			return err
		}
	}

	if _, _, err := net.SplitHostPort(e.HTTPAddr); err != nil {
		return fail("CADREBOT_HTTP_ADDR", "want host:port or :port, got %q", e.HTTPAddr)
	}
	if e.WebhookURL != "" {
		if err := checkHTTPURL("CADREBOT_WEBHOOK_URL", e.WebhookURL); err != nil {
			return err
		}
	}
	if e.WebhookSecret != "" && !webhookSecretRE.MatchString(e.WebhookSecret) {
		// The secret itself is not echoed: this line ends up in logs.
		return fail("CADREBOT_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (got %d characters)", len(e.WebhookSecret))
	}
	if e.PublicURL != "" {
		if err := checkHTTPURL("CADREBOT_PUBLIC_URL", e.PublicURL); err != nil {
			return err
		}
		u, _ := url.Parse(e.PublicURL)
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			// Not echoed: it may hold a password, which would end up
			// in every link the bot sends.
			return fail("CADREBOT_PUBLIC_URL", "must be a base URL without query, fragment or credentials")
		}
		if u.Path != "" {
			// The dashboard's pages link to /dash/... at the root.
			return fail("CADREBOT_PUBLIC_URL", "must be scheme://host[:port] with no path (the dashboard is served at /dash/ on that host), got path %q", u.Path)
		}
	}
	if e.LogFormat != "json" && e.LogFormat != "text" {
		return fail("CADREBOT_LOG_FORMAT", "must be json or text, got %q", e.LogFormat)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(e.LogLevel)); err != nil {
		return fail("CADREBOT_LOG_LEVEL", "must be debug, info, warn or error, got %q", e.LogLevel)
	}
	return nil
}

func checkHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &Error{Field: field, Msg: err.Error(), err: err}
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(field, "want an absolute http(s) URL, got %q", raw)
	}
	return nil
}

func checkRedisURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included; keep it out of logs.
		var msg string
		if ue, ok := err.(*url.Error); ok {
			msg = ue.Err.Error()
		} else {
			msg = err.Error()
		}
		return fail("REDIS_URL", "invalid URL: %s", msg)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return fail("REDIS_URL", "scheme must be redis or rediss, got %q", u.Scheme)
	}
	if u.Host == "" {
		return fail("REDIS_URL", "missing host, as in redis://127.0.0.1:6379/0")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return fail("REDIS_URL", "database must be a non-negative number, got %q", db)
		}
	}
	return nil
}

func checkAddrs(field string, addrs []string) error {
	for _, a := range addrs {
		if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
			return fail(field, "want host:port, got %q", a)
		}
	}
	return nil
}

// IDs travel in callback data (64 bytes in all) and command arguments such
// as "/bind traffic", so they stay short and free of spaces.
var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func checkID(field, id string) error {
	if id == "" {
		return fail(field, "required")
	}
	if !idRE.MatchString(id) {
		return fail(field, "%q must be 1-32 letters, digits, _ or -", id)
	}
	return nil
}

func (f *File) validate(tzField, langField string) error {
	if f.Timezone == "" {
		return fail(tzField, "required")
	}
	if _, err := time.LoadLocation(f.Timezone); err != nil {
		return fail(tzField, "unknown time zone %q", f.Timezone)
	}
	if f.Language != "zh" && f.Language != "en" {
		return fail(langField, "must be zh or en, got %q", f.Language)
	}
	for i, id := range f.Admins {
		if id <= 0 {
			return fail(fmt.Sprintf("admins[%d]", i), "Telegram user ids are positive, got %d (a group's chat id?)", id)
		}
	}
	for _, fn := range []func() error{
		f.Schedules.validate,
		f.validateDepartments,
		f.validateCategories,
		f.validateUnits,
		f.validateVillages,
		f.Calendar.validate,
		f.validateTuning,
		f.Dashboard.validate,
	} {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Schedules) validate() error {
	for _, sc := range []struct {
		field, spec string
		optional    bool
	}{
		{"schedules.checkin_reminder", s.CheckinReminder, false},
		{"schedules.checkin_final_reminder", s.CheckinFinalReminder, true},
		{"schedules.weekly_digest", s.WeeklyDigest, false},
		{"schedules.overdue_sweep", s.OverdueSweep, false},
		{"schedules.resolved_sweep", s.ResolvedSweep, false},
		{"schedules.outbox_reclaim", s.OutboxReclaim, false},
		{"schedules.retention_sweep", s.RetentionSweep, false},
		{"schedules.project_sweep", s.ProjectSweep, false},
	} {
		if sc.optional && sc.spec == "" {
			continue
		}
		if _, err := ParseSchedule(sc.spec); err != nil {
			return &Error{Field: sc.field, Msg: err.Error(), err: err}
		}
	}
	return nil
}

func (f *File) validateDepartments() error {
	index := make(map[string]int, len(f.Departments))
	chats := make(map[int64]int, len(f.Departments))
	for i, d := range f.Departments {
		at := fmt.Sprintf("departments[%d]", i)
		if err := checkID(at+".id", d.ID); err != nil {
			return err
		}
		if j, dup := index[d.ID]; dup {
			return fail(at+".id", "duplicate id %q (also departments[%d])", d.ID, j)
		}
		index[d.ID] = i
		if strings.TrimSpace(d.Name) == "" {
			return fail(at+".name", "required")
		}
		if d.ChatID != 0 {
			// One group answering for two departments would make every
			// reply there ambiguous.
			if j, dup := chats[d.ChatID]; dup {
				return fail(at+".chat_id", "%d is already departments[%d] (%s)", d.ChatID, j, f.Departments[j].ID)
			}
			chats[d.ChatID] = i
		}
	}
	for i, d := range f.Departments {
		if _, ok := index[d.Parent]; d.Parent != "" && !ok {
			return fail(fmt.Sprintf("departments[%d].parent", i), "unknown department %q", d.Parent)
		}
	}
	// Escalation follows parents, so a cycle would escalate forever. Each
	// department on a cycle walks back to itself; report the first one.
	for i, d := range f.Departments {
		chain := []string{d.ID}
		for cur := d.Parent; cur != ""; cur = f.Departments[index[cur]].Parent {
			chain = append(chain, cur)
			if cur == d.ID {
				return fail(fmt.Sprintf("departments[%d].parent", i), "cycle %s", strings.Join(chain, " -> "))
			}
			if len(chain) > len(f.Departments) {
				break // a cycle further up, reported from one of its members
			}
		}
	}
	if f.TriageDepartment != "" {
		if _, ok := index[f.TriageDepartment]; !ok {
			return fail("triage_department", "unknown department %q", f.TriageDepartment)
		}
	}
	return nil
}

func (f *File) validateCategories() error {
	seen := make(map[string]int, len(f.Categories))
	for i, c := range f.Categories {
		at := fmt.Sprintf("categories[%d]", i)
		if err := checkID(at+".id", c.ID); err != nil {
			return err
		}
		if j, dup := seen[c.ID]; dup {
			return fail(at+".id", "duplicate id %q (also categories[%d])", c.ID, j)
		}
		seen[c.ID] = i
		if strings.TrimSpace(c.Name) == "" {
			return fail(at+".name", "required")
		}
		if c.Department == "" {
			return fail(at+".department", "required")
		}
		if _, ok := f.Department(c.Department); !ok {
			return fail(at+".department", "unknown department %q", c.Department)
		}
		if c.SLA.Duration <= 0 {
			return fail(at+".sla", "must be positive, got %s", c.SLA)
		}
		if err := f.validateSupport(at, c); err != nil {
			return err
		}
	}
	return nil
}

// maxSupport is cadrebot.MaxSupport: a card's picker lists them all.
const maxSupport = 8

func (f *File) validateSupport(at string, c Category) error {
	if len(c.Support) > maxSupport {
		return fail(at+".support", "at most %d departments, got %d", maxSupport, len(c.Support))
	}
	seen := map[string]int{}
	for j, d := range c.Support {
		field := fmt.Sprintf("%s.support[%d]", at, j)
		if _, ok := f.Department(d); !ok {
			return fail(field, "unknown department %q", d)
		}
		if d == c.Department {
			return fail(field, "%q is the category's own department; it leads, it cannot also support", d)
		}
		if k, dup := seen[d]; dup {
			return fail(field, "duplicate department %q (also support[%d])", d, k)
		}
		seen[d] = j
	}
	return nil
}

func (f *File) validateUnits() error {
	index := make(map[string]int, len(f.Units))
	chats := map[int64]string{}
	if f.DigestChatID != 0 {
		chats[f.DigestChatID] = "digest_chat_id"
	}
	for i, d := range f.Departments {
		if d.ChatID != 0 {
			chats[d.ChatID] = fmt.Sprintf("departments[%d]", i)
		}
	}
	for i, u := range f.Units {
		at := fmt.Sprintf("units[%d]", i)
		if err := checkID(at+".id", u.ID); err != nil {
			return err
		}
		if j, dup := index[u.ID]; dup {
			return fail(at+".id", "duplicate id %q (also units[%d])", u.ID, j)
		}
		index[u.ID] = i
		if strings.TrimSpace(u.Name) == "" {
			return fail(at+".name", "required")
		}
		if LevelRank(u.Level) == 0 {
			return fail(at+".level", "must be city, county or town, got %q", u.Level)
		}
		if u.ChatID != 0 {
			// One group answering for two units, or for a unit and a
			// department, would get two digests and mixed commands.
			if other, dup := chats[u.ChatID]; dup {
				return fail(at+".chat_id", "%d is already %s", u.ChatID, other)
			}
			chats[u.ChatID] = at
		}
	}
	for i, u := range f.Units {
		if u.Parent == "" {
			continue
		}
		j, ok := index[u.Parent]
		if !ok {
			return fail(fmt.Sprintf("units[%d].parent", i), "unknown unit %q", u.Parent)
		}
		// Levels strictly increase downwards, which also rules out cycles.
		if p := f.Units[j]; LevelRank(p.Level) >= LevelRank(u.Level) {
			return fail(fmt.Sprintf("units[%d].parent", i), "%s %q cannot be the parent of %s %q", p.Level, p.ID, u.Level, u.ID)
		}
	}
	return nil
}

func (f *File) validateVillages() error {
	seen := make(map[int64]int, len(f.Villages))
	for i, v := range f.Villages {
		at := fmt.Sprintf("villages[%d]", i)
		if v.ChatID == 0 {
			return fail(at+".chat_id", "required")
		}
		if j, dup := seen[v.ChatID]; dup {
			return fail(at+".chat_id", "duplicate chat id %d (also villages[%d])", v.ChatID, j)
		}
		seen[v.ChatID] = i
		if v.Town != "" {
			if _, ok := f.Unit(v.Town); !ok {
				var ids []string
				for _, u := range f.Units {
					if u.Name == v.Town {
						ids = append(ids, u.ID)
					}
				}
				if len(ids) > 1 {
					return fail(at+".town", "%q names units %s: use one's id", v.Town, strings.Join(ids, ", "))
				}
			}
		}
		// NaN fails both comparisons, so it is caught too.
		if !(v.Lat >= -90 && v.Lat <= 90) {
			return fail(at+".lat", "must be between -90 and 90, got %v", v.Lat)
		}
		if !(v.Lon >= -180 && v.Lon <= 180) {
			return fail(at+".lon", "must be between -180 and 180, got %v", v.Lon)
		}
		if !(v.RadiusM >= 0) || math.IsInf(v.RadiusM, 1) {
			return fail(at+".radius_m", "must be zero or positive metres, got %v", v.RadiusM)
		}
		if v.Timezone != "" {
			if _, err := time.LoadLocation(v.Timezone); err != nil {
				return fail(at+".timezone", "unknown time zone %q", v.Timezone)
			}
		}
	}
	return nil
}

const dateLayout = "2006-01-02"

func (c *Calendar) validate() error {
	for i, wd := range c.Weekdays {
		if wd < 0 || wd > 6 {
			return fail(fmt.Sprintf("calendar.weekdays[%d]", i), "must be 0 (Sunday) to 6 (Saturday), got %d", wd)
		}
	}
	holidays := make(map[string]int, len(c.Holidays))
	for i, s := range c.Holidays {
		if _, err := time.Parse(dateLayout, s); err != nil {
			return fail(fmt.Sprintf("calendar.holidays[%d]", i), "invalid date %q (want YYYY-MM-DD)", s)
		}
		holidays[s] = i
	}
	for i, s := range c.Workdays {
		at := fmt.Sprintf("calendar.workdays[%d]", i)
		if _, err := time.Parse(dateLayout, s); err != nil {
			return fail(at, "invalid date %q (want YYYY-MM-DD)", s)
		}
		if j, both := holidays[s]; both {
			return fail(at, "%s is also calendar.holidays[%d]; a day cannot be both", s, j)
		}
	}
	return nil
}

// maxAlbum is Telegram's limit on photos in one media group, which is how a
// report's photos are forwarded.
const maxAlbum = 10

func (f *File) validateTuning() error {
	ints := []struct {
		field string
		v     int
	}{
		{"checkin.max_reminders_per_day", f.Checkin.MaxRemindersPerDay},
		{"checkin.outing_monthly_cap", f.Checkin.OutingMonthlyCap},
		{"problems.reopen_days", f.Problems.ReopenDays},
		{"problems.max_photos", f.Problems.MaxPhotos},
		{"projects.remind_days", f.Projects.RemindDays},
		{"flood.commands", f.Flood.Commands},
		{"limits.updates_in_memory", f.Limits.UpdatesInMemory},
		{"limits.updates_per_chat", f.Limits.UpdatesPerChat},
		{"limits.outbox_workers", f.Limits.OutboxWorkers},
	}
	for _, x := range ints {
		if x.v <= 0 {
			return fail(x.field, "must be positive, got %d", x.v)
		}
	}
	if f.Problems.MaxPhotos > maxAlbum {
		return fail("problems.max_photos", "at most %d (Telegram's album limit), got %d", maxAlbum, f.Problems.MaxPhotos)
	}
	floats := []struct {
		field string
		v     float64
	}{
		{"problems.duplicate_radius_m", f.Problems.DuplicateRadiusM},
		{"limits.global_per_second", f.Limits.GlobalPerSecond},
		{"limits.group_per_minute", f.Limits.GroupPerMinute},
		{"limits.private_per_second", f.Limits.PrivatePerSecond},
	}
	for _, x := range floats {
		// Written so NaN (".nan" in YAML) fails too.
		if !(x.v > 0) || math.IsInf(x.v, 1) {
			return fail(x.field, "must be a positive number, got %v", x.v)
		}
	}
	durations := []struct {
		field string
		v     Duration
	}{
		{"checkin.board_interval", f.Checkin.BoardInterval},
		{"checkin.detail_ttl", f.Checkin.DetailTTL},
		{"problems.default_sla", f.Problems.DefaultSLA},
		{"problems.dialog_ttl", f.Problems.DialogTTL},
		{"flood.window", f.Flood.Window},
		{"retention.chats", f.Retention.Chats},
		{"retention.users", f.Retention.Users},
		{"retention.undeliverable", f.Retention.Undeliverable},
		{"limits.shutdown_timeout", f.Limits.ShutdownTimeout},
		{"limits.leader_lease", f.Limits.LeaderLease},
		{"limits.send_give_up", f.Limits.SendGiveUp},
	}
	for _, x := range durations {
		if x.v.Duration <= 0 {
			return fail(x.field, "must be positive, got %s", x.v)
		}
	}
	// A lease renewed every TTL/4 over a Redis round trip or two needs
	// some room; below a second a GC pause would drop it.
	if d := f.Limits.LeaderLease.Duration; d < time.Second {
		return fail("limits.leader_lease", "must be at least 1s, got %s", f.Limits.LeaderLease)
	}
	prev := 0
	for i, m := range f.Checkin.Milestones {
		at := fmt.Sprintf("checkin.milestones[%d]", i)
		if m <= 0 {
			return fail(at, "must be positive, got %d", m)
		}
		// A repeated milestone would be announced twice.
		if m <= prev {
			return fail(at, "must be larger than the one before, got %d after %d", m, prev)
		}
		prev = m
	}
	return nil
}

func (d *Dashboard) validate() error {
	// Shorter than a few minutes signs leaders out mid-read; longer than
	// a month keeps a lost laptop signed in for too long.
	if t := d.SessionTTL.Duration; t < 5*time.Minute || t > 30*24*time.Hour {
		return fail("dashboard.session_ttl", "must be between 5m and 30d, got %s", d.SessionTTL)
	}
	if d.MapTiles == "" {
		return nil
	}
	u, err := url.Parse(d.MapTiles)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, "{}") {
		return fail("dashboard.map_tiles", "want an absolute http(s) URL template with a fixed host, got %q", d.MapTiles)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(d.MapTiles, p) {
			return fail("dashboard.map_tiles", "the template lacks %s: %q", p, d.MapTiles)
		}
	}
	return nil
}
