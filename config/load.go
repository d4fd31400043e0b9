package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	// Distroless and scratch images ship no zoneinfo, and the default
	// Asia/Shanghai must resolve everywhere or the bot cannot start.
	_ "time/tzdata"

	"github.com/caarlos0/env/v11"
	"github.com/goccy/go-yaml"
)

// Error is a configuration problem. Error() is always one line, so main can
// print it as is and exit 2.
type Error struct {
	Field string // field path ("categories[0].department") or variable ("REDIS_URL")
	Msg   string

	err error // cause, so errors.Is(err, fs.ErrNotExist) works on a missing file
}

func (e *Error) Error() string {
	return "config: " + e.Field + ": " + oneLine(e.Msg)
}

func (e *Error) Unwrap() error { return e.err }

func fail(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// oneLine keeps Error() a single line whatever a library put in the message.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// Defaults returns the File that an empty configuration file means. It is
// a fresh value each call, so callers may modify it.
func Defaults() File {
	return File{
		Timezone:     "Asia/Shanghai",
		Language:     "zh",
		CadreTitle:   "驻村指导员",
		CadreTitleEn: "resident instructor",
		Schedules: Schedules{
			CheckinReminder: "0 10 * * *",
			WeeklyDigest:    "0 9 * * 1",
			OverdueSweep:    "@every 1h",
			ResolvedSweep:   "@every 1h",
			OutboxReclaim:   "@every 30s",
			RetentionSweep:  "30 3 * * *",
			ProjectSweep:    "0 9 * * *",
		},
		Calendar: Calendar{Weekdays: []int{1, 2, 3, 4, 5}},
		Checkin: Checkin{
			MaxRemindersPerDay: 2,
			OutingMonthlyCap:   4,
			BoardInterval:      Duration{5 * time.Second},
			Milestones:         []int{5, 10, 20, 50, 100},
			DetailTTL:          Duration{400 * 24 * time.Hour},
		},
		Problems: Problems{
			DefaultSLA:       Duration{7 * 24 * time.Hour},
			ReopenDays:       7,
			DialogTTL:        Duration{30 * time.Minute},
			DuplicateRadiusM: 500,
			MaxPhotos:        5,
		},
		Flood:     Flood{Commands: 20, Window: Duration{30 * time.Second}},
		Retention: Retention{Chats: Duration{30 * 24 * time.Hour}, Users: Duration{180 * 24 * time.Hour}, Undeliverable: Duration{90 * 24 * time.Hour}},
		Projects:  Projects{RemindDays: 3},
		Dashboard: Dashboard{SessionTTL: Duration{12 * time.Hour}},
		Limits: Limits{
			GlobalPerSecond:  30,
			GroupPerMinute:   20,
			PrivatePerSecond: 1,
			HandlerWorkers:   64,
			ShutdownTimeout:  Duration{10 * time.Second},
			UpdatesInMemory:  10000,
			UpdatesPerChat:   256,
			OutboxWorkers:    8,
			LeaderLease:      Duration{2 * time.Second},
			SendGiveUp:       Duration{12 * time.Hour},
		},
	}
}

// Load reads the environment through getenv (os.Getenv when nil), then the
// YAML file named by CADREBOT_CONFIG if any, fills in defaults and
// validates. Every error it returns is an *Error.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{}
	if err := c.Env.load(getenv); err != nil {
		return nil, err
	}
	if c.Env.ConfigPath != "" {
		f, err := readFile(c.Env.ConfigPath)
		if err != nil {
			return nil, err
		}
		c.File = f
	}
	if c.Env.TZ != "" {
		c.File.Timezone = c.Env.TZ
	}
	if c.Env.Lang != "" {
		c.File.Language = c.Env.Lang
	}
	c.File.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(c.File.Timezone)
	if err != nil { // Validate loaded it already; only a changed disk gets here
		return nil, &Error{Field: c.tzField(), Msg: err.Error(), err: err}
	}
	c.Location = loc
	return c, nil
}

func (e *Env) load(getenv func(string) string) error {
	// Only the keys Env declares are copied, so parsing cannot see (or be
	// influenced by) the rest of the process environment.
	params, err := env.GetFieldParamsWithOptions(&Env{}, env.Options{Environment: map[string]string{}})
	if err != nil {
		return &Error{Field: "environment", Msg: err.Error(), err: err}
	}
	vars := make(map[string]string, len(params))
	for _, p := range params {
		// Values mounted from secret files usually end in a newline.
		if v := strings.TrimSpace(getenv(p.Key)); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(e, env.Options{Environment: vars}); err != nil {
		return &Error{Field: "environment", Msg: err.Error(), err: err}
	}
	e.RedisSet = vars["REDIS_URL"] != ""
	e.APIURL = strings.TrimRight(e.APIURL, "/")
	e.PublicURL = strings.TrimRight(e.PublicURL, "/")
	e.SentinelAddrs = cleanList(e.SentinelAddrs)
	e.ClusterAddrs = cleanList(e.ClusterAddrs)
	return nil
}

// cleanList lets "a:1, b:2," mean what the operator meant.
func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func readFile(path string) (File, error) {
	var f File
	data, err := os.ReadFile(path)
	if err != nil {
		return f, &Error{Field: "CADREBOT_CONFIG", Msg: err.Error(), err: err}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	// An empty or comment-only file decodes to io.EOF and means all defaults.
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return f, yamlError(path, err)
	}
	// A stray "---" would otherwise silently drop everything after it.
	var extra any
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return f, yamlError(path, err)
	default:
		return f, fail(path, "more than one YAML document; keep the whole configuration in one")
	}
	return f, nil
}

