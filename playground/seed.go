package playground

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/calendar"
	"cadrebot/telegramtest"
)

// seedReport says what the seeding could not do, for the banner.
type seedReport struct {
	skipped  []string
	problems []int // the #N of seeded reports, in order
	project  int   // the P<N> of the seeded project, 0 when none
}

// seeder replays a few days of a county's work by acting as its people
// through the fake Bot API, at earlier fake times. It uses only what a
// Telegram user can do, so it needs no knowledge of the bot's storage.
// A feature whose command the bot does not publish (not built yet) is
// skipped and reported, never an error: the playground must start with
// whatever the bot can do.
type seeder struct {
	ctx  context.Context
	p    *Playground
	tg   *telegramtest.Server
	loc  *time.Location
	log  *slog.Logger
	menu map[string]bool
	rep  *seedReport
}

// Features the history uses, each detected by one command of its menu.
const (
	featCheckin = "checkin" // check-ins, leave, reminders
	featReport  = "report"  // problem reports
	featStats   = "stats"   // digests and statistics
	featProject = "project" // village projects, joint handling, ratings
)

var featureNames = map[string]string{
	featCheckin: "check-ins (/checkin)",
	featReport:  "problem reports (/report)",
	featStats:   "digests (/stats)",
	featProject: "village projects (/project)",
}

func seedHistory(ctx context.Context, p *Playground, days []calendar.Date) *seedReport {
	s := &seeder{ctx: ctx, p: p, tg: p.TG, loc: p.Cfg.Location, log: p.Log, menu: map[string]bool{}, rep: &seedReport{}}
	for _, c := range p.TG.Commands("", "") {
		s.menu[c.Command] = true
	}
	for _, f := range []string{featCheckin, featReport, featStats, featProject} {
		if !s.menu[f] {
			s.rep.skipped = append(s.rep.skipped, featureNames[f])
		}
	}
	start := time.Now()
	s.history(days)
	p.Log.Info("playground: history seeded", "days", len(days), "took", time.Since(start).Round(time.Millisecond),
		"skipped", strings.Join(s.rep.skipped, "; "))
	return s.rep
}

