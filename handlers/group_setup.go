package handlers

import (
	"context"
	"sort"
	"strings"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/i18n"
	"cadrebot/store"
)

// GroupStore is what group setup needs from the store.
type GroupStore interface {
	UpdateGroup(ctx context.Context, chat int64, p store.GroupPatch) error
	BindDepartment(ctx context.Context, dept string, chat int64) error
	RosterStore
}

// Department is a department known to the deployment config.
type Department struct{ ID, Name string }

// Sight tells whether the bot sees a group's plain messages (bot.Sight):
// Telegram's privacy mode hides them unless the bot is an admin there.
type Sight interface {
	SeesAll(ctx context.Context, g *cadrebot.Group) (bool, error)
}

// privacyNote is the one message that tells a group's admin what to do
// when the bot cannot see plain messages, or "" when it can.
func privacyNote(ctx context.Context, sight Sight, texts Texts, u *Update, g *cadrebot.Group) string {
	if sight == nil || g == nil {
		return ""
	}
	ok, err := sight.SeesAll(ctx, g)
	if err != nil || ok {
		// Unknown is not worth a warning: the next /setup asks again.
		return ""
	}
	return texts.T(u.Lang, "privacy_blind")
}

// Setup handles /setup VILLAGE [TOWN], for group admins: it names the
// village the group serves and the town (or other unit of the hierarchy,
// by id or name) it belongs to, and says what to do if the bot cannot see
// the group's plain messages.
func Setup(st GroupStore, auth Auth, out Sender, texts Texts, sight Sight, tree UnitTree) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, auth, u); err != nil {
			return err
		}
		f := strings.Fields(u.Args)
		if len(f) == 0 || len(f) > 2 || len([]rune(u.Args)) > 64 {
			return cadrebot.Errorf("setup_usage")
		}
		village, town := f[0], ""
		if len(f) == 2 {
			town = f[1]
		}
		place := town
		if town != "" && tree != nil {
			t, err := tree(ctx)
			if err != nil {
				return err
			}
			if _, ok, ids := t.Resolve(town); !ok && len(ids) > 1 {
				return cadrebot.Errorf("setup_ambiguous", "Town", town, "Ids", strings.Join(ids, ", "), "Village", village, "First", ids[0])
			}
			place = unitPath(t, t.Unit(t.Place(town)), u.Lang)
		}
		if err := st.UpdateGroup(ctx, u.ChatID, store.GroupPatch{Village: &village, Town: &town}); err != nil {
			return err
		}
		text := texts.T(u.Lang, "setup_done", i18n.Args{"Village": village, "Town": place})
		if note := privacyNote(ctx, sight, texts, u, u.Group); note != "" {
			text += "\n\n" + note
		}
		return Reply(ctx, out, u, text)
	}
}

// Bind handles /bind DEPT, for deployment admins: it makes this chat the
// department's group, overriding chat_id from config.
func Bind(st GroupStore, auth Auth, out Sender, texts Texts, depts []Department, sight Sight) Func {
	ids := make([]string, 0, len(depts))
	for _, d := range depts {
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)
	list := strings.Join(ids, ", ")
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !auth.IsDeploymentAdmin(u.From.ID) {
			return cadrebot.Errorf("err_deploy_admin_only", "Cmd", u.Command)
		}
		id := strings.TrimSpace(u.Args)
		if id == "" {
			return cadrebot.Errorf("bind_usage", "Depts", list)
		}
		for _, d := range depts {
			if d.ID == id {
				if err := st.BindDepartment(ctx, d.ID, u.ChatID); err != nil {
					return err
				}
				text := texts.T(u.Lang, "bind_done", i18n.Args{"Name": d.Name, "Dept": d.ID})
				if note := privacyNote(ctx, sight, texts, u, u.Group); note != "" {
					text += "\n\n" + note
				}
				return Reply(ctx, out, u, text)
			}
		}
		return cadrebot.Errorf("bind_unknown", "Dept", id, "Depts", list)
	}
}

// ChatDepts names the departments whose chat a chat is (config and /bind).
type ChatDepts func(ctx context.Context, chat int64) ([]Department, error)

