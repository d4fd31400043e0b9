package telegramtest

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/go-telegram/bot/models"
)

var mediaGroupSeq atomic.Int64

// botSend is the part every send method shares: access check, reply target
// and flood limits, then build appends the messages, all under the chat lock
// so message ids, transcript order and rate windows agree.
func (s *Server) botSend(q *request, weight int, build func(c *chat, reply *models.Message) []*entry) ([]*models.Message, *apiError) {
	c, err := s.resolveChat(q, "chat_id")
	if err != nil {
		return nil, err
	}
	thread, _, err := q.int("message_thread_id")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.access(); err != nil {
		return nil, err
	}
	reply, err := replyTarget(c, q)
	if err != nil {
		return nil, err
	}
	topic, root, err := c.botThread(thread, reply)
	if err != nil {
		return nil, err
	}
	if err := s.admit(c, weight); err != nil {
		return nil, err
	}
	entries := build(c, reply)
	out := make([]*models.Message, len(entries))
	for i, e := range entries {
		c.placeBotMessage(e.msg, topic, root, reply)
		out[i] = e.msg
		s.emit(c, EventMessage, e)
	}
	return out, nil
}

func (s *Server) botMessage(reply *models.Message) *models.Message {
	bot := s.cfg.bot
	return &models.Message{From: &bot, ReplyToMessage: reply}
}

func mSendMessage(s *Server, _ *http.Request, q *request) (any, *apiError) {
	text, ents, err := formatText(q, "text", "entities", maxTextLen, true)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(q)
	if err != nil {
		return nil, err
	}
	msgs, err := s.botSend(q, 1, func(c *chat, reply *models.Message) []*entry {
		m := s.botMessage(reply)
		m.Text, m.Entities, m.ReplyMarkup = text, ents, mk.inline
		e := c.add(s, m, true)
		e.keyboard, e.force = mk.reply, mk.force
		return []*entry{e}
	})
	if err != nil {
		return nil, err
	}
	return msgs[0], nil
}

func mSendPhoto(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.sendMedia(q, "photo", "photos", func(m *models.Message, f *File) {
		m.Photo = s.photoSizes(f)
		m.HasMediaSpoiler = q.flag("has_spoiler")
		m.ShowCaptionAboveMedia = q.flag("show_caption_above_media")
	})
}

func mSendDocument(s *Server, _ *http.Request, q *request) (any, *apiError) {
	return s.sendMedia(q, "document", "documents", func(m *models.Message, f *File) {
		m.Document = documentOf(f)
	})
}

func documentOf(f *File) *models.Document {
	return &models.Document{FileID: f.ID, FileUniqueID: f.UniqueID, FileName: f.Name, MimeType: f.MIME, FileSize: int64(len(f.Data))}
}

func (s *Server) sendMedia(q *request, field, kind string, fill func(*models.Message, *File)) (any, *apiError) {
	caption, cents, err := formatText(q, "caption", "caption_entities", maxCaptionLen, false)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(q)
	if err != nil {
		return nil, err
	}
	f, err := s.inputFile(q, field, kind)
	if err != nil {
		return nil, err
	}
	msgs, err := s.botSend(q, 1, func(c *chat, reply *models.Message) []*entry {
		m := s.botMessage(reply)
		m.Caption, m.CaptionEntities, m.ReplyMarkup = caption, cents, mk.inline
		fill(m, f)
		e := c.add(s, m, true)
		e.keyboard, e.force = mk.reply, mk.force
		return []*entry{e}
	})
	if err != nil {
		return nil, err
	}
	return msgs[0], nil
}

type inputMedia struct {
	Type            string                 `json:"type"`
	Media           string                 `json:"media"`
	Caption         string                 `json:"caption"`
	ParseMode       string                 `json:"parse_mode"`
	CaptionEntities []models.MessageEntity `json:"caption_entities"`
	HasSpoiler      bool                   `json:"has_spoiler"`
}

