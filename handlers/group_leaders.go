package handlers

import (
	"context"
	"strings"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/units"
)

// UnitTree builds the deployment's tree of units with its villages
// placed, for commands that name units.
type UnitTree func(ctx context.Context) (*units.Tree, error)

// maxUnitsListed bounds the units /leaders lists when it cannot tell
// which one was meant.
const maxUnitsListed = 30

// Leaders handles /leaders UNIT, for deployment admins: the group becomes
// the unit's leaders' group, overriding units[].chat_id, once confirmed:
// every member may then read the problems of the unit's villages, and the
// unit's digests and escalations come here.
func (g *GroupSetup) Leaders() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := g.mayDeploy(ctx, u); err != nil {
			return err
		}
		t, unit, err := g.unit(ctx, u)
		if err != nil {
			return err
		}
		if unit.Chat == u.ChatID {
			return Reply(ctx, g.Out, u, g.leadersDone(t, unit, u.Lang))
		}
		args := i18n.Args{"Unit": unitPath(t, unit, u.Lang), "Villages": len(t.Villages(unit.ID)), "From": g.chatName(ctx, unit.Chat)}
		g.warnings(ctx, u, args)
		return g.Confirm.ask(ctx, u, "leaders", unit.ID, g.Texts.T(u.Lang, "leaders_confirm", args))
	}
}

// unit finds the unit /leaders names.
func (g *GroupSetup) unit(ctx context.Context, u *Update) (*units.Tree, *units.Unit, error) {
	t, err := g.Tree(ctx)
	if err != nil {
		return nil, nil, err
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
		return nil, nil, cadrebot.Errorf(id, "Unit", arg, "Units", unitList(t, u.Lang))
	}
	return t, found[0], nil
}

// applyLeaders carries a confirmed /leaders out (id: the unit's).
func (g *GroupSetup) applyLeaders(ctx context.Context, u *Update, id string) (string, error) {
	t, err := g.Tree(ctx)
	if err != nil {
		return "", err
	}
	unit := t.Unit(id)
	if unit == nil || unit.ID == "" {
		return "", cadrebot.Errorf("leaders_unknown", "Unit", id, "Units", unitList(t, u.Lang))
	}
	if err := g.Store.BindUnit(ctx, unit.ID, u.ChatID); err != nil {
		return "", err
	}
	return g.leadersDone(t, unit, u.Lang), nil
}

func (g *GroupSetup) leadersDone(t *units.Tree, unit *units.Unit, lang string) string {
	return g.Texts.T(lang, "leaders_done", i18n.Args{"Unit": unitPath(t, unit, lang), "Villages": len(t.Villages(unit.ID))})
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
