package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// The harness of the permission matrix (permissions_e2e_test.go): the
// deployment, the people and chats, what each cell sends or presses, and
// what the bot answered.

// Chats of the matrix besides those of the problem tests (the village
// prVillage, the traffic bureau's prTraffic, and prVillage2 as 东山, a
// village group never approved): the town's leaders' group and a group
// nobody set up.
const (
	pmLeaders = -100903
	pmUnset   = -100905
)

// pmYAML: approval is on (the approval button exists only then), with
// the matrix's village approved in the config; leave needs approval (the
// leave request's buttons exist only then); flood control is out of the
// way of ~1,300 cells; 兰亭街道's leaders' group comes from the config.
// The departments 演练部门 and 演练部门二 have no chat and no category: a
// deployment admin's ✅ on "/bind drill" is the confirmation that changes
// nobody's rights over problems (the second asks where the first is
// bound already).
const pmYAML = `
timezone: Asia/Shanghai
language: zh
admins: [9001]
approval: true
approved_chats: [-100601]
categories:
  - {id: parking, name: "停车与交通", department: traffic, sla: 72h}
  - {id: sanitation, name: "环境卫生", department: environment}
departments:
  - {id: traffic, name: "交通运输局", chat_id: -1002, parent: county}
  - {id: environment, name: "生态环境分局", chat_id: -1004, parent: county}
  - {id: county, name: "县驻村办", chat_id: -1003}
  - {id: drill, name: "演练部门"}
  - {id: drill2, name: "演练部门二"}
units:
  - {id: keqiao, name: 柯桥区, level: county}
  - {id: lanting, name: 兰亭街道, level: town, parent: keqiao, chat_id: -100903}
checkin: {leave_approval: true}
flood: {commands: 1000000}
limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}
`

// The six roles, in the order of every cell string of the table.
var (
	pmOther    = models.User{ID: 2003, FirstName: "环保专员", LanguageCode: "zh"}
	pmStranger = models.User{ID: 3001, FirstName: "路人甲", LanguageCode: "zh"}
	pmRoles    = []models.User{apptest.Wang, apptest.Li, apptest.Handler, pmOther, apptest.Admin, pmStranger}
	pmRoleName = []string{"member", "group admin", "handler", "other dept's handler", "deployment admin", "stranger"}
)

// chatKind is a column of the table.
type chatKind int

const (
	kVillage chatKind = iota
	kDept
	kLeaders
	kUnset
	kPrivate
)

var kindName = []string{"village group", "department group", "leaders' group", "unconfigured group", "private chat"}

// runOrder is the order a row's cells run in: the private chat first, so
// that the /checkin row's private cells still see the roster of the
// setup (only the member on it) before its village cells put everyone
// on it.
var runOrder = []chatKind{kPrivate, kVillage, kDept, kLeaders, kUnset}

// pmEnv is the running deployment of the matrix.
type pmEnv struct {
	*prEnv
	leaders, unset, held models.Chat
	// notice is the village's notice of #3's resolution, with the rating
	// buttons.
	notice *models.Message
	seq    int // numbers the problems the fixtures file
}

