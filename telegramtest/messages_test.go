package telegramtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestGetMe(t *testing.T) {
	s := startServer(t)
	b := newClient(t, s)
	me, err := b.GetMe(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 100000 || !me.IsBot || me.Username != "cadrebot_bot" || me.FirstName != "cadrebot" {
		t.Fatalf("getMe = %+v", me)
	}
	if got := s.Tokens(); len(got) != 1 || got[0] != testToken {
		t.Fatalf("tokens = %v", got)
	}
}

func TestSendMessageHTML(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1001, "Village")
	b := newClient(t, s)
	m, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{
		ChatID:    g.ID,
		Text:      `<b>报告</b> 1 &lt; 2 <a href="https://x.example/?a=1&amp;b=2">link</a> 😀<i>i</i>`,
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 1 || m.Chat.ID != g.ID || m.From == nil || m.From.ID != 100000 {
		t.Fatalf("message = %+v", m)
	}
	if want := "报告 1 < 2 link 😀i"; m.Text != want {
		t.Fatalf("text = %q, want %q", m.Text, want)
	}
	// 😀 takes two UTF-16 units, so the italic entity starts at 16, not 15.
	want := []models.MessageEntity{
		{Type: "bold", Offset: 0, Length: 2},
		{Type: "text_link", Offset: 9, Length: 4, URL: "https://x.example/?a=1&b=2"},
		{Type: "italic", Offset: 16, Length: 1},
	}
	if len(m.Entities) != len(want) {
		t.Fatalf("entities = %+v", m.Entities)
	}
	for i := range want {
		if m.Entities[i] != want[i] {
			t.Fatalf("entity %d = %+v, want %+v", i, m.Entities[i], want[i])
		}
	}
	if got := HTML(m.Text, m.Entities); got != `<b>报告</b> 1 &lt; 2 <a href="https://x.example/?a=1&amp;b=2">link</a> 😀<i>i</i>` {
		t.Fatalf("HTML = %s", got)
	}
	m2, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: chatID(g.ID), Text: "second", ReplyParameters: &models.ReplyParameters{MessageID: m.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if m2.ID != 2 || m2.ReplyToMessage == nil || m2.ReplyToMessage.ID != 1 {
		t.Fatalf("reply = %+v", m2)
	}
	if sent := s.Sent(g.ID); len(sent) != 2 || sent[1].Text != "second" {
		t.Fatalf("Sent = %+v", sent)
	}
	call := s.CallsTo("sendMessage")[0]
	if call.Params["parse_mode"] != "HTML" || call.ChatID() != g.ID || call.Message().ID != 1 {
		t.Fatalf("call = %+v", call)
	}
}

func TestTextValidation(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1002, "G")
	b := newClient(t, s)
	send := func(text string, html bool) error {
		p := &tgbot.SendMessageParams{ChatID: g.ID, Text: text}
		if html {
			p.ParseMode = models.ParseModeHTML
		}
		_, err := b.SendMessage(ctx(t), p)
		return err
	}
	long := strings.Repeat("字", 4096)
	if err := send(long, false); err != nil {
		t.Fatalf("4096 chars: %v", err)
	}
	if err := send("<b>"+long+"</b>", true); err != nil {
		t.Fatalf("4096 chars plus tags: %v", err)
	}
	err := send(long+"x", false)
	if !errors.Is(err, tgbot.ErrorBadRequest) || !strings.Contains(err.Error(), "message is too long") {
		t.Fatalf("4097 chars: %v", err)
	}
	for _, bad := range []string{"<b>unclosed", "1 < 2", "a <br> b", "<b><i>x</b></i>", "</b>", `<span>x</span>`, "user <script>"} {
		err := send(bad, true)
		if !errors.Is(err, tgbot.ErrorBadRequest) || !strings.Contains(err.Error(), "can't parse entities") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	for _, ok := range []string{"1 &lt; 2 &amp; 3 &gt; 2 &quot;q&quot; &#128512; AT&T", `<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>`, `<pre><code class="language-go">x := 1</code></pre>`, "<blockquote expandable>q</blockquote><u>u</u><s>s</s><del>d</del><ins>i</ins><em>e</em><strong>s</strong><strike>x</strike>"} {
		if err := send(ok, true); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if err := send("1 < 2", false); err != nil {
		t.Fatalf("plain text needs no escaping: %v", err)
	}
	if err := send("  ", false); err == nil || !strings.Contains(err.Error(), "message text is empty") {
		t.Fatalf("empty: %v", err)
	}
	bad := s.CallsTo("sendMessage")
	if last := bad[len(bad)-1]; last.Status != 400 || last.Err != "Bad Request: message text is empty" {
		t.Fatalf("recorded = %+v", last)
	}
}

func TestInlineKeyboardPressAndAnswer(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1003, "G")
	answered := make(chan string, 1)
	b := newClient(t, s)
	b.RegisterHandler(tgbot.HandlerTypeCallbackQueryData, "vote:", tgbot.MatchTypePrefix, func(ctx context.Context, b *tgbot.Bot, u *models.Update) {
		cq := u.CallbackQuery
		if cq.Message.Message == nil || cq.Message.Message.Chat.ID != g.ID {
			t.Errorf("callback message = %+v", cq.Message)
		}
		_, err := b.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: "收到 " + cq.Data})
		if err != nil {
			t.Errorf("answer: %v", err)
		}
		answered <- cq.ID
	})
	runBot(t, b)

	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: "Yes", CallbackData: "vote:yes"}, {Text: "No", CallbackData: "vote:no"},
	}}}
	m, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "Vote?", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "vote:no" {
		t.Fatalf("markup = %+v", m.ReplyMarkup)
	}
	id, err := s.PressButton(g, alice, m.ID, "Yes")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-answered:
		if got != id {
			t.Fatalf("answered %s, pressed %s", got, id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("callback never answered")
	}
	cb, ok := s.CallbackAnswer(id)
	if !ok || !cb.Answered || cb.Text != "收到 vote:yes" || cb.From.ID != alice.ID {
		t.Fatalf("callback = %+v", cb)
	}
	if _, err := b.AnswerCallbackQuery(ctx(t), &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id}); err == nil {
		t.Fatal("answering twice should fail")
	}
	tr := s.Transcript(g.ID)
	if len(tr) != 1 || len(tr[0].Callbacks) != 1 || !tr[0].Callbacks[0].Answered {
		t.Fatalf("transcript = %+v", tr)
	}

	long := strings.Repeat("x", 65)
	_, err = b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{
		InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "t", CallbackData: long}}},
	}})
	if err == nil || !strings.Contains(err.Error(), "BUTTON_DATA_INVALID") {
		t.Fatalf("65-byte callback data: %v", err)
	}
}

