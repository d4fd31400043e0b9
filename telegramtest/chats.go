package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Member statuses accepted by SetMember, as Telegram spells them.
const (
	StatusCreator       = "creator"
	StatusAdministrator = "administrator"
	StatusMember        = "member"
	StatusRestricted    = "restricted"
	StatusLeft          = "left"
	StatusKicked        = "kicked"
)

// Placeholder senders Telegram itself uses for messages without a real user.
var (
	groupAnonymousBot = models.User{ID: 1087968824, IsBot: true, FirstName: "Group", Username: "GroupAnonymousBot"}
	channelBot        = models.User{ID: 136817688, IsBot: true, FirstName: "Channel", Username: "Channel_Bot"}
)

// registry maps ids to chats. Each chat has its own lock so traffic in one
// group never waits for another. The registry, queue, recorder, hub, limiter
// and callback locks are leaves: code may take them while holding a chat
// lock, never the other way round.
type registry struct {
	mu     sync.RWMutex
	chats  map[int64]*chat
	byName map[string]*chat
	users  map[int64]models.User
}

func (r *registry) init() {
	r.chats = map[int64]*chat{}
	r.byName = map[string]*chat{}
	r.users = map[int64]models.User{}
}

func (r *registry) get(id int64) *chat {
	r.mu.RLock()
	c := r.chats[id]
	r.mu.RUnlock()
	return c
}

