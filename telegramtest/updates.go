package telegramtest

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	json "github.com/goccy/go-json"
)

// queued is an update frozen as JSON when it is queued, so later edits to
// the chat never change what the bot receives and getUpdates only has to
// concatenate bytes.
type queued struct {
	id   int64
	kind string
	raw  []byte
	// chat and msg name the message an update carries, for OnHandOut.
	chat int64
	msg  int
}

// queue holds unconfirmed updates. Telegram forgets an update once a
// getUpdates call asks for a higher offset (or a webhook answered 2xx), and
// so does this queue.
type queue struct {
	mu      sync.Mutex
	next    int64
	pending []queued
	forced  []queued        // Redeliver: handed out once regardless of offset
	wake    chan struct{}   // closed and replaced whenever updates arrive
	poller  chan struct{}   // closed to end the current long poll with 409
	allowed map[string]bool // nil means Telegram's default set
	hist    map[int64]queued
	histIDs []int64
	hook    *hook
}

const historyCap = 4096

func (q *queue) init() {
	q.wake = make(chan struct{})
	q.hist = map[int64]queued{}
}

func (q *queue) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// Telegram leaves these out unless allowed_updates asks for them, which is a
// classic reason for a bot never seeing reactions; the fake does the same.
func (q *queue) wants(kind string) bool {
	if q.allowed == nil {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return q.allowed[kind]
}

func (q *queue) setAllowed(kinds []string) {
	if len(kinds) == 0 {
		q.allowed = nil
		return
	}
	q.allowed = make(map[string]bool, len(kinds))
	for _, k := range kinds {
		q.allowed[k] = true
	}
}

func (q *queue) confirm(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(q.pending) && q.pending[i].id < offset {
			i++
		}
		q.pending = q.pending[i:]
	case offset < 0:
		if n := int(-offset); len(q.pending) > n {
			q.pending = q.pending[len(q.pending)-n:]
		}
	}
}

// dropUnwanted forgets updates the bot did not subscribe to; Telegram never
// stores them in the first place.
func (q *queue) dropUnwanted() {
	j := 0
	for _, it := range q.pending {
		if q.wants(it.kind) {
			q.pending[j] = it
			j++
		}
	}
	clear(q.pending[j:])
	q.pending = q.pending[:j]
}

func (q *queue) collect(limit int) []queued {
	q.dropUnwanted()
	take := min(limit, len(q.forced))
	out := append([]queued(nil), q.forced[:take]...)
	q.forced = q.forced[take:]
	for _, it := range q.pending {
		if len(out) >= limit {
			break
		}
		out = append(out, it)
	}
	return out
}

// enqueue assigns the next update_id and queues u. It may be called with a
// chat lock held, which keeps update order equal to message order.
func (s *Server) enqueue(u models.Update) int64 {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	s.q.next++
	u.ID = s.q.next
	raw, err := json.Marshal(&u)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: cannot encode update: %v", err))
	}
	it := queued{id: u.ID, kind: updateKind(&u), raw: raw}
	if u.Message != nil {
		it.chat, it.msg = u.Message.Chat.ID, u.Message.ID
	}
	s.q.pending = append(s.q.pending, it)
	s.q.hist[it.id] = it
	s.q.histIDs = append(s.q.histIDs, it.id)
	if len(s.q.histIDs) > historyCap*2 {
		for _, id := range s.q.histIDs[:len(s.q.histIDs)-historyCap] {
			delete(s.q.hist, id)
		}
		s.q.histIDs = append([]int64(nil), s.q.histIDs[len(s.q.histIDs)-historyCap:]...)
	}
	s.q.signal()
	return u.ID
}

// Push queues a raw update (its update_id is overwritten) and returns the
// update_id it got. Nothing else in it is changed, but the server learns
// from it as it would from a real one: a message with a message_id is added
// to its chat (so the bot can reply to or delete it) and a callback query id
// becomes answerable.
func (s *Server) Push(u models.Update) int64 {
	if cq := u.CallbackQuery; cq != nil && cq.ID != "" {
		ref := &callbackRef{cb: Callback{ID: cq.ID, From: cq.From, Data: cq.Data}}
		if m := cq.Message.Message; m != nil {
			ref.chatID, ref.msgID = m.Chat.ID, m.ID
		} else if im := cq.Message.InaccessibleMessage; im != nil {
			ref.chatID, ref.msgID = im.Chat.ID, im.MessageID
		}
		s.cbs.mu.Lock()
		if s.cbs.m[cq.ID] == nil {
			s.cbs.m[cq.ID] = ref
		}
		s.cbs.mu.Unlock()
	}
	m := u.Message
	if m == nil || m.ID <= 0 || m.Chat.ID == 0 {
		return s.enqueue(u)
	}
	c := s.reg.ensure(m.Chat)
	if m.From != nil {
		s.reg.noteUser(*m.From)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID[m.ID] == nil {
		cp := *m
		e := &entry{msg: &cp}
		c.msgs = append(c.msgs, e)
		c.byID[cp.ID] = e
		c.nextID = max(c.nextID, cp.ID)
		c.noteSender(s, &cp, false)
		s.emit(c, EventMessage, e)
	}
	return s.enqueue(u)
}

// Redeliver queues an already sent update again with the same update_id,
// like Telegram does when it is unsure the bot got it. The next getUpdates
// returns it even though its id is below the offset; a webhook receives it
// again. It reports false for ids older than the last 4096 updates.
func (s *Server) Redeliver(updateID int64) bool {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	it, ok := s.q.hist[updateID]
	if !ok {
		return false
	}
	s.q.forced = append(s.q.forced, it)
	s.q.signal()
	return true
}

// Pending counts updates not yet confirmed by the bot.
func (s *Server) Pending() int {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	return len(s.q.pending) + len(s.q.forced)
}

var errWebhookActive = &apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}

