package handlers

import (
	"context"
	"strings"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
)

// ScheduleJob is a per-group job whose schedule a group admin may
// override with /schedule.
type ScheduleJob struct {
	Name    string
	Default string // the deployment's spec; "" means off unless overridden
}

// GroupPatcher changes a group's settings.
type GroupPatcher interface {
	UpdateGroup(ctx context.Context, chat int64, p cadrebot.GroupPatch) error
}

// Schedule handles /schedule for group admins:
//
//	/schedule                      the group's schedules and reminder mode
//	/schedule JOB SPEC             override a job's cron spec (validated)
//	/schedule JOB off|default      turn it off, or back to the deployment's
//	/schedule mentions on|off      @-mention non-responders, or list them
//	                               privately to the admins
//
// A spec the parser refuses is answered with its reason and the old
// schedule stays.
func Schedule(st GroupPatcher, auth Auth, out Sender, texts Texts, jobs []ScheduleJob) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, auth, u); err != nil {
			return err
		}
		name, spec, _ := strings.Cut(u.Args, " ")
		name, spec = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(spec)
		switch {
		case name == "":
			return Reply(ctx, out, u, showSchedules(texts, u, jobs))
		case name == "mentions":
			off := false
			switch strings.ToLower(spec) {
			case "on":
			case "off":
				off = true
			default:
				return cadrebot.Errorf("schedule_usage", "Jobs", jobNames(jobs))
			}
			if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{MentionsOff: &off}); err != nil {
				return err
			}
			id := "schedule_mentions_on"
			if off {
				id = "schedule_mentions_off"
			}
			return Reply(ctx, out, u, texts.T(u.Lang, id))
		}
		job, ok := findJob(jobs, name)
		if !ok || spec == "" {
			return cadrebot.Errorf("schedule_usage", "Jobs", jobNames(jobs))
		}
		var override string
		switch strings.ToLower(spec) {
		case "default":
			override = "" // deletes the override
		case "off":
			override = "off"
		default:
			if _, err := config.ParseSchedule(spec); err != nil {
				return cadrebot.Errorf("schedule_invalid", "Job", job.Name, "Reason", err.Error())
			}
			override = spec
		}
		if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{Schedule: map[string]string{job.Name: override}}); err != nil {
			return err
		}
		if u.Group.Schedules == nil {
			u.Group.Schedules = map[string]string{}
		}
		u.Group.Schedules[job.Name] = override
		return Reply(ctx, out, u, texts.T(u.Lang, "schedule_saved")+"\n"+showSchedules(texts, u, jobs))
	}
}

func findJob(jobs []ScheduleJob, name string) (ScheduleJob, bool) {
	for _, j := range jobs {
		if j.Name == name {
			return j, true
		}
	}
	return ScheduleJob{}, false
}

func jobNames(jobs []ScheduleJob) string {
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}

func showSchedules(texts Texts, u *Update, jobs []ScheduleJob) string {
	var b strings.Builder
	b.WriteString(texts.T(u.Lang, "schedule_title", i18n.Args{"Zone": u.Loc.String()}))
	for _, j := range jobs {
		spec, custom := j.Default, false
		if o, ok := u.Group.Schedules[j.Name]; ok && o != "" {
			spec, custom = o, true
		}
		next := ""
		if spec != "" && spec != "off" {
			if s, err := config.ParseSchedule(spec); err == nil {
				next = s.Next(u.Now.In(u.Loc)).Format("2006-01-02 15:04")
			}
		}
		b.WriteString("\n")
		b.WriteString(texts.T(u.Lang, "schedule_line", i18n.Args{"Job": j.Name, "Spec": spec, "Custom": custom,
			"Off": spec == "" || spec == "off", "Next": next}))
	}
	b.WriteString("\n")
	if u.Group.MentionsOff {
		b.WriteString(texts.T(u.Lang, "schedule_mode_private"))
	} else {
		b.WriteString(texts.T(u.Lang, "schedule_mode_mentions"))
	}
	return b.String()
}