// Mini App buttons: a private chat and an https address only, as Telegram.
func TestWebAppButtons(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1006, "G")
	s.StartPrivate(alice)
	b := newClient(t, s)
	send := func(chat int64, url string) error {
		_, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: chat, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{
			InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "看板", WebApp: &models.WebAppInfo{URL: url}}}},
		}})
		return err
	}
	if err := send(alice.ID, "https://dash.example.org/dash"); err != nil {
		t.Errorf("https Mini App button in a private chat: %v", err)
	}
	if err := send(g.ID, "https://dash.example.org/dash"); err == nil || !strings.Contains(err.Error(), "BUTTON_TYPE_INVALID") {
		t.Errorf("Mini App button in a group: %v, want BUTTON_TYPE_INVALID", err)
	}
	if err := send(alice.ID, "http://127.0.0.1:8080/dash"); err == nil || !strings.Contains(err.Error(), "Only HTTPS links are allowed") {
		t.Errorf("http Mini App button: %v, want refused", err)
	}
}

func TestEditDeleteReact(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1004, "G")
	b := newClient(t, s)
	c := ctx(t)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "A", CallbackData: "a"}}}}
	m, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "v1", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	e, err := b.EditMessageText(c, &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: m.ID, Text: "<b>v2</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	if e.Text != "v2" || e.EditDate == 0 || e.ReplyMarkup == nil {
		t.Fatalf("edited = %+v", e)
	}
	_, err = b.EditMessageText(c, &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: m.ID, Text: "<b>v2</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	if err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("same edit: %v", err)
	}
	if _, err := b.EditMessageReplyMarkup(c, &tgbot.EditMessageReplyMarkupParams{ChatID: g.ID, MessageID: m.ID}); err != nil {
		t.Fatal(err)
	}
	if got := s.Sent(g.ID)[0]; got.Text != "v2" || got.ReplyMarkup != nil {
		t.Fatalf("after edits: %+v", got)
	}
	if _, err := b.EditMessageText(c, &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: 99, Text: "x"}); err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Fatalf("missing: %v", err)
	}

	ok, err := b.SetMessageReaction(c, &tgbot.SetMessageReactionParams{ChatID: g.ID, MessageID: m.ID, Reaction: []models.ReactionType{
		{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "👍"}},
	}})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r := s.Reactions(g.ID, m.ID); len(r) != 1 || r[0].ReactionTypeEmoji.Emoji != "👍" {
		t.Fatalf("reactions = %+v", r)
	}
	_, err = b.SetMessageReaction(c, &tgbot.SetMessageReactionParams{ChatID: g.ID, MessageID: m.ID, Reaction: []models.ReactionType{
		{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "✅"}},
	}})
	if err == nil || !strings.Contains(err.Error(), "REACTION_INVALID") {
		t.Fatalf("✅ reaction: %v", err)
	}

	user := s.SendText(g, alice, "hello")
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: user.ID}); err == nil || !strings.Contains(err.Error(), "message can't be deleted") {
		t.Fatalf("deleting a user message without admin rights: %v", err)
	}
	s.SetMember(g.ID, s.Bot().ID, StatusAdministrator)
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: user.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: m.ID}); err != nil {
		t.Fatal(err)
	}
	if len(s.Sent(g.ID)) != 0 || len(s.Transcript(g.ID)) != 0 {
		t.Fatalf("after delete: %+v", s.Transcript(g.ID))
	}
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: m.ID}); err == nil || !strings.Contains(err.Error(), "message to delete not found") {
		t.Fatalf("double delete: %v", err)
	}
}

