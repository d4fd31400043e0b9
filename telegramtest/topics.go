package telegramtest

import (
	"fmt"

	"github.com/go-telegram/bot/models"
)

// Forum supergroups and their topics, and reply threads, as Telegram
// shows them to bots:
//
//   - a topic is opened by a forum_topic_created service message; its id is
//     the topic's message_thread_id;
//   - every message in a topic has message_thread_id and is_topic_message,
//     and reply_to_message is the topic's first message unless the author
//     replied to something else;
//   - replying to a message in a topic posts in that topic, with or
//     without message_thread_id;
//   - a send with message_thread_id lands in that topic; one naming
//     anything else (no such topic, a chat that is no forum) fails with
//     400 "message thread not found";
//   - in other supergroups a reply carries the id of its reply thread (the
//     first message of the chain) in message_thread_id, without
//     is_topic_message. It is no topic: sending with it fails as above.

// Forum registers (or returns) a forum supergroup (is_forum). id must be
// negative.
func (s *Server) Forum(id int64, title string) models.Chat {
	if id >= 0 {
		panic(fmt.Sprintf("telegramtest: group chat ids are negative, got %d", id))
	}
	c := s.reg.ensure(models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: title, IsForum: true})
	if !c.info.IsForum {
		panic(fmt.Sprintf("telegramtest: Forum(%d): already registered as a chat without topics", id))
	}
	return c.info
}

// CreateTopic opens a topic in a forum, as user by does in a client. The
// bot receives the forum_topic_created service message; its id, which
// CreateTopic returns, is the topic's message_thread_id (use it with
// Thread).
func (s *Server) CreateTopic(chat models.Chat, by models.User, name string) int {
	c := s.mustChat(chat.ID)
	s.reg.noteUser(by)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.info.IsForum {
		panic(fmt.Sprintf("telegramtest: CreateTopic: chat %d is not a forum", chat.ID))
	}
	c.join(by.ID)
	m := &models.Message{From: &by, ForumTopicCreated: &models.ForumTopicCreated{Name: name, IconColor: 0x6FB9F0}}
	e := c.add(s, m, false)
	m.MessageThreadID, m.IsTopicMessage = m.ID, true
	if c.topics == nil {
		c.topics = map[int]*models.Message{}
	}
	c.topics[m.ID] = replyCopy(m)
	if c.receives() {
		s.enqueue(models.Update{Message: m})
	}
	s.emit(c, EventMessage, e)
	return m.ID
}

// placeUserMessage puts a message someone posts in its topic or reply
// thread. thread is the topic asked for with Thread, reply the message it
// answers (nil for none). A test that names a topic the chat does not
// have is wrong, so it panics. Caller holds c.mu.
func (c *chat) placeUserMessage(m *models.Message, thread int, reply *models.Message) {
	if !c.info.IsForum {
		if thread != 0 {
			panic(fmt.Sprintf("telegramtest: Thread(%d): chat %d is not a forum", thread, c.info.ID))
		}
		c.placeReply(m, reply)
		return
	}
	if thread == 0 && reply != nil && reply.IsTopicMessage {
		thread = reply.MessageThreadID
	}
	if thread == 0 { // the General topic
		c.placeReply(m, reply)
		return
	}
	root := c.topics[thread]
	if root == nil {
		panic(fmt.Sprintf("telegramtest: Thread(%d): no such topic in chat %d", thread, c.info.ID))
	}
	m.MessageThreadID, m.IsTopicMessage = thread, true
	if m.ReplyToMessage == nil {
		m.ReplyToMessage = replyCopy(root)
	}
}

// placeReply gives a reply in a supergroup that is no forum the id of its
// reply thread. Caller holds c.mu.
func (c *chat) placeReply(m *models.Message, reply *models.Message) {
	if reply == nil || c.info.Type != models.ChatTypeSupergroup {
		return
	}
	m.MessageThreadID = reply.MessageThreadID
	if m.MessageThreadID == 0 {
		m.MessageThreadID = reply.ID
	}
}

// botThread checks a send's message_thread_id and works out the topic
// the message goes to (0: none) and that topic's first message. Caller
// holds c.mu.
func (c *chat) botThread(thread int, reply *models.Message) (int, *models.Message, *apiError) {
	if thread != 0 && (!c.info.IsForum || c.topics[thread] == nil) {
		return 0, nil, badRequest("message thread not found")
	}
	if !c.info.IsForum {
		return 0, nil, nil
	}
	if thread == 0 && reply != nil && reply.IsTopicMessage {
		thread = reply.MessageThreadID
	}
	if thread == 0 {
		return 0, nil, nil
	}
	return thread, c.topics[thread], nil
}

// placeBotMessage puts a message the bot sent in its topic (botThread) or
// reply thread. Caller holds c.mu.
func (c *chat) placeBotMessage(m *models.Message, topic int, root, reply *models.Message) {
	if topic == 0 {
		c.placeReply(m, reply)
		return
	}
	m.MessageThreadID, m.IsTopicMessage = topic, true
	if m.ReplyToMessage == nil {
		m.ReplyToMessage = replyCopy(root)
	}
}