// startMatrix starts the deployment and gives it its state (see the
// comment above the table).
func startMatrix(t *testing.T) *pmEnv {
	t.Helper()
	// A public address, so that /dashboard answers by who may see what.
	e := apptest.Start(t, apptest.WithYAML(pmYAML), apptest.WithEnv("CADREBOT_PUBLIC_URL", "https://cadrebot.example.gov.cn"))
	m := &pmEnv{prEnv: &prEnv{Env: e, t: t,
		v1: e.TG.Group(prVillage, "谢家坞村工作群"), v2: e.TG.Group(prVillage2, "东山村工作群"),
		traffic: e.TG.Group(prTraffic, "交通运输局工作群"), env: e.TG.Group(prEnvDept, "生态环境分局"),
		cty: e.TG.Group(prCounty, "县驻村办")}}
	m.leaders, m.unset, m.held = e.TG.Group(pmLeaders, "兰亭街道领导群"), e.TG.Group(pmUnset, "闲聊群"), m.v2
	for _, g := range []int64{prVillage, prVillage2, prTraffic, prEnvDept, prCounty, pmLeaders, pmUnset} {
		e.MakeAdmin(g, apptest.Li)
	}
	e.TG.SetMember(prVillage, apptest.Wang.ID, telegramtest.StatusMember)
	e.TG.SetMember(prVillage2, apptest.Wang.ID, telegramtest.StatusMember)
	e.TG.SetMember(prTraffic, apptest.Handler.ID, telegramtest.StatusMember)
	e.TG.SetMember(prEnvDept, pmOther.ID, telegramtest.StatusMember)
	// Everyone started the bot privately: exports and DMs reach them.
	for _, u := range pmRoles {
		m.say(e.TG.Private(u), u, "/start")
	}
	m.Drain()

	m.say(m.v1, apptest.Li, "/setup 谢家坞村 兰亭街道")
	m.WaitSent(prVillage, "本群服务 <b>谢家坞村</b>")
	m.say(m.v1, apptest.Wang, "/join")
	m.WaitSent(prVillage, "王芳 已加入名单")

	// 东山's report waits for approval: the deployment admin gets the
	// approval button privately.
	m.say(m.held, apptest.Li, "/setup 东山村")
	m.WaitSent(prVillage2, "本群服务 <b>东山村</b>")
	m.say(m.held, apptest.Wang, "/report 村口积水")
	m.press(m.held, apptest.Wang, m.last(prVillage2, "请选择问题分类"), "环境卫生")
	m.WaitSent(prVillage2, "尚未获部署管理员批准")
	m.WaitSent(apptest.Admin.ID, "尚未获批准")

	// #1 accepted, #2 closed, #3 resolved (the village's notice asks for
	// a rating), #4 to #14 new: lists of twelve open problems have a
	// second page.
	want := func(n, got int64) {
		t.Helper()
		if got != n {
			t.Fatalf("the setup filed #%d, want #%d", got, n)
		}
	}
	_, n := m.report(m.v1, apptest.Wang, "村口道路两侧车辆乱停", "停车与交通")
	want(1, n)
	m.say(m.traffic, apptest.Handler, "/accept 1")
	m.WaitSent(prTraffic, "#1 已受理")
	_, n = m.report(m.v1, apptest.Wang, "村委会门口共享单车堆放", "停车与交通")
	want(2, n)
	m.say(m.v1, apptest.Li, "/close 2")
	m.WaitSent(prVillage, "#2 已关闭")
	_, n = m.report(m.v1, apptest.Wang, "小学门口接送车辆堵路", "停车与交通")
	want(3, n)
	m.say(m.traffic, apptest.Handler, "/resolve 3 已划定临时停车区")
	m.notice = m.last(prVillage, "#3 已由 交通运输局 办结")
	if buttonData(m.notice, "🙂 基本满意") == "" {
		t.Fatalf("the resolution notice has no ratings: %v", buttons(m.notice))
	}
	for i := 4; i <= 14; i++ {
		_, n = m.report(m.v1, apptest.Wang, fmt.Sprintf("第%d处路口车辆乱停", i), "停车与交通")
		want(int64(i), n)
	}

	// P1, led by the member, with more milestones than cells that can
	// mark one done.
	var ms []string
	for i := 1; i <= 12; i++ {
		ms = append(ms, fmt.Sprintf("2027-01-%02d 节点%d", i, i))
	}
	if id := m.createProject(apptest.Wang, "🙋 我来负责", "村口共富工坊", strings.Join(ms, "\n")); id != 1 {
		t.Fatalf("the setup created P%d, want P1", id)
	}
	m.Drain()
	return m
}

// say posts text as from in chat. Posting never makes anyone a member
// (telegramtest.KeepStatus): who is in which chat stays as the setup
// made it.
func (m *pmEnv) say(chat models.Chat, from models.User, text string, opts ...telegramtest.MsgOpt) *models.Message {
	return m.TG.SendText(chat, from, text, append(opts, telegramtest.KeepStatus())...)
}

// chat is where a cell of kind k happens for who: their own private
// chat, or the group of that kind.
func (m *pmEnv) chat(k chatKind, who models.User) models.Chat {
	switch k {
	case kVillage:
		return m.v1
	case kDept:
		return m.traffic
	case kLeaders:
		return m.leaders
	case kUnset:
		return m.unset
	}
	return m.TG.Private(who)
}

