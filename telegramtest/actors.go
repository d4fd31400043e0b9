package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

type msgOpts struct {
	replyTo    int
	caption    *string
	entities   []models.MessageEntity
	at         time.Time
	thread     int
	mediaGroup string
	keepStatus bool
}

// MsgOpt adjusts a message a simulated user sends.
type MsgOpt func(*msgOpts)

// ReplyTo makes the message a reply to msgID in the same chat.
func ReplyTo(msgID int) MsgOpt { return func(o *msgOpts) { o.replyTo = msgID } }

// Caption sets the caption of a photo or document message.
func Caption(text string) MsgOpt { return func(o *msgOpts) { o.caption = &text } }

// Entities adds entities (to the caption for media messages).
func Entities(e ...models.MessageEntity) MsgOpt {
	return func(o *msgOpts) { o.entities = append(o.entities, e...) }
}

// At overrides the message date.
func At(t time.Time) MsgOpt { return func(o *msgOpts) { o.at = t } }

// Thread posts the message in a forum topic: id is what CreateTopic
// returned. The message gets message_thread_id, is_topic_message and, unless
// it replies to something else, reply_to_message = the topic's first
// message, as Telegram sends it.
func Thread(id int) MsgOpt { return func(o *msgOpts) { o.thread = id } }

// MediaGroup marks the message as part of an album.
func MediaGroup(id string) MsgOpt { return func(o *msgOpts) { o.mediaGroup = id } }

// KeepStatus posts in a group without making the sender a member of it:
// their status stays what SetMember made it ("left" by default). Telegram
// lets only members post, but a sender who left (or was removed) right
// after posting looks the same to a bot that asks getChatMember then, so
// tests use it to check that the bot asks rather than trusts that whoever
// posts is a member.
func KeepStatus() MsgOpt { return func(o *msgOpts) { o.keepStatus = true } }

