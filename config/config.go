// Package config loads cadrebot's configuration from the environment and an
// optional YAML file, and validates it before anything starts.
//
// The environment names are a contract with outside tools (compose files,
// Helm charts, the playground), so they never change.
package config

import (
	"time"
)

// Config is the whole configuration of one cadrebot deployment.
type Config struct {
	Env  Env
	File File

	// Location is File.Timezone (or CADREBOT_TZ) resolved at load time.
	Location *time.Location
}

// Env holds the settings that come only from environment variables.
type Env struct {
	Token         string   `env:"TELEGRAM_BOT_TOKEN"`
	APIURL        string   `env:"TELEGRAM_API_URL" envDefault:"https://api.telegram.org"`
	RedisURL      string   `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	SentinelAddrs []string `env:"REDIS_SENTINEL_ADDRS" envSeparator:","`
	MasterName    string   `env:"REDIS_MASTER_NAME"`
	ClusterAddrs  []string `env:"REDIS_CLUSTER_ADDRS" envSeparator:","`
	KeyPrefix     string   `env:"CADREBOT_KEY_PREFIX" envDefault:"cadrebot:"`
	ConfigPath    string   `env:"CADREBOT_CONFIG"`
	HTTPAddr      string   `env:"CADREBOT_HTTP_ADDR" envDefault:":8080"`
	WebhookURL    string   `env:"CADREBOT_WEBHOOK_URL"`
	WebhookSecret string   `env:"CADREBOT_WEBHOOK_SECRET"`
	TZ            string   `env:"CADREBOT_TZ"`   // overrides File.Timezone when set
	Lang          string   `env:"CADREBOT_LANG"` // overrides File.Language when set
	LogFormat     string   `env:"CADREBOT_LOG_FORMAT" envDefault:"text"`
	LogLevel      string   `env:"CADREBOT_LOG_LEVEL" envDefault:"info"`
	// Pprof serves Go's profiler at /debug/pprof/ on CADREBOT_HTTP_ADDR,
	// for measuring; never expose it publicly.
	Pprof bool `env:"CADREBOT_PPROF"`
	// PublicURL is the externally reachable base URL of the HTTP server
	// (CADREBOT_HTTP_ADDR behind whatever proxy serves it), with no
	// trailing "/": the dashboard's links and Mini App button point there.
	// Empty: /dashboard explains what to set.
	PublicURL string `env:"CADREBOT_PUBLIC_URL"`
	// RedisSet reports whether REDIS_URL was given explicitly; the
	// playground embeds a store only when it was not.
	RedisSet bool `env:"-"`
}

// File is the YAML file named by CADREBOT_CONFIG. Zero values are replaced
// by the defaults in Defaults before validation.
type File struct {
	Timezone string `yaml:"timezone"`
	Language string `yaml:"language"`
	// CadreTitle is what the bot calls the cadres it serves, in every
	// message and export (default 驻村指导员); CadreTitleEn in English.
	CadreTitle   string  `yaml:"cadre_title"`
	CadreTitleEn string  `yaml:"cadre_title_en"`
	Admins       []int64 `yaml:"admins"`
	DigestChatID int64   `yaml:"digest_chat_id"`
	// Approval (default true) holds a village group's problem reports
	// until a deployment admin approves the group (/approve or the button
	// the admins receive); villages in the config and ApprovedChats are
	// approved from the start. Set false for a closed deployment.
	Approval      *bool        `yaml:"approval"`
	ApprovedChats []int64      `yaml:"approved_chats"`
	Schedules     Schedules    `yaml:"schedules"`
	Categories    []Category   `yaml:"categories"`
	Departments   []Department `yaml:"departments"`
	// TriageDepartment, when set, receives every new report first; a
	// handler there picks the category, which routes it onwards.
	TriageDepartment string `yaml:"triage_department"`
	// Units are the levels of administration above villages (city,
	// county or district, town or street), each optional; villages hang
	// below them (see Unit).
	Units     []Unit    `yaml:"units"`
	Villages  []Village `yaml:"villages"`
	Calendar  Calendar  `yaml:"calendar"`
	Checkin   Checkin   `yaml:"checkin"`
	Problems  Problems  `yaml:"problems"`
	Projects  Projects  `yaml:"projects"`
	Flood     Flood     `yaml:"flood"`
	Retention Retention `yaml:"retention"`
	Limits    Limits    `yaml:"limits"`
	Dashboard Dashboard `yaml:"dashboard"`
}

// Schedules are robfig/cron/v3 specs (5 fields or descriptors such as
// "@every 5s"), evaluated in each group's own time zone.
type Schedules struct {
	CheckinReminder      string `yaml:"checkin_reminder"`       // default "0 10 * * *"; the job skips non-workdays
	CheckinFinalReminder string `yaml:"checkin_final_reminder"` // optional
	WeeklyDigest         string `yaml:"weekly_digest"`          // default "0 9 * * 1"
	OverdueSweep         string `yaml:"overdue_sweep"`          // default "@every 1h"
	ResolvedSweep        string `yaml:"resolved_sweep"`         // default "@every 1h": "is this fixed?" and auto-close
	OutboxReclaim        string `yaml:"outbox_reclaim"`         // default "@every 30s"
	RetentionSweep       string `yaml:"retention_sweep"`        // default "30 3 * * *"
	// ProjectSweep reminds lead cadres of milestones coming due and tells
	// village groups of milestones that slipped; daily, so nobody is
	// messaged at night.
	ProjectSweep string `yaml:"project_sweep"` // default "0 9 * * *"
}

// Category is a kind of problem and the department that owns it.
type Category struct {
	ID         string   `yaml:"id"`
	Name       string   `yaml:"name"`
	NameEn     string   `yaml:"name_en"`
	Department string   `yaml:"department"`
	SLA        Duration `yaml:"sla"` // default Problems.DefaultSLA
	// Support names supporting departments (协办) that every problem of
	// the category starts with; the lead department adds or removes
	// others from its card.
	Support []string `yaml:"support"`
}

// Department is a Telegram group that fixes problems of some categories.
type Department struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	NameEn string `yaml:"name_en"`
	ChatID int64  `yaml:"chat_id"` // may be 0 and bound later with /bind
	Parent string `yaml:"parent"`  // escalation target
}

// Unit levels, top down.
const (
	LevelCity   = "city"   // 市
	LevelCounty = "county" // 县、区、县级市
	LevelTown   = "town"   // 乡、镇、街道
)

// Unit is one level of the administrative hierarchy above villages: a
// city, a county or district, a town or street. Every level is optional:
// a single-county deployment may list none and let /setup name towns. A
// unit's parent must be of a higher level. Its leaders' group (chat_id,
// or /leaders run in the group) gets the unit's weekly digest with a
// league table of the units and villages below it, overdue escalations
// of its villages, and /stats and /export for its subtree.
type Unit struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	NameEn string `yaml:"name_en"`
	Level  string `yaml:"level"`   // city, county or town
	Parent string `yaml:"parent"`  // "" for a top unit
	ChatID int64  `yaml:"chat_id"` // the leaders' group; 0: none yet
}

// Village pre-configures a village group; /setup and /setvillage can do the
// same at run time.
type Village struct {
	ChatID int64  `yaml:"chat_id"`
	Name   string `yaml:"name"`
	// Town is the town or street the village belongs to, by a unit's id
	// or name; a name no unit has makes a town of its own.
	Town     string  `yaml:"town"`
	Lat      float64 `yaml:"lat"`
	Lon      float64 `yaml:"lon"`
	RadiusM  float64 `yaml:"radius_m"`
	Timezone string  `yaml:"timezone"`
}

// Calendar overrides the statutory workday calendar for this deployment.
type Calendar struct {
	Weekdays []int    `yaml:"weekdays"` // 0=Sunday .. 6=Saturday; default 1-5
	Workdays []string `yaml:"workdays"` // YYYY-MM-DD forced working days
	Holidays []string `yaml:"holidays"` // YYYY-MM-DD forced days off
}

// Checkin tunes daily check-ins and reminders.
type Checkin struct {
	MaxRemindersPerDay int      `yaml:"max_reminders_per_day"` // default 2
	OutingMonthlyCap   int      `yaml:"outing_monthly_cap"`    // 外出 days per month, default 4
	BoardInterval      Duration `yaml:"board_interval"`        // default 5s
	Milestones         []int    `yaml:"milestones"`            // default [5, 10, 20, 50, 100]
	// DetailTTL is how long a day's check-in times, notes and locations
	// are kept; the flags themselves (bits) are kept for good.
	DetailTTL Duration `yaml:"detail_ttl"` // default 400d
	// LeaveApproval makes a member's own /leave a request that a group
	// admin approves or rejects with buttons; it counts once approved.
	LeaveApproval bool `yaml:"leave_approval"` // default false
}

// Problems tunes problem reports.
type Problems struct {
	DefaultSLA       Duration `yaml:"default_sla"`        // default 7d
	ReopenDays       int      `yaml:"reopen_days"`        // default 7
	DialogTTL        Duration `yaml:"dialog_ttl"`         // default 30m
	DuplicateRadiusM float64  `yaml:"duplicate_radius_m"` // default 500
	MaxPhotos        int      `yaml:"max_photos"`         // default 5
}

// Retention is how long the bot keeps what it learned about chats and
// people that never became part of the deployment.
type Retention struct {
	// Chats: a group never set up (no village, department, approval or
	// setting), after it was last seen (default 30 days).
	Chats Duration `yaml:"chats"`
	// Users: a person's private settings after their last private message,
	// unless they turned on reminders by DM (default 180 days).
	Users Duration `yaml:"users"`
	// Undeliverable: records of messages that could not be delivered
	// (default 90 days).
	Undeliverable Duration `yaml:"undeliverable"`
}

// Projects tunes village projects.
type Projects struct {
	// RemindDays is how many days before a milestone is due its lead
	// cadre is reminded privately.
	RemindDays int `yaml:"remind_days"` // default 3
}

// Flood is the per-user command flood control.
type Flood struct {
	Commands int      `yaml:"commands"` // default 20
	Window   Duration `yaml:"window"`   // default 30s
}

// Limits are Telegram's sending limits; raise Global with paid broadcast.
type Limits struct {
	GlobalPerSecond  float64 `yaml:"global_per_second"`  // default 30
	GroupPerMinute   float64 `yaml:"group_per_minute"`   // default 20
	PrivatePerSecond float64 `yaml:"private_per_second"` // default 1
	// HandlerWorkers is ignored: updates run on a goroutine per busy chat
	// now, not a fixed pool. Kept so that older config files still load.
	HandlerWorkers  int      `yaml:"handler_workers"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"` // default 10s
	// UpdatesInMemory bounds the updates held in memory, waiting or
	// running (default 10000); UpdatesPerChat bounds one chat's share
	// (default 256). Past either, updates wait in the Redis inbox only.
	UpdatesInMemory int `yaml:"updates_in_memory"`
	UpdatesPerChat  int `yaml:"updates_per_chat"`
	// OutboxWorkers is how many outbox sends run at once (default 8).
	OutboxWorkers int `yaml:"outbox_workers"`
	// LeaderLease is the lease of the one replica that sends the outbox
	// (and, in long-polling mode, polls): a replica killed without a clean
	// shutdown, or the same one restarted, takes over after it (default
	// 2s). See docs/operations.md for the trade-off.
	LeaderLease Duration `yaml:"leader_lease"`
	// SendGiveUp is how long an outbox message is retried after 5xx and
	// network errors before it is flagged undeliverable (default 12h).
	SendGiveUp Duration `yaml:"send_give_up"`
}

// Dashboard tunes the leaders' dashboard (/dash on CADREBOT_HTTP_ADDR).
type Dashboard struct {
	// SessionTTL is how long a browser stays signed in after opening a
	// one-time link (default 12h).
	SessionTTL Duration `yaml:"session_ttl"`
	// MapTiles is a tile URL template with {z}, {x} and {y}, such as
	// "https://tile.openstreetmap.org/{z}/{x}/{y}.png". Empty (the
	// default) draws the map of open problems without tiles, so nothing
	// is fetched from outside.
	MapTiles string `yaml:"map_tiles"`
	// MapAttribution is shown under a tiled map, as tile providers ask.
	MapAttribution string `yaml:"map_attribution"`
}