// replyTo is the bot's latest message in chat that replies to message
// msgID, or nil.
func (m *pmEnv) replyTo(chat models.Chat, msgID int) *models.Message {
	var got *models.Message
	for _, b := range m.TG.SentSince(chat.ID, msgID) {
		if b.ReplyToMessage != nil && b.ReplyToMessage.ID == msgID {
			got = b
		}
	}
	return got
}

// answerTo waits for the bot's answer to msg (a reply to it) and returns
// it; every command the fixtures send is answered.
func (m *pmEnv) answerTo(chat models.Chat, msg *models.Message) *models.Message {
	m.t.Helper()
	var got *models.Message
	m.Wait(fmt.Sprintf("an answer to %q", msg.Text), func() bool {
		got = m.replyTo(chat, msg.ID)
		return got != nil
	})
	m.WaitOutbox()
	return got
}

// settle waits until the bot has finished with everything who sent or
// pressed in chat: it sends a sentinel, /cancel (which answers anyone,
// anywhere), and waits for its answer, which comes after everything
// before it since the updates of one chat are handled in order; then for
// the outbox. The sentinel also ends whatever dialog or pending note the
// cell left who there. It returns the id of the sentinel's answer, which
// belongs to no cell.
func (m *pmEnv) settle(chat models.Chat, who models.User) int {
	m.t.Helper()
	s := m.say(chat, who, "/cancel")
	return m.answerTo(chat, s).ID
}

// labelled is the data of msg's first button whose label contains
// label, or "".
func labelled(msg *models.Message, label string) string {
	if msg == nil || msg.ReplyMarkup == nil {
		return ""
	}
	for _, row := range msg.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, label) && b.CallbackData != "" {
				return b.CallbackData
			}
		}
	}
	return ""
}

// answer is what the bot did in one cell.
type answer struct {
	texts []string // its new messages in the chat and the user's private chat, and the callback's answer
	acted bool     // it reacted to the command, or edited the pressed message
}

func (a answer) String() string {
	var parts []string
	for _, t := range a.texts {
		t = strings.Join(strings.Fields(t), " ")
		if r := []rune(t); len(r) > 60 {
			t = string(r[:60]) + "…"
		}
		parts = append(parts, fmt.Sprintf("%q", t))
	}
	if a.acted {
		parts = append(parts, "(reacted or edited)")
	}
	if len(parts) == 0 {
		return "(nothing)"
	}
	return strings.Join(parts, " ")
}

// mark is where a chat and a user's private chat stood before a cell.
type mark struct{ chat, dm int }

func (m *pmEnv) mark(chat models.Chat, who models.User) mark {
	return mark{m.TG.LastMessageID(chat.ID), m.TG.LastMessageID(who.ID)}
}

// since collects the bot's messages after mk but the sentinel's answer.
func (m *pmEnv) since(mk mark, chat models.Chat, who models.User, sentinel int) answer {
	var a answer
	add := func(chatID int64, after int) {
		for _, b := range m.TG.SentSince(chatID, after) {
			if b.ID != sentinel || chatID != chat.ID {
				a.texts = append(a.texts, b.Text+b.Caption)
			}
		}
	}
	add(chat.ID, mk.chat)
	if chat.ID != who.ID {
		add(who.ID, mk.dm)
	}
	return a
}

// command sends text as who in chat and returns what the bot did. A
// check-in's only answer, a reaction, is sent in the background, so an
// answer without words waits for the bot to have handled everything
// before it is taken for silence.
func (m *pmEnv) command(chat models.Chat, who models.User, text string) answer {
	m.t.Helper()
	mk := m.mark(chat, who)
	msg := m.say(chat, who, text)
	a := m.since(mk, chat, who, m.settle(chat, who))
	if len(a.texts) == 0 {
		m.Drain()
	}
	a.acted = len(m.TG.Reactions(chat.ID, msg.ID)) > 0
	return a
}

// offer is a button a fixture found for a cell: the message that shows
// it and its data, and what to undo after the press.
type offer struct {
	msg     *models.Message
	data    string
	cleanup func()
}

