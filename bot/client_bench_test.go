package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"cadrebot/metrics"
)

// BenchmarkSendMessage is one hot call, a reply, against a local server
// that answers at once: the client's own cost per call. With the client's
// Timeout, net/http guards a transport it does not know (such as a
// wrapper) with a goroutine and a timer per request; its own Transport
// with a context deadline.
//
//	go test -run '^$' -bench SendMessage -benchmem ./bot/
func BenchmarkSendMessage(b *testing.B) {
	answer := []byte(`{"ok":true,"result":{"message_id":44,"from":{"id":1,"is_bot":true,"first_name":"cadrebot"},"chat":{"id":-1002,"type":"supergroup","title":"交通运输局"},"date":1765100000,"text":"已收到"}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	for _, c := range []struct {
		name string
		wrap func(http.RoundTripper) http.RoundTripper
	}{
		{"transport", func(t http.RoundTripper) http.RoundTripper { return t }},
		{"wrapped", BufferBodies},
	} {
		b.Run(c.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 8}
			b.Cleanup(tr.CloseIdleConnections)
			httpc := &http.Client{Timeout: 75 * time.Second, Transport: c.wrap(tr)}
			api, err := NewClient(srv.URL, "1:t", httpc, slog.New(slog.DiscardHandler), metrics.NewMetrics())
			if err != nil {
				b.Fatal(err)
			}
			p := &tgbot.SendMessageParams{ChatID: int64(-1002), Text: "已收到"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if id, err := api.SendMessage(ctx, p); err != nil || id != 44 {
					b.Fatal(id, err)
				}
			}
		})
	}
}
