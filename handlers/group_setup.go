package handlers

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/i18n"
)

// GroupStore is what group setup needs from the store.
type GroupStore interface {
	UpdateGroup(ctx context.Context, chat int64, p cadrebot.GroupPatch) error
	BindDepartment(ctx context.Context, dept string, chat int64) error
	BindUnit(ctx context.Context, unit string, chat int64) error
	Group(ctx context.Context, chat int64) (*cadrebot.Group, error)
	VillageProblemCount(ctx context.Context, chat int64) (int64, error)
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

// GroupSetup makes a group what it is to the deployment: a village group
// (/setup), a department's group (/bind) or a unit's leaders' group
// (/leaders). A change that gives people rights or renames a village's
// records is confirmed first (see Confirms).
type GroupSetup struct {
	Store   GroupStore
	Auth    Auth
	Out     Sender
	Texts   Texts
	Sight   Sight
	Tree    UnitTree
	Depts   []Department
	Confirm *Confirms
	// DeptChat is the chat a department's cards go to now (/bind, else
	// config), 0 for none.
	DeptChat func(ctx context.Context, dept string) (int64, error)
	// Approval: village groups need a deployment admin's approval before
	// their reports reach departments; NoAdmins: and nobody can give it.
	Approval, NoAdmins bool
}

// Register makes the confirmed halves of /setup, /bind and /leaders known
// to the confirmations; call it once when wiring.
func (g *GroupSetup) Register() {
	g.Confirm.register("setup", confirmAction{allowed: g.mayAdmin, apply: g.applySetup})
	g.Confirm.register("bind", confirmAction{allowed: g.mayDeploy, apply: g.applyBind})
	g.Confirm.register("leaders", confirmAction{allowed: g.mayDeploy, apply: g.applyLeaders})
}

func (g *GroupSetup) mayAdmin(ctx context.Context, u *Update) error {
	return requireGroupAdmin(ctx, g.Auth, u)
}

func (g *GroupSetup) mayDeploy(_ context.Context, u *Update) error {
	if !g.Auth.IsDeploymentAdmin(u.From.ID) {
		return cadrebot.Errorf("err_deploy_admin_only", "Cmd", u.Command)
	}
	return nil
}

// Setup handles /setup VILLAGE [TOWN], for group admins: it names the
// village the group serves and the town (or other unit of the hierarchy,
// by id or name) it belongs to. Renaming a village that has a roster or
// problems asks first. The answer says what to do if the bot cannot see
// the group's plain messages, and whether the group's reports wait for
// approval.
func (g *GroupSetup) Setup() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, g.Auth, u); err != nil {
			return err
		}
		village, town, err := g.parseSetup(ctx, u.Args)
		if err != nil {
			return err
		}
		if old := u.Group; old != nil && old.Village != "" && old.Village != village {
			members, problems, err := g.villageData(ctx, u.ChatID)
			if err != nil {
				return err
			}
			if members+problems > 0 {
				place, err := g.place(ctx, town, u.Lang)
				if err != nil {
					return err
				}
				q := g.Texts.T(u.Lang, "setup_confirm", i18n.Args{"Old": old.Village, "New": village, "Town": place,
					"Members": members, "Problems": problems})
				return g.Confirm.ask(ctx, u, "setup", u.Args, q)
			}
		}
		text, err := g.applySetup(ctx, u, u.Args)
		if err != nil {
			return err
		}
		return Reply(ctx, g.Out, u, text)
	}
}

// parseSetup reads /setup's arguments.
func (g *GroupSetup) parseSetup(ctx context.Context, args string) (village, town string, err error) {
	f := strings.Fields(args)
	if len(f) == 0 || len(f) > 2 || len([]rune(args)) > 64 {
		return "", "", cadrebot.Errorf("setup_usage")
	}
	village = f[0]
	if len(f) == 2 {
		town = f[1]
	}
	if town != "" && g.Tree != nil {
		t, err := g.Tree(ctx)
		if err != nil {
			return "", "", err
		}
		if _, ok, ids := t.Resolve(town); !ok && len(ids) > 1 {
			return "", "", cadrebot.Errorf("setup_ambiguous", "Town", town, "Ids", strings.Join(ids, ", "), "Village", village, "First", ids[0])
		}
	}
	return village, town, nil
}

// place names where town puts a village in the hierarchy.
func (g *GroupSetup) place(ctx context.Context, town, lang string) (string, error) {
	if town == "" || g.Tree == nil {
		return town, nil
	}
	t, err := g.Tree(ctx)
	if err != nil {
		return "", err
	}
	return unitPath(t, t.Unit(t.Place(town)), lang), nil
}

