package handlers

import (
	"context"
	"strings"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/units"
)

// LeadersStore binds leaders' groups.
type LeadersStore interface {
	BindUnit(ctx context.Context, unit string, chat int64) error
}

// UnitTree builds the deployment's tree of units with its villages
// placed, for commands that name units.
type UnitTree func(ctx context.Context) (*units.Tree, error)

// maxUnitsListed bounds the units /leaders lists when it cannot tell
// which one was meant.
const maxUnitsListed = 30

// Leaders handles /leaders UNIT, for deployment admins: the group becomes
// the leaders' group of a unit (a config unit's id or name, or a town
// that /setup named), overriding the config's chat_id. It then gets the
// unit's weekly digest, the overdue escalations of its villages, and
// /stats and /export for them.
func Leaders(st LeadersStore, auth Auth, out Sender, texts Texts, tree UnitTree) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !auth.IsDeploymentAdmin(u.From.ID) {
			return cadrebot.Errorf("err_deploy_admin_only", "Cmd", u.Command)
		}
		t, err := tree(ctx)
		if err != nil {
			return err
		}
		arg := strings.TrimSpace(u.Args)
		found := t.Find(arg)
		if arg == "" || len(found) != 1 {
			id := "leaders_unknown"
			if arg == "" {
				id = "leaders_usage"
			} else if len(found) > 1 {
				id = "leaders_ambiguous"
			}
			return cadrebot.Errorf(id, "Unit", arg, "Units", unitList(t, u.Lang))
		}
		unit := found[0]
		if err := st.BindUnit(ctx, unit.ID, u.ChatID); err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "leaders_done", i18n.Args{"Unit": unitPath(t, unit, u.Lang),
			"Villages": len(t.Villages(unit.ID))}))
	}
}

// unitPath names a unit with the units above it: "兰亭街道（柯桥区 ·
// 绍兴市）".
func unitPath(t *units.Tree, u *units.Unit, lang string) string {
	var up []string
	for p := t.Unit(u.Parent); p != nil && p.ID != ""; p = t.Unit(p.Parent) {
		up = append(up, p.Label(lang))
	}
	switch {
	case len(up) == 0:
		return u.Label(lang)
	case lang == "en":
		return u.Label(lang) + " (" + strings.Join(up, ", ") + ")"
	}
	return u.Label(lang) + "（" + strings.Join(up, " · ") + "）"
}

// unitList lists the units by id and name for a usage message.
func unitList(t *units.Tree, lang string) string {
	var parts []string
	for i, u := range t.Units() {
		if i == maxUnitsListed {
			parts = append(parts, "…")
			break
		}
		if u.Implicit {
			parts = append(parts, u.Label(lang))
		} else {
			parts = append(parts, u.ID+" "+u.Label(lang))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "、")
}