// fixture finds (or makes) a button of its kind offered in the chat of
// kind k as who would see it; nil when it never appears there.
type fixture func(m *pmEnv, k chatKind, who models.User) *offer

// pressCell presses the fixture's button as who and returns what the bot
// did; ok is false when the button does not appear there.
func (m *pmEnv) pressCell(fx fixture, k chatKind, who models.User) (a answer, ok bool) {
	m.t.Helper()
	o := fx(m, k, who)
	if o == nil || o.data == "" {
		return answer{}, false
	}
	if o.cleanup != nil {
		defer o.cleanup()
	}
	chat := m.chat(k, who)
	m.WaitOutbox()
	before, _ := m.TG.Message(chat.ID, o.msg.ID)
	mk := m.mark(chat, who)
	id := m.TG.Press(chat, who, o.msg.ID, o.data)
	m.Wait("the press answered", func() bool {
		cb, ok := m.TG.CallbackAnswer(id)
		return ok && cb.Answered
	})
	a = m.since(mk, chat, who, m.settle(chat, who))
	if cb, _ := m.TG.CallbackAnswer(id); cb.Text != "" {
		a.texts = append(a.texts, cb.Text)
	}
	after, _ := m.TG.Message(chat.ID, o.msg.ID)
	a.acted = after.Text != before.Text || !slices.Equal(buttons(after), buttons(before))
	return a, true
}

// pressed presses the button labelled label on msg as from, as a fixture
// step, and waits until the bot has handled it.
func (m *pmEnv) pressed(chat models.Chat, from models.User, msg *models.Message, label string) {
	m.t.Helper()
	id, err := m.TG.PressButton(chat, from, msg.ID, label)
	if err != nil {
		m.t.Fatalf("press %q: %v (buttons %v)", label, err, buttons(msg))
	}
	m.Wait("the press answered", func() bool {
		cb, ok := m.TG.CallbackAnswer(id)
		return ok && cb.Answered
	})
	m.WaitOutbox()
}

// file reports a parking problem in the village as the member and
// returns its number.
func (m *pmEnv) file(text string) int64 {
	m.t.Helper()
	board := m.answerTo(m.v1, m.say(m.v1, apptest.Wang, "/report "+text))
	m.pressed(m.v1, apptest.Wang, board, "停车与交通")
	// The press is answered before the form's message is edited.
	var b *models.Message
	m.Wait("the report filed, or its duplicates shown", func() bool {
		b = m.fresh(prVillage, board)
		return strings.Contains(b.Text, "已登记 #") || strings.Contains(b.Text, "登记前请看一下")
	})
	if strings.Contains(b.Text, "登记前请看一下") {
		m.pressed(m.v1, apptest.Wang, b, "不是同一件，新登记")
		m.Wait("the report filed", func() bool { return strings.Contains(m.fresh(prVillage, board).Text, "已登记 #") })
	}
	var n int64
	text = m.fresh(prVillage, board).Text
	i := strings.Index(text, "已登记 #")
	if i < 0 {
		m.t.Fatalf("not filed: %q", text)
	}
	if _, err := fmt.Sscanf(text[i:], "已登记 #%d", &n); err != nil {
		m.t.Fatalf("no problem number in %q", text)
	}
	return n
}

// askIn sends text as from in chat and returns the bot's answer if it
// carries a button whose label contains label.
func (m *pmEnv) askIn(chat models.Chat, from models.User, text, label string) *offer {
	m.t.Helper()
	a := m.answerTo(chat, m.say(chat, from, text))
	if d := labelled(a, label); d != "" {
		return &offer{msg: a, data: d}
	}
	return nil
}