// villageData counts what a village group has on record: its roster and
// the problems it reported.
func (g *GroupSetup) villageData(ctx context.Context, chat int64) (members, problems int, err error) {
	p, err := g.Store.Service(ctx, chat)
	if err != nil {
		return 0, 0, err
	}
	n, err := g.Store.VillageProblemCount(ctx, chat)
	if err != nil {
		return 0, 0, err
	}
	return len(p.Roster), int(n), nil
}

// applySetup carries /setup out (args as the admin sent them) and returns
// the group's answer.
func (g *GroupSetup) applySetup(ctx context.Context, u *Update, args string) (string, error) {
	village, town, err := g.parseSetup(ctx, args)
	if err != nil {
		return "", err
	}
	place, err := g.place(ctx, town, u.Lang)
	if err != nil {
		return "", err
	}
	if err := g.Store.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{Village: &village, Town: &town}); err != nil {
		return "", err
	}
	text := g.Texts.T(u.Lang, "setup_done", i18n.Args{"Village": village, "Town": place})
	if g.Approval && (u.Group == nil || !u.Group.Approved) {
		text += "\n\n" + g.Texts.T(u.Lang, "welcome_needs_approval")
		if g.NoAdmins {
			text += "\n" + g.Texts.T(u.Lang, "no_admins")
		}
	}
	if note := privacyNote(ctx, g.Sight, g.Texts, u, u.Group); note != "" {
		text += "\n\n" + note
	}
	return text, nil
}

// Bind handles /bind DEPT, for deployment admins: it makes this chat the
// department's group, overriding chat_id from config, once confirmed:
// every member becomes a handler of the department, and its cards come
// here instead of where they went.
func (g *GroupSetup) Bind() Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := g.mayDeploy(ctx, u); err != nil {
			return err
		}
		d, err := g.dept(u.Args)
		if err != nil {
			return err
		}
		from, err := g.DeptChat(ctx, d.ID)
		if err != nil {
			return err
		}
		if from == u.ChatID {
			return Reply(ctx, g.Out, u, g.Texts.T(u.Lang, "bind_already", i18n.Args{"Name": d.Name, "Dept": d.ID}))
		}
		args := i18n.Args{"Name": d.Name, "Dept": d.ID, "From": g.chatName(ctx, from)}
		g.warnings(ctx, u, args)
		return g.Confirm.ask(ctx, u, "bind", d.ID, g.Texts.T(u.Lang, "bind_confirm", args))
	}
}

// dept finds the department /bind names.
func (g *GroupSetup) dept(arg string) (Department, error) {
	ids := make([]string, 0, len(g.Depts))
	for _, d := range g.Depts {
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)
	id := strings.TrimSpace(arg)
	if id == "" {
		return Department{}, cadrebot.Errorf("bind_usage", "Depts", strings.Join(ids, ", "))
	}
	for _, d := range g.Depts {
		if d.ID == id {
			return d, nil
		}
	}
	return Department{}, cadrebot.Errorf("bind_unknown", "Dept", id, "Depts", strings.Join(ids, ", "))
}

// chatName names a chat for a confirmation: its title, or its id when
// the bot never saw it; "" for none.
func (g *GroupSetup) chatName(ctx context.Context, chat int64) string {
	if chat == 0 {
		return ""
	}
	if gr, err := g.Store.Group(ctx, chat); err == nil && gr.Title != "" {
		return gr.Title
	}
	return strconv.FormatInt(chat, 10)
}

// warnings adds what the group is now to a confirmation's arguments: a
// village group, or another department's group.
func (g *GroupSetup) warnings(ctx context.Context, u *Update, args i18n.Args) {
	if u.Group == nil {
		return
	}
	if u.Group.IsVillage() {
		args["Village"] = u.Group.Village
	}
	if u.Group.Dept != "" {
		for _, d := range g.Depts {
			if d.ID == u.Group.Dept {
				args["OtherDept"] = d.Name
			}
		}
	}
}

// applyBind carries a confirmed /bind out.
func (g *GroupSetup) applyBind(ctx context.Context, u *Update, id string) (string, error) {
	d, err := g.dept(id)
	if err != nil {
		return "", err
	}
	if err := g.Store.BindDepartment(ctx, d.ID, u.ChatID); err != nil {
		return "", err
	}
	text := g.Texts.T(u.Lang, "bind_done", i18n.Args{"Name": d.Name, "Dept": d.ID})
	if note := privacyNote(ctx, g.Sight, g.Texts, u, u.Group); note != "" {
		text += "\n\n" + note
	}
	return text, nil
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
			if _, err := st.Join(ctx, attendance.JoinWrite{Chat: u.ChatID, Member: cadrebot.Member{UserID: usr.ID, Name: DisplayName(usr),
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
			if _, _, err := st.EndService(ctx, attendance.Departure{Chat: u.ChatID, Member: cadrebot.Member{UserID: l.ID,
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
		if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{Approved: &yes}); err != nil {
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
		if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{Lang: &lang}); err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(lang, "lang_done"))
	}
}
