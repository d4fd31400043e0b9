package telegramtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/go-telegram/bot/models"
)

// AddMembers posts a new_chat_members service message. Adding the bot
// itself brings it back into a group it was removed from, with the
// my_chat_member update Telegram sends first.
func (s *Server) AddMembers(chat models.Chat, by models.User, users ...models.User) *models.Message {
	c := s.reg.ensure(chat)
	s.reg.noteUser(by)
	for _, u := range users {
		if u.ID != s.cfg.bot.ID {
			s.reg.noteUser(u)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.join(by.ID)
	for _, u := range users {
		if u.ID != s.cfg.bot.ID {
			c.join(u.ID)
			continue
		}
		if old := c.bot; old == StatusKicked || old == StatusLeft {
			c.bot = StatusMember
			s.enqueue(s.myChatMember(c, by, old, StatusMember))
		}
	}
	m := &models.Message{From: &by, NewChatMembers: append([]models.User(nil), users...)}
	e := c.add(s, m, false)
	if c.receives() {
		s.enqueue(models.Update{Message: m})
	}
	s.emit(c, EventMessage, e)
	cp := *m
	return &cp
}

// RemoveMember posts a left_chat_member service message: user left on their
// own when by == user, otherwise by removed them (status "kicked" in
// supergroups, "left" in basic groups). Removing the bot behaves like KickBot.
func (s *Server) RemoveMember(chat models.Chat, by, user models.User) *models.Message {
	c := s.reg.ensure(chat)
	s.reg.noteUser(by)
	c.mu.Lock()
	defer c.mu.Unlock()
	if user.ID == s.cfg.bot.ID {
		return s.botLeaves(c, by, StatusKicked)
	}
	s.reg.noteUser(user)
	st := StatusLeft
	if by.ID != user.ID && c.info.Type == models.ChatTypeSupergroup {
		st = StatusKicked
	}
	c.members[user.ID] = st
	m := &models.Message{From: &by, LeftChatMember: &user}
	e := c.add(s, m, false)
	if c.receives() {
		s.enqueue(models.Update{Message: m})
	}
	s.emit(c, EventMessage, e)
	cp := *m
	return &cp
}

// MigrateOpt adjusts how a group's upgrade to a supergroup is announced.
type MigrateOpt func(*migrateOpts)

type migrateOpts struct {
	anonymous bool
	newFirst  bool
}

// Anonymously announces the upgrade as made by an anonymous group admin:
// each service message comes from GroupAnonymousBot with sender_chat set
// to the chat it is posted in.
func Anonymously() MigrateOpt { return func(o *migrateOpts) { o.anonymous = true } }

// NewChatFirst delivers the new supergroup's migrate_from_chat_id message
// before the old chat's migrate_to_chat_id one. Telegram promises no order.
func NewChatFirst() MigrateOpt { return func(o *migrateOpts) { o.newFirst = true } }

// Migration is a group's upgrade to a supergroup whose two service
// messages the bot may not have received yet (BeginMigrate).
type Migration struct {
	// Chat is the new supergroup.
	Chat models.Chat

	s          *Server
	newFirst   bool
	old, new   *models.Update // nil when the bot is not in the chat
	oldO, newO sync.Once
}

// Announce delivers both service messages to the bot, the old chat's
// first unless NewChatFirst was given. Each is delivered once, whichever
// of Announce, AnnounceOld and AnnounceNew asks first.
func (m *Migration) Announce() {
	if m.newFirst {
		m.AnnounceNew()
		m.AnnounceOld()
		return
	}
	m.AnnounceOld()
	m.AnnounceNew()
}

// AnnounceOld delivers the old chat's migrate_to_chat_id message.
func (m *Migration) AnnounceOld() { m.deliver(&m.oldO, m.old) }

// AnnounceNew delivers the new chat's migrate_from_chat_id message.
func (m *Migration) AnnounceNew() { m.deliver(&m.newO, m.new) }

func (m *Migration) deliver(once *sync.Once, u *models.Update) {
	once.Do(func() {
		if u != nil {
			m.s.enqueue(*u)
		}
	})
}

// Migrate upgrades a group to a supergroup with id newID and delivers the
// two service messages at once: the old chat gets a migrate_to_chat_id
// message, the new one a migrate_from_chat_id message, members carry over,
// and later calls to the old id answer 400 with
// parameters.migrate_to_chat_id (tgbot.MigrateError in go-telegram/bot).
func (s *Server) Migrate(old models.Chat, newID int64, opts ...MigrateOpt) models.Chat {
	m := s.BeginMigrate(old, newID, opts...)
	m.Announce()
	return m.Chat
}

// BeginMigrate upgrades a group like Migrate, but the bot receives the two
// service messages only when the test calls Announce (or AnnounceOld and
// AnnounceNew, in the order it needs) on the result. The
// messages are in both transcripts already and the supergroup works, so
// what people post there meanwhile reaches the bot before the
// announcements, as happens with Telegram, which orders updates of
// different chats in no particular way.
func (s *Server) BeginMigrate(old models.Chat, newID int64, opts ...MigrateOpt) *Migration {
	var o migrateOpts
	for _, f := range opts {
		f(&o)
	}
	oc := s.mustChat(old.ID)
	if newID >= 0 || newID == old.ID {
		panic(fmt.Sprintf("telegramtest: Migrate: bad new chat id %d", newID))
	}
	mig := &Migration{s: s}
	announce := func(c *chat, m *models.Message) *models.Message {
		if o.anonymous {
			from, sc := groupAnonymousBot, c.info
			m.From, m.SenderChat = &from, &sc
		}
		return m
	}
	oc.mu.Lock()
	actor := s.actor(oc)
	members := make(map[int64]string, len(oc.members))
	for k, v := range oc.members {
		members[k] = v
	}
	botStatus, title := oc.bot, oc.info.Title
	m1 := announce(oc, &models.Message{From: &actor, MigrateToChatID: newID})
	receives := oc.receives()
	e1 := oc.add(s, m1, false)
	oc.migratedTo = newID
	var u1 *models.Update
	if receives {
		u1 = &models.Update{Message: m1}
	}
	s.emit(oc, EventMessage, e1)
	oc.mu.Unlock()

	nc := s.reg.ensure(models.Chat{ID: newID, Type: models.ChatTypeSupergroup, Title: title})
	nc.mu.Lock()
	defer nc.mu.Unlock()
	for k, v := range members {
		if _, ok := nc.members[k]; !ok {
			nc.members[k] = v
		}
	}
	nc.bot = botStatus
	m2 := announce(nc, &models.Message{From: &actor, MigrateFromChatID: old.ID})
	e2 := nc.add(s, m2, false)
	var u2 *models.Update
	if nc.receives() {
		u2 = &models.Update{Message: m2}
	}
	s.emit(nc, EventMessage, e2)
	mig.Chat, mig.old, mig.new, mig.newFirst = nc.info, u1, u2, o.newFirst
	return mig
}

// BlockBot makes user userID block the bot: sends answer 403 and the bot gets
// a my_chat_member update, as with the real API.
func (s *Server) BlockBot(userID int64) {
	u, ok := s.reg.user(userID)
	if !ok {
		u = models.User{ID: userID, FirstName: "user" + strconv.FormatInt(userID, 10)}
	}
	c := s.reg.ensure(privateInfo(u))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocked {
		return
	}
	c.blocked = true
	s.enqueue(s.myChatMember(c, u, StatusMember, StatusKicked))
}

// SetMember sets a user's status in a chat explicitly; userID may be the
// bot's own id (e.g. StatusAdministrator to allow deleting others' messages).
func (s *Server) SetMember(chatID, userID int64, status string) {
	c := s.mustChat(chatID)
	if _, ok := s.reg.user(userID); !ok && userID != s.cfg.bot.ID {
		s.reg.noteUser(models.User{ID: userID, FirstName: "user" + strconv.FormatInt(userID, 10)})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if userID == s.cfg.bot.ID {
		// Telegram tells the bot when its own status changes in a group.
		if old := c.bot; old != status && c.info.Type != models.ChatTypePrivate {
			c.bot = status
			if c.receives() {
				s.enqueue(s.myChatMember(c, s.actor(c), old, status))
			}
			return
		}
		c.bot = status
		return
	}
	c.members[userID] = status
}

// KickBot removes the bot from a group: every later call about the chat
// answers 403, and the bot receives a my_chat_member update.
func (s *Server) KickBot(chatID int64) {
	c := s.mustChat(chatID)
	c.mu.Lock()
	defer c.mu.Unlock()
	s.botLeaves(c, s.actor(c), StatusKicked)
}

// botLeaves records the bot leaving or being removed. Caller holds c.mu.
// The service message stays in the transcript but is not delivered: the bot
// is no longer there to receive it.
func (s *Server) botLeaves(c *chat, by models.User, status string) *models.Message {
	old := c.bot
	c.bot = status
	if old == StatusKicked || old == StatusLeft {
		return nil
	}
	s.enqueue(s.myChatMember(c, by, old, status))
	bot := s.cfg.bot
	m := &models.Message{From: &by, LeftChatMember: &bot}
	e := c.add(s, m, false)
	s.emit(c, EventMessage, e)
	cp := *m
	return &cp
}

// actor picks who Telegram would name as the author of an admin action.
func (s *Server) actor(c *chat) models.User {
	var best int64
	bestRank := 2 // 0 creator, 1 administrator, 2 nobody suitable
	for id, st := range c.members {
		rank := 2
		switch st {
		case StatusCreator:
			rank = 0
		case StatusAdministrator:
			rank = 1
		}
		// Lowest id wins ties so the choice does not depend on map order.
		if rank < 2 && (rank < bestRank || rank == bestRank && id < best) {
			best, bestRank = id, rank
		}
	}
	if bestRank < 2 {
		return s.userOrStub(best)
	}
	return groupAnonymousBot
}

func (s *Server) myChatMember(c *chat, by models.User, old, new string) models.Update {
	return models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat: c.info, From: by, Date: s.now(),
		OldChatMember: memberObj(old, s.cfg.bot), NewChatMember: memberObj(new, s.cfg.bot),
	}}
}

func memberObj(status string, u models.User) models.ChatMember {
	switch status {
	case StatusCreator:
		return models.ChatMember{Type: models.ChatMemberTypeOwner, Owner: &models.ChatMemberOwner{User: &u}}
	case StatusAdministrator:
		return models.ChatMember{Type: models.ChatMemberTypeAdministrator, Administrator: &models.ChatMemberAdministrator{
			User: u, CanManageChat: true, CanDeleteMessages: true, CanRestrictMembers: true,
			CanInviteUsers: true, CanPinMessages: true, CanChangeInfo: true, CanManageVideoChats: true,
		}}
	case StatusRestricted:
		return models.ChatMember{Type: models.ChatMemberTypeRestricted, Restricted: &models.ChatMemberRestricted{User: &u, IsMember: true}}
	case StatusLeft:
		return models.ChatMember{Type: models.ChatMemberTypeLeft, Left: &models.ChatMemberLeft{User: &u}}
	case StatusKicked:
		return models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{User: &u}}
	}
	return models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &u}}
}