// history is the story of the last few workdays. days[3] is usually a
// Monday, so the weekly digest fires inside the history.
func (s *seeder) history(d []calendar.Date) {
	s.at(d[0], "08:20")
	s.setupVillage(Xiejiawu, "谢家坞村 平水镇", AtXiejiawu, Wang, Li)
	s.setupVillage(Dongshan, "东山村 王坛镇", AtDongshan, Zhang)
	s.tg.AddMembers(chat(Traffic), Chen.User, Zhao.User)
	s.tg.AddMembers(chat(Environment), Chen.User, Sun.User)
	for _, who := range []Person{Wang, Li, Zhang} {
		s.say(private(who), who, "/start")
	}

	s.at(d[0], "08:41")
	s.checkin(Xiejiawu, Wang, "/checkin 走访低保户，了解冬季取暖情况")
	s.at(d[0], "08:55")
	s.checkin(Xiejiawu, Li, "打卡 村委会值班")
	s.checkin(Dongshan, Zhang, "/checkin")
	s.at(d[0], "09:32")
	// Handled jointly: the traffic bureau leads, the environment branch
	// supports (demo.yaml's parking category).
	s.report(Xiejiawu, Wang, "工业园区门口没有划定停车位，进出的货车和村民车辆混停，存在安全隐患", "停车与交通", nil)
	s.at(d[0], "16:00")
	s.project(d)

	s.at(d[1], "08:45")
	s.checkin(Xiejiawu, Wang, "/checkin 整理村民议事会记录")
	s.at(d[1], "08:52")
	if s.has(featCheckin) {
		s.do(func() { s.tg.SendLocation(chat(Xiejiawu), Li.User, OffSite.Lat, OffSite.Lon) })
	}
	s.checkin(Dongshan, Zhang, "打卡")
	s.at(d[1], "09:20")
	s.lifecycle(Traffic, Zhao, 0, "/accept %d")
	s.at(d[1], "10:05")
	if s.has(featProject) {
		s.lifecycle(Environment, Sun, 0, "/note %d 已到现场查看：停车区域不涉及环境敏感点，同意在入口东侧施划")
	}
	s.at(d[1], "16:20")
	s.progress(Xiejiawu, Li, "/progress P%d 已请县设计院现场踏勘，初步选定公园北侧空地", sample("parking.jpg"))
	s.at(d[1], "14:10")
	s.report(Dongshan, Zhang, "村口垃圾收集点满溢，已经三天没有清运", "环境卫生", sample("garbage.jpg"))

	s.at(d[2], "08:40")
	s.checkin(Xiejiawu, Wang, "/checkin")
	s.checkin(Dongshan, Zhang, "/checkin 入户走访")
	if s.has(featCheckin) {
		s.atExpect(d[2], "10:00", Xiejiawu, "the 10:00 reminder")
	}
	s.at(d[2], "10:20")
	s.checkin(Xiejiawu, Li, "打卡 上午在镇里开会")
	s.at(d[2], "15:00")
	// The resolution carries its evidence: a photo of the new spaces.
	s.photoLifecycle(Traffic, Zhao, 0, "/resolve %d 已在园区入口划定 12 个临时停车位，并设置了指示牌", sample("parking.jpg"))
	s.at(d[2], "16:05")
	s.report(Xiejiawu, Li, "村东石桥桥面有一处坑洞，雨天积水，电动车经过容易摔倒", "道路", sample("pothole.jpg"))
	s.at(d[2], "16:30")
	s.lifecycle(Environment, Sun, 1, "/accept %d")

	s.at(d[3], "08:30")
	s.checkin(Xiejiawu, Wang, "/checkin 准备村集体经济项目材料")
	s.checkin(Xiejiawu, Li, "/checkin")
	s.checkin(Dongshan, Zhang, "/checkin")
	if s.has(featStats) && d[3].Weekday() == time.Monday {
		s.atExpect(d[3], "09:00", Xiejiawu, "the weekly digest")
	}
	s.at(d[3], "09:40")
	s.lifecycle(Traffic, Zhao, 2, "/accept %d")
	s.at(d[3], "11:15")
	s.rate(Xiejiawu, Wang, "😊 满意") // the reporter is satisfied with the fix
	s.at(d[3], "17:10")
	if s.has(featCheckin) {
		s.say(chat(Xiejiawu), Li, "/leave "+d[4].String()+" 请假")
	}

	s.at(d[4], "08:45")
	s.checkin(Xiejiawu, Wang, "/checkin")
	s.checkin(Dongshan, Zhang, "打卡")
	s.at(d[4], "15:30")
	s.lifecycle(Traffic, Zhao, 2, "/resolve %d 已修补坑洞，并在桥头设置了警示桩")
	// Two reports with the spot shared, for the dashboard's map.
	s.at(d[4], "16:40")
	s.reportAt(Xiejiawu, Wang, "村西溪边堆放建筑垃圾，下雨后冲进溪里", "环境卫生", Place{Lat: 29.9338, Lon: 120.6396})
	s.at(d[4], "17:05")
	s.reportAt(Dongshan, Zhang, "村口变压器旁的围栏倒了，孩子放学经过不安全", "安全生产", Place{Lat: 29.8032, Lon: 120.6887})
	s.at(d[4], "18:00")
}

// setupVillage is what a county admin and a cadre do on day one: add the
// bot and the cadres, name the village, set its position.
func (s *seeder) setupVillage(v ChatInfo, setup string, at Place, admin Person, others ...Person) {
	c := chat(v)
	s.do(func() { s.tg.AddMembers(c, Chen.User, s.tg.Bot()) })
	s.tg.SetMember(v.ID, Chen.User.ID, telegramtest.StatusCreator)
	s.do(func() { s.tg.AddMembers(c, Chen.User, admin.User) })
	s.tg.SetMember(v.ID, admin.User.ID, telegramtest.StatusAdministrator)
	s.say(c, admin, "/setup "+setup)
	if s.has(featCheckin) {
		s.say(c, admin, "/setvillage "+strconv.FormatFloat(at.Lat, 'f', 4, 64)+" "+strconv.FormatFloat(at.Lon, 'f', 4, 64)+" 2000")
	}
	for _, o := range others {
		s.do(func() { s.tg.AddMembers(c, admin.User, o.User) })
	}
}