// userPost stores a message from someone other than the bot and queues the
// update the bot would receive for it.
func (s *Server) userPost(chat models.Chat, m *models.Message, opts []MsgOpt) *models.Message {
	var o msgOpts
	for _, f := range opts {
		f(&o)
	}
	if o.caption != nil {
		m.Caption = *o.caption
		m.CaptionEntities = commandEntity(m.Caption)
	}
	if len(o.entities) > 0 {
		if m.Text != "" {
			m.Entities = append(m.Entities, o.entities...)
		} else {
			m.CaptionEntities = append(m.CaptionEntities, o.entities...)
		}
	}
	if !o.at.IsZero() {
		m.Date = int(o.at.Unix())
	}
	m.MediaGroupID = o.mediaGroup
	c := s.reg.ensure(chat)
	if u := m.From; u != nil && u.ID != groupAnonymousBot.ID && u.ID != channelBot.ID {
		s.reg.noteUser(*u)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var reply *models.Message
	if o.replyTo != 0 {
		e := c.byID[o.replyTo]
		if e == nil {
			panic(fmt.Sprintf("telegramtest: ReplyTo(%d): no such message in chat %d", o.replyTo, c.info.ID))
		}
		reply = e.msg
		m.ReplyToMessage = replyCopy(e.msg)
	}
	c.placeUserMessage(m, o.thread, reply)
	c.noteSender(s, m, o.keepStatus)
	e := c.add(s, m, false)
	if c.receives() && s.visible(c, m) {
		s.enqueue(models.Update{Message: m})
	}
	s.emit(c, EventMessage, e)
	cp := *m
	return &cp
}

// noteSender applies what a user's message implies: membership in groups
// (unless keep, see KeepStatus), and in a private chat that the user has
// started (and unblocked) the bot. Caller holds c.mu.
func (c *chat) noteSender(s *Server, m *models.Message, keep bool) {
	u := m.From
	if u == nil || m.SenderChat != nil {
		return
	}
	switch {
	case c.info.Type != models.ChatTypePrivate:
		if !keep {
			c.join(u.ID)
		}
	case u.ID == c.info.ID:
		if c.blocked {
			c.blocked = false
			s.enqueue(s.myChatMember(c, *u, StatusKicked, StatusMember))
		}
		c.started = true
	}
}

// visible applies group privacy mode (WithPrivacyMode) as Telegram does
// for a bot that is not an administrator of the group: it receives
//   - service messages;
//   - commands addressed to it (/cmd@this_bot);
//   - other commands (/cmd) only while it is the last bot that posted in
//     the group (or no bot has posted yet);
//   - replies to its own messages (a ForceReply prompt's answer).
//
// Plain text, photos and locations are not delivered, and neither is a
// plain @mention. The caller holds c.mu and has already added m.
func (s *Server) visible(c *chat, m *models.Message) bool {
	if !s.cfg.privacy || c.info.Type == models.ChatTypePrivate || c.botAdmin() {
		return true
	}
	if m.NewChatMembers != nil || m.LeftChatMember != nil || m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 ||
		m.ForumTopicCreated != nil || m.PinnedMessage != nil || m.NewChatTitle != "" {
		return true
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == s.cfg.bot.ID &&
		!(m.IsTopicMessage && r.ID == m.MessageThreadID) {
		return true
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	for _, e := range ents {
		if e.Type != models.MessageEntityTypeBotCommand || e.Offset != 0 {
			continue
		}
		word := text[:min(len(text), e.Length)]
		if _, at, ok := strings.Cut(word, "@"); ok {
			return strings.EqualFold(at, s.cfg.bot.Username)
		}
		return c.lastBot == 0 || c.lastBot == s.cfg.bot.ID
	}
	return false
}

// SendText posts text from a user. A leading "/cmd" or "/cmd@bot" gets a
// bot_command entity as Telegram clients add it.
func (s *Server) SendText(chat models.Chat, from models.User, text string, opts ...MsgOpt) *models.Message {
	return s.userPost(chat, &models.Message{From: &from, Text: text, Entities: commandEntity(text)}, opts)
}

// SendAsBot posts text from another bot account, which a bot usually has to
// ignore.
func (s *Server) SendAsBot(chat models.Chat, bot models.User, text string, opts ...MsgOpt) *models.Message {
	bot.IsBot = true
	return s.SendText(chat, bot, text, opts...)
}

// FromChannel posts text on behalf of a channel (sender_chat set, from the
// Channel_Bot placeholder), as happens in discussion groups.
func (s *Server) FromChannel(chat, channel models.Chat, text string, opts ...MsgOpt) *models.Message {
	from := channelBot
	return s.userPost(chat, &models.Message{From: &from, SenderChat: &channel, Text: text, Entities: commandEntity(text)}, opts)
}

// AnonymousAdmin posts text as an anonymous group admin (sender_chat is the
// group itself, from is GroupAnonymousBot).
func (s *Server) AnonymousAdmin(chat models.Chat, text string, opts ...MsgOpt) *models.Message {
	from, sc := groupAnonymousBot, chat
	return s.userPost(chat, &models.Message{From: &from, SenderChat: &sc, Text: text, Entities: commandEntity(text)}, opts)
}

// SendPhoto posts a photo from a user; nil data uses SamplePhoto. Commands in
// the caption get caption_entities.
func (s *Server) SendPhoto(chat models.Chat, from models.User, data []byte, caption string, opts ...MsgOpt) *models.Message {
	if data == nil {
		data = SamplePhoto
	}
	f := s.files.put(&File{Name: "photo.jpg", MIME: "image/jpeg", Data: data}, "photos")
	m := &models.Message{From: &from, Photo: s.photoSizes(f), Caption: caption, CaptionEntities: commandEntity(caption)}
	return s.userPost(chat, m, opts)
}

// SendDocument posts a file from a user (e.g. a spreadsheet report).
func (s *Server) SendDocument(chat models.Chat, from models.User, name string, data []byte, caption string, opts ...MsgOpt) *models.Message {
	f := s.files.put(&File{Name: name, Data: data}, "documents")
	m := &models.Message{From: &from, Document: documentOf(f), Caption: caption, CaptionEntities: commandEntity(caption)}
	return s.userPost(chat, m, opts)
}

// SendLocation posts a location from a user.
func (s *Server) SendLocation(chat models.Chat, from models.User, lat, lon float64, opts ...MsgOpt) *models.Message {
	return s.userPost(chat, &models.Message{From: &from, Location: &models.Location{Latitude: lat, Longitude: lon}}, opts)
}

// SendRaw posts an arbitrary message; message_id, chat and (if zero) date
// are filled in.
func (s *Server) SendRaw(chat models.Chat, m models.Message, opts ...MsgOpt) *models.Message {
	return s.userPost(chat, &m, opts)
}

// EditText edits a user's earlier text message and queues edited_message.
func (s *Server) EditText(chat models.Chat, msgID int, text string) *models.Message {
	c := s.mustChat(chat.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.live(msgID)
	if e == nil || e.fromBot {
		panic(fmt.Sprintf("telegramtest: EditText: no user message %d in chat %d", msgID, chat.ID))
	}
	cp := *e.msg
	cp.Text, cp.Entities, cp.EditDate = text, commandEntity(text), s.now()
	e.msg = &cp
	if c.receives() && s.visible(c, &cp) {
		s.enqueue(models.Update{EditedMessage: &cp})
	}
	s.emit(c, EventEdit, e)
	out := cp
	return &out
}

// Press simulates from tapping an inline button with callback data on the
// bot's message botMsgID and returns the callback query id. The data is not
// checked against the keyboard, so stale or forged presses can be tested.
func (s *Server) Press(chat models.Chat, from models.User, botMsgID int, data string) string {
	c := s.mustChat(chat.ID)
	s.reg.noteUser(from)
	s.cbs.mu.Lock()
	s.cbs.seq++
	id := strconv.FormatUint(uint64(from.ID)<<24^s.cbs.seq, 10)
	s.cbs.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	cq := &models.CallbackQuery{ID: id, From: from, ChatInstance: c.instance(), Data: data}
	e := c.live(botMsgID)
	if e != nil {
		m := *e.msg
		cq.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &m}
	} else {
		cq.Message = models.MaybeInaccessibleMessage{
			Type:                models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: c.info, MessageID: botMsgID},
		}
	}
	cb := Callback{ID: id, From: from, Data: data}
	s.cbs.mu.Lock()
	s.cbs.m[id] = &callbackRef{chatID: c.info.ID, msgID: botMsgID, cb: cb}
	s.cbs.mu.Unlock()
	if c.receives() {
		s.enqueue(models.Update{CallbackQuery: cq})
	}
	if e != nil {
		e.callbacks = append(e.callbacks, cb)
		s.emitEntry(c, EventCallback, e, &cb)
	}
	return id
}

// PressButton presses the callback button labelled text on the bot's
// message, as a user tapping it in the playground would.
func (s *Server) PressButton(chat models.Chat, from models.User, botMsgID int, text string) (string, error) {
	m, ok := s.Message(chat.ID, botMsgID)
	if !ok || m.ReplyMarkup == nil {
		return "", fmt.Errorf("telegramtest: message %d in chat %d has no inline keyboard", botMsgID, chat.ID)
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.Text == text && b.CallbackData != "" {
				return s.Press(chat, from, botMsgID, b.CallbackData), nil
			}
		}
	}
	return "", fmt.Errorf("telegramtest: no callback button %q on message %d", text, botMsgID)
}

// React sets from's reaction on a message and queues message_reaction, which
// the bot only receives if it asked for it in allowed_updates.
func (s *Server) React(chat models.Chat, from models.User, msgID int, emoji ...string) {
	c := s.mustChat(chat.ID)
	s.reg.noteUser(from)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.live(msgID)
	if e == nil {
		panic(fmt.Sprintf("telegramtest: React: no message %d in chat %d", msgID, chat.ID))
	}
	next := make([]models.ReactionType, 0, len(emoji))
	for _, em := range emoji {
		next = append(next, models.ReactionType{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: em}})
	}
	if e.userReact == nil {
		e.userReact = map[int64][]models.ReactionType{}
	}
	old := e.userReact[from.ID]
	e.userReact[from.ID] = next
	if c.receives() {
		s.enqueue(models.Update{MessageReaction: &models.MessageReactionUpdated{
			Chat: c.info, MessageID: msgID, User: &from, Date: s.now(),
			OldReaction: append([]models.ReactionType{}, old...), NewReaction: next,
		}})
	}
	s.emit(c, EventReaction, e)
}
