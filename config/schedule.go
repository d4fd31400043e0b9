package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CronParser is the cron dialect of every schedule: five fields or a
// descriptor such as "@every 1h", no seconds field. Prefer ParseSchedule,
// which also rejects what this parser accepts but cadrebot cannot honour.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses spec exactly as the scheduler does, so /schedule can
// refuse user input that the configuration would refuse.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty cron spec")
	}
	// Schedules run in each group's own time zone, so a zone in the spec
	// would be ignored; cron v3.0.1 also panics on "TZ=x" without a space.
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("invalid cron spec %q: no TZ= prefix; schedules run in each group's own time zone", spec)
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		// cron quietly turns anything under a second (even negative) into
		// one second, which would hammer Telegram and Redis.
		if d, perr := time.ParseDuration(strings.TrimSpace(rest)); perr == nil && d < time.Second {
			return nil, fmt.Errorf("invalid cron spec %q: @every needs at least 1s", spec)
		}
	}
	// The spec may come from a chat message; a parser bug must not take the
	// bot down.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid cron spec %q: %v", spec, r)
		}
	}()
	sched, err = CronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	return sched, nil
}
