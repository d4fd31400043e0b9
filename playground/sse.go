package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"cadrebot/telegramtest"
)

// pageEvent is what the page's EventSource receives, one JSON object per
// server-sent event.
type pageEvent struct {
	Kind   string `json:"kind"` // msg, delete, toast, action, clock, resync
	Chat   int64  `json:"chat,omitempty"`
	ID     int    `json:"id,omitempty"`
	HTML   string `json:"html,omitempty"`
	Text   string `json:"text,omitempty"`
	Alert  bool   `json:"alert,omitempty"`
	Millis int64  `json:"now,omitempty"` // clock: fake now in Unix ms
}

// heartbeat keeps proxies and browsers from closing an idle stream.
const heartbeat = 15 * time.Second

// events streams changes in the demo's chats (from telegramtest's
// Subscribe) and clock jumps to the page, as server-sent events.
func (p *Playground) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := p.TG.Subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	jumped := p.Clock.Jumped()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	var last uint64
	// The page may have rendered before we subscribed: a first resync
	// closes that gap.
	if !p.write(w, pageEvent{Kind: "clock", Millis: p.Clock.Now().UnixMilli()}) || !p.write(w, pageEvent{Kind: "resync"}) {
		return
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if last != 0 && ev.Seq != last+1 {
				// The stream fell behind and telegramtest dropped events
				// rather than stall the bot: reload the chats.
				if !p.write(w, pageEvent{Kind: "resync"}) {
					return
				}
			}
			last = ev.Seq
			if pe, ok := p.pageEvent(ev); ok && !p.write(w, pe) {
				return
			}
			if ev.Kind == telegramtest.EventAnswer && ev.Callback != nil && ev.Callback.Text != "" {
				if !p.write(w, pageEvent{Kind: "toast", Chat: ev.ChatID, Text: ev.Callback.Text, Alert: ev.Callback.ShowAlert}) {
					return
				}
			}
		case <-jumped:
			jumped = p.Clock.Jumped()
			if !p.write(w, pageEvent{Kind: "clock", Millis: p.Clock.Now().UnixMilli()}) {
				return
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
		fl.Flush()
	}
}

// pageEvent renders a chat change for the page.
func (p *Playground) pageEvent(ev telegramtest.Event) (pageEvent, bool) {
	if !p.known(ev.ChatID) {
		return pageEvent{}, false
	}
	switch ev.Kind {
	case telegramtest.EventDelete:
		return pageEvent{Kind: "delete", Chat: ev.ChatID, ID: ev.MessageID}, true
	case telegramtest.EventAction:
		return pageEvent{Kind: "action", Chat: ev.ChatID, Text: ev.Action}, true
	}
	if ev.Entry == nil {
		return pageEvent{}, false
	}
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, "msg", view(*ev.Entry, p.Cfg.Location)); err != nil {
		p.Log.Error("playground render", "err", err)
		return pageEvent{}, false
	}
	return pageEvent{Kind: "msg", Chat: ev.ChatID, ID: ev.MessageID, HTML: b.String()}, true
}

// write sends one event; false means the browser went away.
func (p *Playground) write(w http.ResponseWriter, e pageEvent) bool {
	data, err := json.Marshal(e)
	if err != nil {
		return false
	}
	_, err = fmt.Fprintf(w, "data: %s\n\n", data)
	return err == nil
}
