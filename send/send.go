// Package send describes outgoing Telegram messages independently of the
// client library, so handlers and jobs can say what to send while bot/
// decides how (rate limits, retries, the durable outbox).
package send

import (
	"strings"
	"unicode/utf8"
)

// MaxText is Telegram's limit for one message text.
const MaxText = 4096

// MaxCaption is Telegram's limit for a media caption.
const MaxCaption = 1024

// Message is one outgoing message. Text is HTML: every piece of user text
// in it must already be escaped (i18n does that for catalog arguments).
type Message struct {
	ChatID   int64
	Text     string
	ReplyTo  int        // message to reply to, 0 for none
	Buttons  [][]Button // inline keyboard, on the last part of a split text
	Photo    *File      // sendPhoto; Text becomes the caption
	Document *File      // sendDocument; Text becomes the caption
	// Album is 2 to 10 photos Telegram already has (FileID), sent as one
	// media group (sendMediaGroup): Text becomes the first photo's
	// caption. Telegram takes no buttons on an album, and counts each
	// photo against the chat's budget.
	Album  []*File
	Silent bool // disable_notification
	// ThreadID is the forum topic (message_thread_id) the message goes
	// to; 0 for the chat's main thread.
	ThreadID int
	// ForceReply asks the client to open a reply to this message, so the
	// answer reaches the bot even in privacy mode. It replaces Buttons:
	// Telegram takes one reply_markup per message. Placeholder is the
	// input field's hint (at most 64 characters).
	ForceReply  bool
	Placeholder string
	// Edit, when set, makes this an edit of message Edit in ChatID: its
	// text and inline keyboard are replaced (editMessageText).
	Edit int
	// Key makes a durable send idempotent: the outbox sends a message with
	// a given key at most once.
	Key string
	// Ref ties a failure to a record (for example "problem:42") so that a
	// permanently undeliverable message is flagged where admins look.
	Ref string
}

// Button is an inline keyboard button: callback Data, a URL, or a
// WebApp URL that opens a Mini App (private chats only; https only).
type Button struct {
	Text   string `json:"t"`
	Data   string `json:"d,omitempty"`
	URL    string `json:"u,omitempty"`
	WebApp string `json:"w,omitempty"`
}

// MaxAlbum is Telegram's limit on the photos of one media group.
const MaxAlbum = 10

// Photos is the message that shows the photos with file_ids ids: one
// photo, or an album of up to MaxAlbum, Text its caption. No photos give
// a message without any.
func Photos(chat int64, ids []string, caption string) Message {
	m := Message{ChatID: chat, Text: caption}
	switch {
	case len(ids) == 1:
		m.Photo = &File{FileID: ids[0]}
	case len(ids) > 1:
		for _, id := range ids[:min(len(ids), MaxAlbum)] {
			m.Album = append(m.Album, &File{FileID: id})
		}
	}
	return m
}

// Weight is how many messages m's first part counts as against a chat's
// budget: each photo of an album.
func (m Message) Weight() int { return max(1, len(m.Album)) }

// File is an upload (Data) or a file Telegram already has (FileID).
type File struct {
	Name   string `json:"n,omitempty"`
	Data   []byte `json:"b,omitempty"`
	FileID string `json:"f,omitempty"`
}

// Split cuts an HTML text into parts of at most max characters, at line
// breaks where possible, never inside a tag or an entity. Templates keep
// tags on one line, so cutting between lines keeps them balanced.
func Split(text string, max int) []string {
	if utf8.RuneCountInString(text) <= max {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		curLen = 0
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := utf8.RuneCountInString(line)
		if curLen+n <= max {
			cur.WriteString(line)
			curLen += n
			continue
		}
		flush()
		for n > max {
			cut := safeCut(line, max)
			parts = append(parts, line[:cut])
			line = line[cut:]
			n = utf8.RuneCountInString(line)
		}
		cur.WriteString(line)
		curLen = n
	}
	flush()
	return parts
}

// safeCut returns a byte offset at most max runes into s that is not inside
// an HTML tag or entity, and outside any element.
func safeCut(s string, max int) int {
	runes, cut, safe, depth := 0, 0, 0, 0
	inTag, inEnt := false, false
	for i, r := range s {
		if runes == max {
			break
		}
		switch {
		case r == '<':
			inTag = true
			if strings.HasPrefix(s[i:], "</") {
				depth--
			} else {
				depth++
			}
		case r == '>' && inTag:
			inTag = false
		case r == '&' && !inTag:
			inEnt = true
		case r == ';' && inEnt:
			inEnt = false
		}
		runes++
		cut = i + utf8.RuneLen(r)
		if !inTag && !inEnt && depth <= 0 {
			safe = cut
		}
	}
	if safe == 0 {
		return cut
	}
	return safe
}