func mGetUpdates(s *Server, r *http.Request, q *request) (any, *apiError) {
	offset, _, err := q.int64("offset")
	if err != nil {
		return nil, err
	}
	limit, _, err := q.int("limit")
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _, err := q.int("timeout")
	if err != nil {
		return nil, err
	}
	timeout = min(max(timeout, 0), 50)
	var allowed []string
	hasAllowed, jerr := q.json("allowed_updates", &allowed)
	if jerr != nil {
		return nil, badRequest("can't parse allowed_updates JSON array")
	}

	qq := &s.q
	qq.mu.Lock()
	if qq.hook != nil {
		qq.mu.Unlock()
		return nil, errWebhookActive
	}
	if hasAllowed {
		qq.setAllowed(allowed)
	}
	// Only one long poll may be open: a newer one terminates the older, which
	// is how Telegram exposes two bot instances sharing a token.
	if qq.poller != nil {
		close(qq.poller)
	}
	mine := make(chan struct{})
	qq.poller = mine
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		qq.confirm(offset)
		batch := qq.collect(limit)
		if len(batch) > 0 || timeout == 0 {
			if qq.poller == mine {
				qq.poller = nil
			}
			qq.mu.Unlock()
			if h := s.cfg.handOut; h != nil {
				now := time.Now()
				for _, it := range batch {
					if it.msg != 0 {
						h(it.chat, it.msg, now)
					}
				}
			}
			return rawJSON(joinRaw(batch)), nil
		}
		if timer == nil {
			timer = time.NewTimer(time.Duration(timeout) * time.Second)
		}
		wake := qq.wake
		qq.mu.Unlock()
		select {
		case <-wake:
		case <-mine:
			return nil, &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		case <-r.Context().Done():
			timeout = 0
		case <-s.closed:
			timeout = 0
		case <-timer.C:
			timeout = 0
		}
		qq.mu.Lock()
		if qq.hook != nil {
			if qq.poller == mine {
				qq.poller = nil
			}
			qq.mu.Unlock()
			return nil, errWebhookActive
		}
	}
}

func joinRaw(items []queued) []byte {
	n := 2
	for _, it := range items {
		n += len(it.raw) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.raw...)
	}
	return append(b, ']')
}

func updateKind(u *models.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.EditedChannelPost != nil:
		return "edited_channel_post"
	case u.MessageReaction != nil:
		return "message_reaction"
	case u.MessageReactionCount != nil:
		return "message_reaction_count"
	case u.InlineQuery != nil:
		return "inline_query"
	case u.ChosenInlineResult != nil:
		return "chosen_inline_result"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.Poll != nil:
		return "poll"
	case u.PollAnswer != nil:
		return "poll_answer"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	case u.ChatJoinRequest != nil:
		return "chat_join_request"
	case u.BusinessMessage != nil:
		return "business_message"
	case u.ShippingQuery != nil:
		return "shipping_query"
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.ChatBoost != nil:
		return "chat_boost"
	case u.RemovedChatBoost != nil:
		return "removed_chat_boost"
	}
	return "unknown"
}

// TakeUpdates removes and returns every pending update, as a poller that
// fetched them and confirmed them would: a test's stand-in for a bot that
// died after taking updates from Telegram.
func (s *Server) TakeUpdates() []models.Update {
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	s.q.dropUnwanted()
	out := make([]models.Update, 0, len(s.q.pending)+len(s.q.forced))
	for _, it := range append(s.q.forced, s.q.pending...) {
		var u models.Update
		if err := json.Unmarshal(it.raw, &u); err != nil {
			panic(fmt.Sprintf("telegramtest: cannot decode queued update: %v", err))
		}
		out = append(out, u)
	}
	s.q.pending, s.q.forced = nil, nil
	return out
}