func (s *seeder) checkin(v ChatInfo, who Person, text string) {
	if s.has(featCheckin) {
		s.say(chat(v), who, text)
	}
}

// report files a problem the way a cadre does: /report with the text (as a
// photo caption when there is a photo), then the category button if the
// bot asks for one. It notes the #N the bot answers with.
func (s *seeder) report(v ChatInfo, who Person, text, category string, photo []byte) {
	if !s.has(featReport) {
		return
	}
	c := chat(v)
	var m *models.Message
	s.do(func() {
		if photo != nil {
			m = s.tg.SendPhoto(c, who.User, photo, "/report "+text)
		} else {
			m = s.tg.SendText(c, who.User, "/report "+text)
		}
	})
	// The buttons carry the category's name in the bot's language.
	labels := []string{category}
	for _, c := range s.p.Cfg.File.Categories {
		if c.Name == category && c.NameEn != "" {
			labels = append(labels, c.NameEn)
		}
	}
	if b, ok := s.button(v.ID, m.ID, labels...); ok {
		s.do(func() { s.tg.Press(c, who.User, b.msg, b.data) })
	}
	n := 0
	s.wait("the number of the report in "+v.Short, func() bool {
		for _, e := range s.tg.Transcript(v.ID) {
			// The answer replies to the report; a reminder or a sweep
			// posting at the same time does not.
			if r := e.Message.ReplyToMessage; e.FromBot && r != nil && r.ID == m.ID {
				if k := problemNumber(e.Message.Text + e.Message.Caption); k > 0 {
					n = k
					return true
				}
			}
		}
		return false
	})
	s.rep.problems = append(s.rep.problems, n)
}

// reportAt files a problem with where it is, through the report dialog as
// a cadre on the spot does: /report, the description in reply to the
// bot's question, the category, the location in reply to the next
// question, Next, Confirm.
func (s *seeder) reportAt(v ChatInfo, who Person, text, category string, at Place) {
	if !s.has(featReport) {
		return
	}
	c := chat(v)
	var m, desc *models.Message
	s.do(func() { m = s.tg.SendText(c, who.User, "/report") })
	q, ok := s.prompt(v.ID, m.ID)
	if !ok {
		return
	}
	s.do(func() { desc = s.tg.SendText(c, who.User, text, telegramtest.ReplyTo(q)) })
	b, ok := s.button(v.ID, desc.ID, category)
	if !ok {
		return
	}
	s.do(func() { s.tg.Press(c, who.User, b.msg, b.data) })
	if q, ok = s.prompt(v.ID, desc.ID); !ok {
		return
	}
	s.do(func() { s.tg.SendLocation(c, who.User, at.Lat, at.Lon, telegramtest.ReplyTo(q)) })
	for _, label := range []string{"下一步", "确认提交"} {
		if b, ok = s.button(v.ID, desc.ID, label); !ok {
			return
		}
		s.do(func() { s.tg.Press(c, who.User, b.msg, b.data) })
	}
	s.wait("the number of the located report in "+v.Short, func() bool {
		for _, e := range s.tg.Transcript(v.ID) {
			if e.FromBot && e.Message.ID >= b.msg && strings.Contains(e.Message.Text, "已登记") && problemNumber(e.Message.Text) > 0 {
				return true
			}
		}
		return false
	})
}

// prompt waits for the bot's newest question that asks for a reply
// (ForceReply) after message after, and returns its id.
func (s *seeder) prompt(chatID int64, after int) (int, bool) {
	id := 0
	ok := s.wait("the bot's question", func() bool {
		for _, e := range s.tg.Transcript(chatID) {
			if e.FromBot && e.ForceReply != nil && e.Message.ID > after && e.Message.ID > id {
				id = e.Message.ID
			}
		}
		return id != 0
	})
	return id, ok
}