// Members keeps the roster in step with Telegram: people added to the
// group join it and start a period of service, people who leave (or are
// removed) are taken off and their period ends. When the bot itself is
// added it introduces itself as what the group is to it: a village group
// (listed in the config or set up before), a department's group, or a new
// group that still needs /setup or /bind; and it says what to do if it
// cannot see the group's plain messages.
func Members(st GroupStore, out Sender, texts Texts, botID int64, approval bool, sight Sight, depts ChatDepts) Func {
	return func(ctx context.Context, u *Update) error {
		m := u.Msg
		var names []string
		for _, usr := range m.NewChatMembers {
			if usr.ID == botID {
				text, err := welcome(ctx, texts, u, depts)
				if err != nil {
					return err
				}
				if approval && (u.Group == nil || !u.Group.Approved) {
					text += "\n" + texts.T(u.Lang, "welcome_needs_approval")
				}
				if note := privacyNote(ctx, sight, texts, u, u.Group); note != "" {
					text += "\n\n" + note
				}
				if _, err := out.Send(ctx, sendText(u.ChatID, text)); err != nil {
					return err
				}
				continue
			}
			if usr.IsBot {
				continue
			}
			if _, err := st.Join(ctx, store.JoinWrite{Chat: u.ChatID, Member: cadrebot.Member{UserID: usr.ID, Name: DisplayName(usr),
				Username: usr.Username}, Day: dayOf(u.Now, u.Loc), Created: createdDay(u)}); err != nil {
				return err
			}
			names = append(names, DisplayName(usr))
		}
		if l := m.LeftChatMember; l != nil && !l.IsBot {
			// Leaving, or an admin's removal, ends the period of service;
			// the record stays.
			why := attendance.EndLeft
			if m.From != nil && m.From.ID != l.ID {
				why = attendance.EndRemoved
			}
			if _, _, err := st.EndService(ctx, store.Departure{Chat: u.ChatID, Member: cadrebot.Member{UserID: l.ID,
				Name: DisplayName(*l), Username: l.Username}, Day: dayOf(u.Now, u.Loc), Why: why, Created: createdDay(u)}); err != nil {
				return err
			}
		}
		if len(names) > 0 && u.Group.IsVillage() {
			_, err := out.Send(ctx, sendText(u.ChatID, texts.T(u.Lang, "members_welcome", i18n.Args{"Names": strings.Join(names, "、")})))
			return err
		}
		return nil
	}
}

// welcome is the bot's introduction in a group it was just added to.
func welcome(ctx context.Context, texts Texts, u *Update, depts ChatDepts) (string, error) {
	if u.Group.IsVillage() {
		return texts.T(u.Lang, "welcome_village", i18n.Args{"Village": u.Group.Village}), nil
	}
	if depts != nil {
		ds, err := depts(ctx, u.ChatID)
		if err != nil {
			return "", err
		}
		if len(ds) > 0 {
			names := make([]string, len(ds))
			for i, d := range ds {
				names[i] = d.Name
			}
			return texts.T(u.Lang, "welcome_dept", i18n.Args{"Dept": strings.Join(names, "、")}), nil
		}
	}
	return texts.T(u.Lang, "welcome"), nil
}

// Approve handles /approve, for deployment admins, when config requires
// approval of new groups.
func Approve(st GroupStore, auth Auth, out Sender, texts Texts, release func(ctx context.Context, chat int64) (int, error)) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if !auth.IsDeploymentAdmin(u.From.ID) {
			return cadrebot.Errorf("err_deploy_admin_only", "Cmd", u.Command)
		}
		yes := true
		if err := st.UpdateGroup(ctx, u.ChatID, store.GroupPatch{Approved: &yes}); err != nil {
			return err
		}
		// The reports held until now go to their departments.
		if _, err := release(ctx, u.ChatID); err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "approve_done"))
	}
}

// Lang handles /lang zh|en, for group admins.
func Lang(st GroupStore, auth Auth, out Sender, texts Texts) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, auth, u); err != nil {
			return err
		}
		lang := strings.ToLower(strings.TrimSpace(u.Args))
		if !i18n.Supported(lang) {
			return cadrebot.Errorf("lang_usage")
		}
		if err := st.UpdateGroup(ctx, u.ChatID, store.GroupPatch{Lang: &lang}); err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(lang, "lang_done"))
	}
}
