package telegramtest

import (
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
	json "github.com/goccy/go-json"
)

type method struct {
	name string
	fn   func(s *Server, r *http.Request, q *request) (any, *apiError)
}

// methods is keyed by canonical and lower-case name: Telegram matches method
// names case-insensitively.
var methods = func() map[string]*method {
	list := []method{
		{"getMe", mGetMe},
		{"getUpdates", mGetUpdates},
		{"setWebhook", mSetWebhook},
		{"deleteWebhook", mDeleteWebhook},
		{"getWebhookInfo", mGetWebhookInfo},
		{"sendMessage", mSendMessage},
		{"sendPhoto", mSendPhoto},
		{"sendDocument", mSendDocument},
		{"sendMediaGroup", mSendMediaGroup},
		{"sendLocation", mSendLocation},
		{"sendChatAction", mSendChatAction},
		{"editMessageText", mEditMessageText},
		{"editMessageCaption", mEditMessageCaption},
		{"editMessageReplyMarkup", mEditMessageReplyMarkup},
		{"deleteMessage", mDeleteMessage},
		{"deleteMessages", mDeleteMessages},
		{"setMessageReaction", mSetMessageReaction},
		{"answerCallbackQuery", mAnswerCallbackQuery},
		{"setMyCommands", mSetMyCommands},
		{"getMyCommands", mGetMyCommands},
		{"deleteMyCommands", mDeleteMyCommands},
		{"getChat", mGetChat},
		{"getChatMember", mGetChatMember},
		{"getChatAdministrators", mGetChatAdministrators},
		{"getChatMemberCount", mGetChatMemberCount},
		{"leaveChat", mLeaveChat},
		{"getFile", mGetFile},
	}
	m := make(map[string]*method, 2*len(list))
	for i := range list {
		// The canonical spelling is what clients send; indexing it too
		// spares a ToLower allocation on every call.
		m[list[i].name] = &list[i]
		m[strings.ToLower(list[i].name)] = &list[i]
	}
	return m
}()

func lookupMethod(name string) *method {
	if m, ok := methods[name]; ok {
		return m
	}
	return methods[strings.ToLower(name)]
}

func mGetMe(s *Server, _ *http.Request, _ *request) (any, *apiError) {
	u := s.cfg.bot
	u.CanReadAllGroupMessages = !s.cfg.privacy
	return &u, nil
}

// callbackStore maps callback query ids to the message they were pressed on.
type callbackStore struct {
	mu  sync.Mutex
	seq uint64
	m   map[string]*callbackRef
}

type callbackRef struct {
	chatID int64
	msgID  int
	cb     Callback
}

func mAnswerCallbackQuery(s *Server, _ *http.Request, q *request) (any, *apiError) {
	id := q.str("callback_query_id")
	text := q.str("text")
	if utf8.RuneCountInString(text) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.cbs.mu.Lock()
	ref := s.cbs.m[id]
	if ref == nil || ref.cb.Answered {
		s.cbs.mu.Unlock()
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	ref.cb.Answered, ref.cb.Text, ref.cb.ShowAlert, ref.cb.URL = true, text, q.flag("show_alert"), q.str("url")
	cb := ref.cb
	s.cbs.mu.Unlock()

	if c := s.reg.get(ref.chatID); c != nil {
		c.mu.Lock()
		if e := c.byID[ref.msgID]; e != nil {
			for i := range e.callbacks {
				if e.callbacks[i].ID == id {
					e.callbacks[i] = cb
				}
			}
			s.emitEntry(c, EventAnswer, e, &cb)
		}
		c.mu.Unlock()
	}
	return true, nil
}

// CallbackAnswer reports a pressed callback query and the bot's answer, if
// any.
func (s *Server) CallbackAnswer(queryID string) (Callback, bool) {
	s.cbs.mu.Lock()
	defer s.cbs.mu.Unlock()
	if ref := s.cbs.m[queryID]; ref != nil {
		return ref.cb, true
	}
	return Callback{}, false
}

// commandStore keeps command lists per scope and language, like Telegram:
// getMyCommands only returns an exact scope+language match.
type commandStore struct {
	mu sync.Mutex
	m  map[string][]models.BotCommand
}

// scopeKey turns a BotCommandScope JSON object into the key format that
// Commands accepts: "default", "all_private_chats", "all_group_chats",
// "all_chat_administrators", "chat:<id>", "chat_administrators:<id>",
// "chat_member:<chat>:<user>".
func scopeKey(raw string) (string, *apiError) {
	if raw == "" {
		return "default", nil
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID json.Number     `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		return "", badRequest("can't parse BotCommandScope JSON object")
	}
	chatID := strings.Trim(string(sc.ChatID), `"`)
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return sc.Type, nil
	case "chat", "chat_administrators":
		if chatID == "" {
			return "", badRequest("chat_id is empty")
		}
		return sc.Type + ":" + chatID, nil
	case "chat_member":
		if chatID == "" || sc.UserID == "" {
			return "", badRequest("chat_id or user_id is empty")
		}
		return sc.Type + ":" + chatID + ":" + string(sc.UserID), nil
	}
	return "", badRequest("unsupported bot command scope type")
}

func commandKey(q *request) (string, *apiError) {
	scope, err := scopeKey(q.str("scope"))
	if err != nil {
		return "", err
	}
	return scope + "|" + q.str("language_code"), nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

func mSetMyCommands(s *Server, _ *http.Request, q *request) (any, *apiError) {
	var cmds []models.BotCommand
	ok, jerr := q.json("commands", &cmds)
	if jerr != nil {
		return nil, badRequest("can't parse commands JSON array")
	}
	if !ok {
		return nil, badRequest("parameter \"commands\" is required")
	}
	if len(cmds) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, err := commandKey(q)
	if err != nil {
		return nil, err
	}
	s.cmds.mu.Lock()
	if len(cmds) == 0 {
		delete(s.cmds.m, key)
	} else {
		s.cmds.m[key] = cmds
	}
	s.cmds.mu.Unlock()
	return true, nil
}

func mGetMyCommands(s *Server, _ *http.Request, q *request) (any, *apiError) {
	key, err := commandKey(q)
	if err != nil {
		return nil, err
	}
	s.cmds.mu.Lock()
	cmds := append([]models.BotCommand{}, s.cmds.m[key]...)
	s.cmds.mu.Unlock()
	return cmds, nil
}

func mDeleteMyCommands(s *Server, _ *http.Request, q *request) (any, *apiError) {
	key, err := commandKey(q)
	if err != nil {
		return nil, err
	}
	s.cmds.mu.Lock()
	delete(s.cmds.m, key)
	s.cmds.mu.Unlock()
	return true, nil
}

// Commands returns what setMyCommands stored for a scope and language code
// ("" for all languages). Scope keys: "default" (or ""), "all_private_chats",
// "all_group_chats", "all_chat_administrators", "chat:<id>",
// "chat_administrators:<id>", "chat_member:<chat id>:<user id>".
func (s *Server) Commands(scope, lang string) []models.BotCommand {
	if scope == "" {
		scope = "default"
	}
	s.cmds.mu.Lock()
	defer s.cmds.mu.Unlock()
	return append([]models.BotCommand(nil), s.cmds.m[scope+"|"+lang]...)
}