func (r *registry) ensure(info models.Chat) *chat {
	if c := r.get(info.ID); c != nil {
		return c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.chats[info.ID]; c != nil {
		return c
	}
	c := &chat{info: info, bot: StatusMember, members: map[int64]string{}, byID: map[int]*entry{}}
	r.chats[info.ID] = c
	if info.Username != "" {
		r.byName[strings.ToLower(info.Username)] = c
	}
	return c
}

func (r *registry) noteUser(u models.User) {
	r.mu.RLock()
	old, ok := r.users[u.ID]
	r.mu.RUnlock()
	if ok && old == u {
		return
	}
	r.mu.Lock()
	r.users[u.ID] = u
	r.mu.Unlock()
}

func (r *registry) user(id int64) (models.User, bool) {
	r.mu.RLock()
	u, ok := r.users[id]
	r.mu.RUnlock()
	return u, ok
}

type chat struct {
	mu   sync.Mutex
	info models.Chat

	started, blocked bool // private chats
	bot              string
	lastBot          int64 // the bot that posted last in a group (privacy mode)
	migratedTo       int64
	members          map[int64]string
	topics           map[int]*models.Message // forums: topic id -> its first message

	nextID int
	msgs   []*entry
	byID   map[int]*entry

	win            window // accepted sends in the last minute
	maxSec, maxMin int
}

// entry is one message in a chat's transcript. msg is replaced, never
// mutated, so pointers handed out earlier stay valid and race-free.
type entry struct {
	msg       *models.Message
	fromBot   bool
	deleted   bool
	reactions []models.ReactionType
	userReact map[int64][]models.ReactionType
	callbacks []Callback
	keyboard  *models.ReplyKeyboardMarkup
	force     *models.ForceReply
}

func (c *chat) kind() string {
	if c.info.Type == models.ChatTypeSupergroup {
		return "supergroup"
	}
	return string(c.info.Type)
}

// access is the check Telegram applies before anything that targets a chat.
func (c *chat) access() *apiError {
	if c.migratedTo != 0 {
		e := badRequest("group chat was upgraded to a supergroup chat")
		e.migrateTo = c.migratedTo
		return e
	}
	if c.info.Type == models.ChatTypePrivate {
		switch {
		case c.blocked:
			return forbidden("bot was blocked by the user")
		case !c.started:
			return forbidden("bot can't initiate conversation with a user")
		}
		return nil
	}
	switch c.bot {
	case StatusKicked:
		return forbidden("bot was kicked from the " + c.kind() + " chat")
	case StatusLeft:
		return forbidden("bot is not a member of the " + c.kind() + " chat")
	}
	return nil
}

// receives reports whether the bot gets updates from this chat at all.
func (c *chat) receives() bool {
	if c.info.Type == models.ChatTypePrivate {
		return !c.blocked
	}
	return c.migratedTo == 0 && c.bot != StatusKicked && c.bot != StatusLeft
}

func (c *chat) botAdmin() bool { return c.bot == StatusAdministrator || c.bot == StatusCreator }

func (c *chat) status(s *Server, uid int64) string {
	if uid == s.cfg.bot.ID {
		return c.bot
	}
	if c.info.Type == models.ChatTypePrivate && uid == c.info.ID {
		return StatusMember
	}
	if st, ok := c.members[uid]; ok {
		return st
	}
	return StatusLeft
}

func (c *chat) join(uid int64) {
	switch c.members[uid] {
	case "", StatusLeft, StatusKicked:
		c.members[uid] = StatusMember
	}
}

// add appends m with the next message id. Caller holds c.mu.
func (c *chat) add(s *Server, m *models.Message, fromBot bool) *entry {
	c.nextID++
	m.ID = c.nextID
	m.Chat = c.info
	if m.Date == 0 {
		m.Date = s.now()
	}
	e := &entry{msg: m, fromBot: fromBot}
	switch {
	case fromBot:
		c.lastBot = s.cfg.bot.ID
	case m.From != nil && m.From.IsBot && m.From.ID != groupAnonymousBot.ID && m.From.ID != channelBot.ID:
		c.lastBot = m.From.ID
	}
	c.msgs = append(c.msgs, e)
	c.byID[m.ID] = e
	if n := s.transcriptCap(); n > 0 && len(c.msgs) > n+n/4 {
		drop := len(c.msgs) - n
		for _, old := range c.msgs[:drop] {
			delete(c.byID, old.msg.ID)
		}
		c.msgs = append([]*entry(nil), c.msgs[drop:]...)
	}
	return e
}

func (c *chat) live(id int) *entry {
	if e := c.byID[id]; e != nil && !e.deleted {
		return e
	}
	return nil
}

func (c *chat) instance() string { return strconv.FormatUint(uint64(c.info.ID)*2654435761, 10) }

func (s *Server) transcriptCap() int {
	if s.cfg.recordLimit <= 0 {
		return 0
	}
	return max(s.cfg.recordLimit, 1000)
}

// resolveChat finds the chat named by a chat_id field the way Telegram does.
func (s *Server) resolveChat(q *request, field string) (*chat, *apiError) {
	v := strings.TrimSpace(q.str(field))
	if v == "" {
		return nil, badRequest("%s is empty", field)
	}
	if v[0] == '@' {
		s.reg.mu.RLock()
		c := s.reg.byName[strings.ToLower(v[1:])]
		s.reg.mu.RUnlock()
		if c == nil {
			return nil, badRequest("chat not found")
		}
		return c, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	c := s.reg.get(id)
	if c == nil {
		if id > 0 {
			return nil, forbidden("bot can't initiate conversation with a user")
		}
		return nil, badRequest("chat not found")
	}
	return c, nil
}

func (s *Server) mustChat(id int64) *chat {
	c := s.reg.get(id)
	if c == nil {
		panic(fmt.Sprintf("telegramtest: unknown chat %d; register it with Group or Private first", id))
	}
	return c
}

// Group registers (or returns) a supergroup. id must be negative.
func (s *Server) Group(id int64, title string) models.Chat {
	return s.group(id, title, models.ChatTypeSupergroup)
}

// BasicGroup registers (or returns) a legacy "group" chat, the kind that
// Migrate turns into a supergroup.
func (s *Server) BasicGroup(id int64, title string) models.Chat {
	return s.group(id, title, models.ChatTypeGroup)
}

func (s *Server) group(id int64, title string, t models.ChatType) models.Chat {
	if id >= 0 {
		panic(fmt.Sprintf("telegramtest: group chat ids are negative, got %d", id))
	}
	return s.reg.ensure(models.Chat{ID: id, Type: t, Title: title}).info
}

// Private registers a user and returns their private chat with the bot. The
// bot still cannot write there until the user starts it.
func (s *Server) Private(u models.User) models.Chat {
	s.reg.noteUser(u)
	return s.reg.ensure(privateInfo(u)).info
}

func privateInfo(u models.User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// Chat returns a registered chat.
func (s *Server) Chat(id int64) (models.Chat, bool) {
	if c := s.reg.get(id); c != nil {
		return c.info, true
	}
	return models.Chat{}, false
}

// StartPrivate marks that u pressed Start, so the bot may write to them.
func (s *Server) StartPrivate(u models.User) {
	c := s.reg.ensure(privateInfo(u))
	s.reg.noteUser(u)
	c.mu.Lock()
	c.started, c.blocked = true, false
	c.mu.Unlock()
}

// withChat runs fn under the lock of the chat named by chat_id after the
// access check every chat method shares.
func (s *Server) withChat(q *request, fn func(c *chat) (any, *apiError)) (any, *apiError) {
	c, err := s.resolveChat(q, "chat_id")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.access(); err != nil {
		return nil, err
	}
	return fn(c)
}