// The fixtures, by table row.
var fixtures = map[string]fixture{
	// A fresh problem's card in the department group: 📥 受理.
	"p:acc": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k != kDept {
			return nil
		}
		m.seq++
		card := m.card(prTraffic, m.file(fmt.Sprintf("新路口%d车辆乱停", m.seq)))
		return &offer{msg: card, data: labelled(card, "📥 受理")}
	},
	// The village's notice of #3's resolution: 🙂 基本满意 (✓ once
	// chosen). A rating may change until the problem closes, so every
	// cell presses the same notice.
	"p:rate": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k != kVillage {
			return nil
		}
		n := m.fresh(prVillage, m.notice)
		return &offer{msg: n, data: labelled(n, "基本满意")}
	},
	// The member's report dialog, at its category buttons.
	"rd": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k == kPrivate {
			return nil
		}
		chat := m.chat(k, apptest.Wang)
		q := m.answerTo(chat, m.say(chat, apptest.Wang, "/report"))
		if !has(q, "请用文字描述") {
			return nil // no dialog here
		}
		board := m.answerTo(chat, m.say(chat, apptest.Wang, "路灯不亮", telegramtest.ReplyTo(q.ID)))
		return &offer{msg: board, data: labelled(board, "停车与交通"), cleanup: func() { m.settle(chat, apptest.Wang) }}
	},
	// A /problems list with a second page: the member's in the village,
	// the handler's in the department, the deployment admin's (the
	// deployment's) in the other groups; privately, the presser's own
	// list or, failing that, their own problems.
	"pq": func(m *pmEnv, k chatKind, who models.User) *offer {
		asker := map[chatKind]models.User{kVillage: apptest.Wang, kDept: apptest.Handler, kLeaders: apptest.Admin,
			kUnset: apptest.Admin, kPrivate: who}[k]
		chat := m.chat(k, asker)
		if o := m.askIn(chat, asker, "/problems", "下一页"); o != nil || k != kPrivate {
			return o
		}
		return m.askIn(chat, asker, "/problems mine", "下一页")
	},
	// The member's own leave for tomorrow, a request with ✅ 批准.
	"lv": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k != kVillage {
			return nil
		}
		return m.askIn(m.v1, apptest.Wang, "/leave tomorrow", "✅ 批准")
	},
	// ✅ 批准本群 for 东山, in the presser's private chat.
	"ap": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k != kPrivate {
			return nil
		}
		for _, b := range m.TG.Sent(who.ID) {
			if d := labelled(b, "✅ 批准本群"); d != "" {
				return &offer{msg: b, data: d}
			}
		}
		return nil
	},
	// The member's /project dialog, at its lead buttons.
	"pj": func(m *pmEnv, k chatKind, who models.User) *offer {
		if k != kVillage {
			return nil
		}
		q := m.answerTo(m.v1, m.say(m.v1, apptest.Wang, "/project 村史馆修缮"))
		if !has(q, "的简介") {
			return nil // no dialog here
		}
		board := m.answerTo(m.v1, m.say(m.v1, apptest.Wang, "修缮村史馆", telegramtest.ReplyTo(q.ID)))
		return &offer{msg: board, data: labelled(board, "🙋 我来负责"), cleanup: func() { m.settle(m.v1, apptest.Wang) }}
	},
	// P1's ✅ 完成 buttons on /project P1: asked by its lead in the
	// village, by the group admin (an admin of the village, who may read
	// it anywhere) in the other groups, privately by the presser.
	"pm": func(m *pmEnv, k chatKind, who models.User) *offer {
		asker := apptest.Li
		switch k {
		case kVillage:
			asker = apptest.Wang
		case kPrivate:
			asker = who
		}
		return m.askIn(m.chat(k, asker), asker, "/project P1", "✅ 完成")
	},
	// A confirmation's ✅: the group admin renaming the village in the
	// village group; the deployment admin's "/bind drill" elsewhere.
	"cf": func(m *pmEnv, k chatKind, who models.User) *offer {
		switch k {
		case kPrivate:
			return nil
		case kVillage:
			g, err := m.DB.Group(context.Background(), prVillage)
			if err != nil {
				m.t.Fatal(err)
			}
			name := "谢家坞"
			if g.Village == name {
				name = "谢家坞村"
			}
			return m.askIn(m.v1, apptest.Li, "/setup "+name+" 兰亭街道", "✅ 确认")
		}
		bound, err := m.DB.DepartmentChats(context.Background())
		if err != nil {
			m.t.Fatal(err)
		}
		dept := "drill"
		if bound[dept] == m.chat(k, apptest.Admin).ID {
			dept = "drill2" // bound here by the deployment admin's cell
		}
		return m.askIn(m.chat(k, apptest.Admin), apptest.Admin, "/bind "+dept, "✅ 确认")
	},
}