// photoLifecycle is lifecycle with the command as a photo's caption.
func (s *seeder) photoLifecycle(dept ChatInfo, who Person, i int, format string, photo []byte) {
	if i >= len(s.rep.problems) || s.rep.problems[i] == 0 {
		return
	}
	if !s.has(featProject) {
		// Before resolution photos a caption did not resolve: plain text.
		s.lifecycle(dept, who, i, format)
		return
	}
	text := strings.Replace(format, "%d", strconv.Itoa(s.rep.problems[i]), 1)
	s.do(func() { s.tg.SendPhoto(chat(dept), who.User, photo, text) })
}

// rate presses the rating button labelled label on the village's notice
// of the first seeded report, as its reporter.
func (s *seeder) rate(v ChatInfo, who Person, label string) {
	if !s.has(featProject) || len(s.rep.problems) == 0 || s.rep.problems[0] == 0 {
		return
	}
	if b, ok := s.button(v.ID, 0, label); ok {
		s.do(func() { s.tg.Press(chat(v), who.User, b.msg, b.data) })
	}
}

// lifecycle runs a command on the i-th seeded report in a chat, if the
// report was filed.
func (s *seeder) lifecycle(dept ChatInfo, who Person, i int, format string) {
	if i >= len(s.rep.problems) || s.rep.problems[i] == 0 {
		return
	}
	s.say(chat(dept), who, strings.Replace(format, "%d", strconv.Itoa(s.rep.problems[i]), 1))
}

type buttonRef struct {
	msg  int
	data string
}

// button finds a callback button whose label contains one of labels on a
// bot message after msgID.
func (s *seeder) button(chatID int64, after int, labels ...string) (buttonRef, bool) {
	var found buttonRef
	ok := s.wait("a "+strings.Join(labels, "/")+" button", func() bool {
		for _, e := range s.tg.Transcript(chatID) {
			m := e.Message
			if !e.FromBot || m.ID <= after || m.ReplyMarkup == nil {
				continue
			}
			for _, row := range m.ReplyMarkup.InlineKeyboard {
				for _, b := range row {
					if b.CallbackData != "" && slices.ContainsFunc(labels, func(l string) bool { return strings.Contains(b.Text, l) }) {
						found = buttonRef{msg: m.ID, data: b.CallbackData}
						return true
					}
				}
			}
		}
		return false
	})
	return found, ok
}

var problemRef = regexp.MustCompile(`#(\d+)`)

func problemNumber(text string) int {
	if m := problemRef.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// atExpect moves the clock like at and waits for the scheduler to post
// something in v, such as the reminder the move made due. The jump runs
// due jobs itself, but one the scheduler's loop took first may still be
// sending.
func (s *seeder) atExpect(day calendar.Date, hhmm string, v ChatInfo, what string) {
	last := 0
	if t := s.tg.Transcript(v.ID); len(t) > 0 {
		last = t[len(t)-1].Message.ID
	}
	s.at(day, hhmm)
	s.wait(what+" in "+v.Short, func() bool {
		t := s.tg.Transcript(v.ID)
		return len(t) > 0 && t[len(t)-1].FromBot && t[len(t)-1].Message.ID > last
	})
}

func (s *seeder) has(feature string) bool { return s.menu[feature] }

// at moves the fake clock to day at "HH:MM" in the deployment's zone.
func (s *seeder) at(day calendar.Date, hhmm string) {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	s.p.Jump(s.ctx, day.Time(s.loc).Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute))
}

func (s *seeder) say(c models.Chat, who Person, text string) {
	s.do(func() { s.tg.SendText(c, who.User, text) })
}

// do runs a user action and waits until the bot has handled it: the
// poller confirms updates only after handling them, so nothing pending
// means done.
func (s *seeder) do(act func()) {
	act()
	s.wait("the bot to handle the update", func() bool { return s.tg.Pending() == 0 })
}