func (s *Server) userOrStub(id int64) models.User {
	if id == s.cfg.bot.ID {
		return s.cfg.bot
	}
	if u, ok := s.reg.user(id); ok {
		return u
	}
	return models.User{ID: id, FirstName: "user" + strconv.FormatInt(id, 10)}
}

func mGetChat(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.withChat(q, func(c *chat) (any, *apiError) {
		i := c.info
		return &models.ChatFullInfo{
			ID: i.ID, Type: i.Type, Title: i.Title, Username: i.Username, IsForum: i.IsForum,
			FirstName: i.FirstName, LastName: i.LastName, MaxReactionCount: 11,
		}, nil
	})
}

func mGetChatMember(s *Server, _ *http.Request, q *request) (any, *apiError) {
	uid, ok, err := q.int64("user_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("user_id is empty")
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		u, known := s.reg.user(uid)
		if uid == s.cfg.bot.ID {
			u, known = s.cfg.bot, true
		}
		if !known {
			return nil, badRequest("user not found")
		}
		m := memberObj(c.status(s, uid), u)
		return &m, nil
	})
}

func mGetChatAdministrators(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.withChat(q, func(c *chat) (any, *apiError) {
		if c.info.Type == models.ChatTypePrivate {
			return nil, badRequest("there are no administrators in the private chat")
		}
		var ids []int64
		for id, st := range c.members {
			if st == StatusCreator || st == StatusAdministrator {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool {
			ci, cj := c.members[ids[i]] == StatusCreator, c.members[ids[j]] == StatusCreator
			if ci != cj {
				return ci
			}
			return ids[i] < ids[j]
		})
		out := make([]models.ChatMember, 0, len(ids)+1)
		for _, id := range ids {
			out = append(out, memberObj(c.members[id], s.userOrStub(id)))
		}
		if c.botAdmin() {
			out = append(out, memberObj(c.bot, s.cfg.bot))
		}
		return out, nil
	})
}

func mGetChatMemberCount(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.withChat(q, func(c *chat) (any, *apiError) {
		if c.info.Type == models.ChatTypePrivate {
			return 2, nil
		}
		n := 1
		for _, st := range c.members {
			if st != StatusLeft && st != StatusKicked {
				n++
			}
		}
		return n, nil
	})
}

func mLeaveChat(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.withChat(q, func(c *chat) (any, *apiError) {
		if c.info.Type == models.ChatTypePrivate {
			return nil, badRequest("chat member status can't be changed in private chats")
		}
		s.botLeaves(c, s.cfg.bot, StatusLeft)
		return true, nil
	})
}
