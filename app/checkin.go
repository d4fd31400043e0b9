package app

import (
	"context"
	"time"

	"cadrebot"
	"cadrebot/calendar"
	"cadrebot/handlers"
	"cadrebot/scheduler"
)

// Names of the check-in reminder jobs, as in config and /schedule.
const (
	jobCheckinReminder = "checkin_reminder"
	jobCheckinFinal    = "checkin_final_reminder"
)

// checkinScheduleJobs are the per-group schedules /schedule may change.
func (a *App) checkinScheduleJobs() []handlers.ScheduleJob {
	s := a.Cfg.File.Schedules
	return []handlers.ScheduleJob{{Name: jobCheckinReminder, Default: s.CheckinReminder}, {Name: jobCheckinFinal, Default: s.CheckinFinalReminder}}
}

// checkinJobs are the reminder jobs: per village group, in the group's
// zone, on the group's own schedule when it set one.
func (a *App) checkinJobs() []scheduler.Job {
	cal := a.Calendar
	// A firing missed while the bot was down still runs if it is the
	// same day and that day is a workday; otherwise it is dropped, never
	// replayed.
	catchUp := func(at, now time.Time, loc *time.Location) bool {
		return scheduler.SameDay(at, now, loc) && cal.IsWorkday(calendar.DateOf(now.In(loc)))
	}
	village := func(g *cadrebot.Group) bool { return g.IsVillage() }
	var jobs []scheduler.Job
	for _, j := range a.checkinScheduleJobs() {
		cfg := handlers.ReminderConfig{MaxPerDay: a.Cfg.File.Checkin.MaxRemindersPerDay, Location: a.Cfg.Location,
			BotUsername: a.Me.Username, Final: j.Name == jobCheckinFinal, Name: j.Name}
		jobs = append(jobs, scheduler.Job{Name: j.Name, Spec: j.Default, Groups: village, CatchUp: catchUp,
			Group: handlers.CheckinReminder(a.DB, a.Sender, a.Sender, a.Texts, cal, a.sight(), a.Log, cfg)})
	}
	return jobs
}

// seedVillages applies config villages to their groups: name, town, time
// zone and position, each only where the group has none yet, so what an
// admin set with /setup or /setvillage wins over the file. A village
// whose group became a supergroup is seeded under its new id: seeding the
// id in the file would bring the old group back as a second, empty
// village.
func (a *App) seedVillages(ctx context.Context) error {
	vs := a.Cfg.File.Villages
	if len(vs) == 0 {
		return nil
	}
	moves, err := a.DB.ChatMoves(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = moves.Chat(v.ChatID)
	}
	gs, err := a.DB.Groups(ctx, ids)
	if err != nil {
		return err
	}
	known := make(map[int64]*cadrebot.Group, len(gs))
	for _, g := range gs {
		known[g.ChatID] = g
	}
	for i, v := range vs {
		chat := ids[i]
		g := known[chat]
		if g == nil {
			g = &cadrebot.Group{ChatID: chat}
		}
		var p cadrebot.GroupPatch
		if g.Village == "" && v.Name != "" {
			p.Village, p.Town = &v.Name, &v.Town
		}
		if g.TZ == "" && v.Timezone != "" {
			p.TZ = &v.Timezone
		}
		if _, ok := g.VillagePoint(); !ok && v.RadiusM > 0 {
			p.Lat, p.Lon, p.RadiusM = &v.Lat, &v.Lon, &v.RadiusM
		}
		if err := a.DB.UpdateGroup(ctx, chat, p); err != nil {
			return err
		}
	}
	return nil
}