func mSendMediaGroup(s *Server, _ *http.Request, q *request) (any, *apiError) {
	var media []inputMedia
	ok, jerr := q.json("media", &media)
	if jerr != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if !ok {
		return nil, badRequest("parameter \"media\" is required")
	}
	if len(media) < 2 || len(media) > 10 {
		return nil, badRequest("media must include 2-10 items")
	}
	type item struct {
		in      inputMedia
		file    *File
		caption string
		ents    []models.MessageEntity
	}
	items := make([]item, len(media))
	docs := 0
	for i, in := range media {
		sub := &request{params: map[string]string{"caption": in.Caption, "parse_mode": in.ParseMode}}
		caption, ents, err := formatText(sub, "caption", "", maxCaptionLen, false)
		if err != nil {
			return nil, err
		}
		if in.ParseMode == "" {
			ents = in.CaptionEntities
		}
		kind := map[string]string{"photo": "photos", "document": "documents", "video": "videos", "audio": "music"}[in.Type]
		if kind == "" {
			return nil, badRequest("unsupported media type \"%s\"", in.Type)
		}
		if in.Type == "document" {
			docs++
		}
		f, err := s.fileRef(q, in.Media, kind)
		if err != nil {
			return nil, err
		}
		items[i] = item{in: in, file: f, caption: caption, ents: ents}
	}
	if docs != 0 && docs != len(items) {
		return nil, badRequest("document can't be mixed with other media types")
	}
	group := strconv.FormatInt(13000000000000000+mediaGroupSeq.Add(1), 10)
	msgs, err := s.botSend(q, len(items), func(c *chat, reply *models.Message) []*entry {
		out := make([]*entry, 0, len(items))
		for _, it := range items {
			m := s.botMessage(reply)
			m.MediaGroupID, m.Caption, m.CaptionEntities = group, it.caption, it.ents
			f := it.file
			switch it.in.Type {
			case "photo":
				m.Photo, m.HasMediaSpoiler = s.photoSizes(f), it.in.HasSpoiler
			case "document":
				m.Document = documentOf(f)
			case "video":
				m.Video = &models.Video{FileID: f.ID, FileUniqueID: f.UniqueID, FileName: f.Name, MimeType: f.MIME, FileSize: int64(len(f.Data)), Width: 1280, Height: 720}
			case "audio":
				m.Audio = &models.Audio{FileID: f.ID, FileUniqueID: f.UniqueID, FileName: f.Name, MimeType: f.MIME, FileSize: int64(len(f.Data))}
			}
			out = append(out, c.add(s, m, true))
		}
		return out
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

func mSendLocation(s *Server, _ *http.Request, q *request) (any, *apiError) {
	lat, err1 := strconv.ParseFloat(q.str("latitude"), 64)
	lon, err2 := strconv.ParseFloat(q.str("longitude"), 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, badRequest("wrong latitude or longitude specified")
	}
	mk, err := parseMarkup(q)
	if err != nil {
		return nil, err
	}
	live, _, err := q.int("live_period")
	if err != nil {
		return nil, err
	}
	msgs, err := s.botSend(q, 1, func(c *chat, reply *models.Message) []*entry {
		m := s.botMessage(reply)
		m.Location, m.ReplyMarkup = &models.Location{Latitude: lat, Longitude: lon, LivePeriod: live}, mk.inline
		e := c.add(s, m, true)
		e.keyboard, e.force = mk.reply, mk.force
		return []*entry{e}
	})
	if err != nil {
		return nil, err
	}
	return msgs[0], nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func mSendChatAction(s *Server, _ *http.Request, q *request) (any, *apiError) {
	action := q.str("action")
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	return s.withChat(q, func(c *chat) (any, *apiError) {
		s.emitEvent(Event{Kind: EventAction, ChatID: c.info.ID, Action: action})
		return true, nil
	})
}