func yamlError(path string, err error) error {
	if ne := (*nodeError)(nil); errors.As(err, &ne) && ne.path != "" {
		return &Error{
			Field: ne.path,
			Msg:   fmt.Sprintf("%v (%s:%d:%d)", ne.err, path, ne.line, ne.column),
			err:   ne.err,
		}
	}
	// Without the source excerpt, which would make the error multi-line.
	return &Error{Field: path, Msg: yaml.FormatError(err, false, false), err: err}
}

func (f *File) applyDefaults() {
	d := Defaults()
	orString(&f.Timezone, d.Timezone)
	orString(&f.Language, d.Language)
	orString(&f.CadreTitle, d.CadreTitle)
	orString(&f.CadreTitleEn, d.CadreTitleEn)

	s := &f.Schedules
	orString(&s.CheckinReminder, d.Schedules.CheckinReminder)
	orString(&s.WeeklyDigest, d.Schedules.WeeklyDigest)
	orString(&s.OverdueSweep, d.Schedules.OverdueSweep)
	orString(&s.ResolvedSweep, d.Schedules.ResolvedSweep)
	orString(&s.OutboxReclaim, d.Schedules.OutboxReclaim)
	orString(&s.RetentionSweep, d.Schedules.RetentionSweep)
	orString(&s.ProjectSweep, d.Schedules.ProjectSweep)

	if len(f.Calendar.Weekdays) == 0 {
		f.Calendar.Weekdays = d.Calendar.Weekdays
	}

	ck := &f.Checkin
	orZero(&ck.MaxRemindersPerDay, d.Checkin.MaxRemindersPerDay)
	orZero(&ck.OutingMonthlyCap, d.Checkin.OutingMonthlyCap)
	orZero(&ck.BoardInterval, d.Checkin.BoardInterval)
	orZero(&ck.DetailTTL, d.Checkin.DetailTTL)
	if len(ck.Milestones) == 0 {
		ck.Milestones = d.Checkin.Milestones
	}

	p := &f.Problems
	orZero(&p.DefaultSLA, d.Problems.DefaultSLA)
	orZero(&p.ReopenDays, d.Problems.ReopenDays)
	orZero(&p.DialogTTL, d.Problems.DialogTTL)
	orZero(&p.DuplicateRadiusM, d.Problems.DuplicateRadiusM)
	orZero(&p.MaxPhotos, d.Problems.MaxPhotos)
	// After DefaultSLA, so a file's own default_sla is what categories inherit.
	for i := range f.Categories {
		orZero(&f.Categories[i].SLA, p.DefaultSLA)
	}

	orZero(&f.Projects.RemindDays, d.Projects.RemindDays)

	orZero(&f.Flood.Commands, d.Flood.Commands)
	orZero(&f.Flood.Window, d.Flood.Window)
	orZero(&f.Retention.Chats, d.Retention.Chats)
	orZero(&f.Retention.Users, d.Retention.Users)
	orZero(&f.Retention.Undeliverable, d.Retention.Undeliverable)

	l := &f.Limits
	orZero(&l.GlobalPerSecond, d.Limits.GlobalPerSecond)
	orZero(&l.GroupPerMinute, d.Limits.GroupPerMinute)
	orZero(&l.PrivatePerSecond, d.Limits.PrivatePerSecond)
	orZero(&l.HandlerWorkers, d.Limits.HandlerWorkers)
	orZero(&l.UpdatesInMemory, d.Limits.UpdatesInMemory)
	orZero(&l.UpdatesPerChat, d.Limits.UpdatesPerChat)
	orZero(&l.ShutdownTimeout, d.Limits.ShutdownTimeout)
	orZero(&l.OutboxWorkers, d.Limits.OutboxWorkers)
	orZero(&l.LeaderLease, d.Limits.LeaderLease)
	orZero(&l.SendGiveUp, d.Limits.SendGiveUp)

	orZero(&f.Dashboard.SessionTTL, d.Dashboard.SessionTTL)
	f.Dashboard.MapTiles = strings.TrimSpace(f.Dashboard.MapTiles)
}

// orString treats a blank string as unset, since `timezone: " "` is surely
// not a choice.
func orString(p *string, def string) {
	if *p = strings.TrimSpace(*p); *p == "" {
		*p = def
	}
}

func orZero[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}