func TestPhotoUploadAndDownload(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1005, "G")
	b := newClient(t, s)
	c := ctx(t)
	m, err := b.SendPhoto(c, &tgbot.SendPhotoParams{
		ChatID:  g.ID,
		Photo:   &models.InputFileUpload{Filename: "chart.jpg", Data: bytes.NewReader(SamplePhoto)},
		Caption: "<b>周报</b>", ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Photo) != 2 || m.Caption != "周报" || len(m.CaptionEntities) != 1 {
		t.Fatalf("photo message = %+v", m)
	}
	full := m.Photo[len(m.Photo)-1]
	if full.Width != 64 || full.Height != 48 || m.Photo[0].Width > 90 {
		t.Fatalf("sizes = %+v", m.Photo)
	}
	call := s.CallsTo("sendPhoto")[0]
	if f := call.Files["photo"]; f.Name != "chart.jpg" || f.MIME != "image/jpeg" || !bytes.Equal(f.Data, SamplePhoto) || f.ID != full.FileID {
		t.Fatalf("recorded file = %+v", f)
	}
	download := func(fileID string) []byte {
		f, err := b.GetFile(c, &tgbot.GetFileParams{FileID: fileID})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(b.FileDownloadLink(f))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || int64(len(data)) != f.FileSize {
			t.Fatalf("download status %d, %d bytes, size %d", resp.StatusCode, len(data), f.FileSize)
		}
		return data
	}
	if !bytes.Equal(download(full.FileID), SamplePhoto) {
		t.Fatal("downloaded bytes differ")
	}
	again, err := b.SendPhoto(c, &tgbot.SendPhotoParams{ChatID: g.ID, Photo: &models.InputFileString{Data: full.FileID}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Photo[len(again.Photo)-1].FileID != full.FileID {
		t.Fatal("resending by file_id must reuse the file")
	}
	if _, err := b.SendPhoto(c, &tgbot.SendPhotoParams{ChatID: g.ID, Photo: &models.InputFileString{Data: "nope"}}); err == nil {
		t.Fatal("unknown file_id accepted")
	}

	// A user's document arrives as an update and can be fetched by the bot.
	xlsx := []byte("PK\x03\x04 fake spreadsheet")
	um := s.SendDocument(g, alice, "村报表.xlsx", xlsx, "/report")
	if um.Document.MimeType != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || um.CaptionEntities[0].Type != "bot_command" {
		t.Fatalf("document = %+v", um)
	}
	if !bytes.Equal(download(um.Document.FileID), xlsx) {
		t.Fatal("document bytes differ")
	}
	up := s.SendPhoto(g, alice, nil, "看")
	if !bytes.Equal(download(up.Photo[len(up.Photo)-1].FileID), SamplePhoto) {
		t.Fatal("user photo bytes differ")
	}
	d, err := b.SendDocument(c, &tgbot.SendDocumentParams{ChatID: g.ID, Document: &models.InputFileUpload{Filename: "r.csv", Data: strings.NewReader("a,b\n")}})
	if err != nil || d.Document.FileName != "r.csv" || d.Document.MimeType != "text/csv" || d.Document.FileSize != 4 {
		t.Fatalf("sendDocument = %+v, %v", d, err)
	}
}

func TestMediaGroupAndLocation(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1006, "G")
	b := newClient(t, s)
	c := ctx(t)
	msgs, err := b.SendMediaGroup(c, &tgbot.SendMediaGroupParams{ChatID: g.ID, Media: []models.InputMedia{
		&models.InputMediaPhoto{Media: "attach://a.jpg", MediaAttachment: bytes.NewReader(SamplePhoto), Caption: "one"},
		&models.InputMediaPhoto{Media: "attach://b.jpg", MediaAttachment: bytes.NewReader(SamplePhoto)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].MediaGroupID == "" || msgs[0].MediaGroupID != msgs[1].MediaGroupID || msgs[1].ID != msgs[0].ID+1 || msgs[0].Caption != "one" {
		t.Fatalf("album = %+v", msgs)
	}
	loc, err := b.SendLocation(c, &tgbot.SendLocationParams{ChatID: g.ID, Latitude: 30.5, Longitude: 114.3})
	if err != nil || loc.Location == nil || loc.Location.Latitude != 30.5 {
		t.Fatalf("location = %+v %v", loc, err)
	}
	if ok, err := b.SendChatAction(c, &tgbot.SendChatActionParams{ChatID: g.ID, Action: models.ChatActionTyping}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	um := s.SendLocation(g, alice, 30.1, 114.2)
	if um.Location.Longitude != 114.2 || um.From.ID != alice.ID {
		t.Fatalf("user location = %+v", um)
	}
}

func TestCommandsPerLanguageAndScope(t *testing.T) {
	s := startServer(t)
	b := newClient(t, s)
	c := ctx(t)
	en := []models.BotCommand{{Command: "report", Description: "Submit a report"}}
	zh := []models.BotCommand{{Command: "report", Description: "提交报告"}, {Command: "help", Description: "帮助"}}
	if _, err := b.SetMyCommands(c, &tgbot.SetMyCommandsParams{Commands: en}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetMyCommands(c, &tgbot.SetMyCommandsParams{Commands: zh, LanguageCode: "zh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetMyCommands(c, &tgbot.SetMyCommandsParams{Commands: en, Scope: &models.BotCommandScopeAllGroupChats{}, LanguageCode: "zh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetMyCommands(c, &tgbot.SetMyCommandsParams{Commands: en, Scope: &models.BotCommandScopeChat{ChatID: -1007}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Commands("", "zh"); len(got) != 2 || got[0].Description != "提交报告" {
		t.Fatalf("zh = %+v", got)
	}
	if got := s.Commands("default", ""); len(got) != 1 || got[0].Description != "Submit a report" {
		t.Fatalf("default = %+v", got)
	}
	if got := s.Commands("all_group_chats", "zh"); len(got) != 1 {
		t.Fatalf("group zh = %+v", got)
	}
	if got := s.Commands("chat:-1007", ""); len(got) != 1 {
		t.Fatalf("chat scope = %+v", got)
	}
	got, err := b.GetMyCommands(c, &tgbot.GetMyCommandsParams{LanguageCode: "zh"})
	if err != nil || len(got) != 2 {
		t.Fatalf("getMyCommands zh = %+v %v", got, err)
	}
	got, err = b.GetMyCommands(c, &tgbot.GetMyCommandsParams{LanguageCode: "fr"})
	if err != nil || len(got) != 0 {
		t.Fatalf("getMyCommands fr = %+v %v", got, err)
	}
	if _, err := b.DeleteMyCommands(c, &tgbot.DeleteMyCommandsParams{LanguageCode: "zh"}); err != nil || len(s.Commands("", "zh")) != 0 {
		t.Fatalf("delete: %v", err)
	}
	_, err = b.SetMyCommands(c, &tgbot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Report", Description: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Fatalf("upper-case command: %v", err)
	}
}

func TestUnknownMethodAndTransports(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1008, "G")
	if env := rawCall(t, s, "sendSticker2", nil); env.OK || env.ErrorCode != 404 || env.Description != "Not Found: method not found" {
		t.Fatalf("unknown method = %+v", env)
	}
	resp, err := http.Post(s.URL+"/bot"+testToken+"/sendMessage", "application/json",
		strings.NewReader(`{"chat_id":-1008,"text":"json body","reply_markup":{"inline_keyboard":[[{"text":"k","callback_data":"d"}]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("json status %d", resp.StatusCode)
	}
	resp, err = http.Get(s.URL + "/bot" + testToken + "/SENDMESSAGE?chat_id=-1008&text=query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sent := s.Sent(g.ID)
	if len(sent) != 2 || sent[0].ReplyMarkup == nil || sent[1].Text != "query" {
		t.Fatalf("sent = %+v", sent)
	}
	if calls := s.CallsTo("sendMessage"); len(calls) != 2 || calls[1].Method != "sendMessage" {
		t.Fatalf("calls = %+v", calls)
	}
	if env := rawCall(t, s, "sendMessage", map[string][]string{"chat_id": {"-999"}, "text": {"x"}}); env.ErrorCode != 400 || env.Description != "Bad Request: chat not found" {
		t.Fatalf("unknown group = %+v", env)
	}
}

// A force_reply prompt is kept on the transcript entry, where tests check
// that a question asked for a reply; an edit cannot attach one.
func TestForceReplyRecorded(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1001, "Village")
	b := newClient(t, s)
	m, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "请描述问题",
		ReplyMarkup: &models.ForceReply{ForceReply: true, Selective: true, InputFieldPlaceholder: "问题描述"}})
	if err != nil {
		t.Fatal(err)
	}
	fr := s.ForceReply(g.ID, m.ID)
	if fr == nil || !fr.Selective || fr.InputFieldPlaceholder != "问题描述" {
		t.Fatalf("ForceReply(%d) = %+v, want a selective prompt with its placeholder", m.ID, fr)
	}
	if tr := s.Transcript(g.ID); len(tr) != 1 || tr[0].ForceReply == nil {
		t.Fatalf("transcript = %+v, want the prompt's force_reply", tr)
	}
	plain, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if fr := s.ForceReply(g.ID, plain.ID); fr != nil {
		t.Errorf("ForceReply of a plain message = %+v, want nil", fr)
	}
	_, err = b.EditMessageText(ctx(t), &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: plain.ID, Text: "edited",
		ReplyMarkup: &models.ForceReply{ForceReply: true}})
	if err == nil || !strings.Contains(err.Error(), "inline keyboard expected") {
		t.Errorf("edit with force_reply: err = %v, want inline keyboard expected", err)
	}
	long := strings.Repeat("字", 65)
	_, err = b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "x",
		ReplyMarkup: &models.ForceReply{ForceReply: true, InputFieldPlaceholder: long}})
	if err == nil {
		t.Errorf("a 65-character placeholder was accepted")
	}
}
