package telegramtest

import (
	"sync"
	"sync/atomic"

	"github.com/go-telegram/bot/models"
)

// Entry is one message of a chat transcript as a user would see it now:
// edits applied, deleted messages gone.
type Entry struct {
	Message       *models.Message
	FromBot       bool
	Reactions     []models.ReactionType       // the bot's reaction on it
	Callbacks     []Callback                  // button presses on it and their answers
	ReplyKeyboard *models.ReplyKeyboardMarkup // reply keyboard sent with it, if any
	// ForceReply is the force_reply markup the bot sent with it, if any:
	// the client opens a reply to it, which reaches a bot in privacy mode.
	ForceReply *models.ForceReply
}

// Callback is a button press (Press) and the bot's answerCallbackQuery.
type Callback struct {
	ID        string
	From      models.User
	Data      string
	Answered  bool
	Text      string
	ShowAlert bool
	URL       string
}

// EventKind says what changed.
type EventKind string

const (
	EventMessage  EventKind = "message"  // new message from a user or the bot
	EventEdit     EventKind = "edit"     // a message was edited
	EventDelete   EventKind = "delete"   // a message was deleted (Entry is its last state)
	EventReaction EventKind = "reaction" // the bot or a user changed a reaction
	EventCallback EventKind = "callback" // a user pressed a button
	EventAnswer   EventKind = "answer"   // the bot answered a callback query
	EventAction   EventKind = "action"   // sendChatAction ("typing", ...)
)

// Event is a change in some chat, for live views.
type Event struct {
	Seq       uint64 // increases by one per event; a gap means events were dropped
	Kind      EventKind
	ChatID    int64
	MessageID int
	Entry     *Entry    // snapshot after the change
	Callback  *Callback // EventCallback, EventAnswer
	Action    string    // EventAction
}

// hub fans events out to subscribers without ever blocking the server: a
// subscriber that falls more than subBuffer events behind loses events (and
// sees a Seq gap) rather than stalling the bot under test.
type hub struct {
	active atomic.Int32
	mu     sync.Mutex
	seq    uint64
	subs   map[chan Event]struct{}
	closed bool
}

const subBuffer = 4096

// Subscribe returns a channel of events and a function to stop receiving.
// The channel is closed by cancel or by Close.
func (s *Server) Subscribe() (<-chan Event, func()) {
	h := &s.hub
	ch := make(chan Event, subBuffer)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[chan Event]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.active.Add(1)
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			if _, ok := h.subs[ch]; ok {
				delete(h.subs, ch)
				h.active.Add(-1)
				close(ch)
			}
			h.mu.Unlock()
		})
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
	h.active.Store(0)
}

func (s *Server) emitEvent(ev Event) {
	h := &s.hub
	if h.active.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev.Seq = h.seq
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// emit publishes a change to entry e. Caller holds c.mu, which keeps events
// of one chat in the order the changes happened.
func (s *Server) emit(c *chat, kind EventKind, e *entry) { s.emitEntry(c, kind, e, nil) }

func (s *Server) emitEntry(c *chat, kind EventKind, e *entry, cb *Callback) {
	if s.hub.active.Load() == 0 {
		return
	}
	snap := e.snapshot()
	s.emitEvent(Event{Kind: kind, ChatID: c.info.ID, MessageID: e.msg.ID, Entry: &snap, Callback: cb})
}

func (e *entry) snapshot() Entry {
	m := *e.msg
	return Entry{
		Message:       &m,
		FromBot:       e.fromBot,
		Reactions:     append([]models.ReactionType(nil), e.reactions...),
		Callbacks:     append([]Callback(nil), e.callbacks...),
		ReplyKeyboard: e.keyboard,
		ForceReply:    e.force,
	}
}

// Transcript returns the chat as users see it: everyone's messages in order,
// edits applied, deleted ones left out.
func (s *Server) Transcript(chatID int64) []Entry {
	c := s.reg.get(chatID)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Entry, 0, len(c.msgs))
	for _, e := range c.msgs {
		if !e.deleted {
			out = append(out, e.snapshot())
		}
	}
	return out
}

// Sent returns the bot's messages currently in a chat (edits applied,
// deleted ones left out), oldest first.
func (s *Server) Sent(chatID int64) []*models.Message {
	c := s.reg.get(chatID)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*models.Message
	for _, e := range c.msgs {
		if e.fromBot && !e.deleted {
			m := *e.msg
			out = append(out, &m)
		}
	}
	return out
}

// SentSince returns the bot's messages in a chat newer than message
// afterID (edits applied, deleted ones left out), oldest first. Unlike
// Sent it reads only the end of a long transcript, so a test may poll it.
func (s *Server) SentSince(chatID int64, afterID int) []*models.Message {
	c := s.reg.get(chatID)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.msgs)
	for i > 0 && c.msgs[i-1].msg.ID > afterID {
		i--
	}
	var out []*models.Message
	for _, e := range c.msgs[i:] {
		if e.fromBot && !e.deleted {
			m := *e.msg
			out = append(out, &m)
		}
	}
	return out
}

// LastMessageID is the id of the newest message in a chat, anyone's, or 0:
// what SentSince then counts from.
func (s *Server) LastMessageID(chatID int64) int {
	c := s.reg.get(chatID)
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		return 0
	}
	return c.msgs[len(c.msgs)-1].msg.ID
}

// Message returns the current state of one message, deleted or not.
func (s *Server) Message(chatID int64, msgID int) (*models.Message, bool) {
	c := s.reg.get(chatID)
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byID[msgID]
	if e == nil {
		return nil, false
	}
	m := *e.msg
	return &m, !e.deleted
}

// ForceReply returns the force_reply markup the bot sent with a message,
// or nil when it asked for no reply.
func (s *Server) ForceReply(chatID int64, msgID int) *models.ForceReply {
	c := s.reg.get(chatID)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[msgID]; e != nil && e.force != nil {
		f := *e.force
		return &f
	}
	return nil
}

// Reactions returns the bot's current reaction on a message.
func (s *Server) Reactions(chatID int64, msgID int) []models.ReactionType {
	c := s.reg.get(chatID)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[msgID]; e != nil {
		return append([]models.ReactionType(nil), e.reactions...)
	}
	return nil
}