// wait polls cond for up to a few seconds. Seeding is best effort: on a
// timeout it logs and carries on.
func (s *seeder) wait(what string, cond func() bool) bool {
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) || s.ctx.Err() != nil {
			s.log.Warn("playground: seeding went on without " + what)
			return false
		}
		select {
		case <-s.ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

func chat(c ChatInfo) models.Chat {
	return models.Chat{ID: c.ID, Type: models.ChatTypeSupergroup, Title: c.Title}
}

func private(p Person) models.Chat {
	return models.Chat{ID: p.User.ID, Type: models.ChatTypePrivate, FirstName: p.User.FirstName}
}

// project runs the /project dialog in 谢家坞村 as a cadre does: the name
// with the command, then a reply to each question, 李强 as the lead, a
// budget and three milestones. The first is due on the history's third
// day, so it slips before "today": the sweep tells the group, and the
// visitor can mark it done as 李强.
func (s *seeder) project(d []calendar.Date) {
	if !s.has(featProject) {
		return
	}
	c := chat(Xiejiawu)
	start := s.lastBot(Xiejiawu.ID)
	s.say(c, Wang, "/project 儿童公园停车场扩建")
	s.answer(Xiejiawu, Wang, start, "的简介", "在村儿童公园北侧扩建 40 个停车位，解决周末游客停车难，腾出公园门口道路")
	if b, ok := s.button(Xiejiawu.ID, start, Li.User.FirstName); ok {
		s.do(func() { s.tg.Press(c, Wang.User, b.msg, b.data) })
	}
	s.answer(Xiejiawu, Wang, start, "请直接回复预算", "30万元（村集体经济）")
	later := func(days int) string { return d[len(d)-1].AddDays(days).String() }
	s.answer(Xiejiawu, Wang, start, "请直接回复节点",
		d[2].String()+" 完成选址和设计方案\n"+later(10)+" 完成地面硬化\n"+later(30)+" 投入使用")
	if b, ok := s.button(Xiejiawu.ID, start, "下一步"); ok {
		s.do(func() { s.tg.Press(c, Wang.User, b.msg, b.data) })
	}
	if b, ok := s.button(Xiejiawu.ID, start, "确认创建"); ok {
		s.do(func() { s.tg.Press(c, Wang.User, b.msg, b.data) })
	}
	s.wait("the project's number", func() bool {
		for _, e := range s.tg.Transcript(Xiejiawu.ID) {
			if m := projectRef.FindStringSubmatch(e.Message.Text); e.FromBot && m != nil {
				s.rep.project, _ = strconv.Atoi(m[1])
				return true
			}
		}
		return false
	})
}

var projectRef = regexp.MustCompile(`已创建项目 P(\d+)`)

// progress posts a progress note on the seeded project, with a photo.
func (s *seeder) progress(v ChatInfo, who Person, format string, photo []byte) {
	if s.rep.project == 0 {
		return
	}
	text := strings.Replace(format, "%d", strconv.Itoa(s.rep.project), 1)
	s.do(func() { s.tg.SendPhoto(chat(v), who.User, photo, text) })
}

// lastBot is the id of the latest message in a chat, 0 when none.
func (s *seeder) lastBot(chatID int64) int {
	t := s.tg.Transcript(chatID)
	if len(t) == 0 {
		return 0
	}
	return t[len(t)-1].Message.ID
}

// answer replies to the bot's latest question after message after that
// contains prompt, as a user answers a ForceReply prompt.
func (s *seeder) answer(v ChatInfo, who Person, after int, prompt, text string) {
	var q int
	s.wait("the question "+prompt, func() bool {
		for _, e := range s.tg.Transcript(v.ID) {
			if e.FromBot && e.Message.ID > after && strings.Contains(e.Message.Text, prompt) {
				q = e.Message.ID
			}
		}
		return q != 0
	})
	if q != 0 {
		s.do(func() { s.tg.SendText(chat(v), who.User, text, telegramtest.ReplyTo(q)) })
	}
}
