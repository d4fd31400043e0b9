package telegramtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

const testToken = "123456:TEST-token"

var (
	alice = models.User{ID: 501, FirstName: "Alice", Username: "alice", LanguageCode: "zh"}
	bob   = models.User{ID: 502, FirstName: "Bob"}
	carol = models.User{ID: 503, FirstName: "Carol"}
)

func startServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := New(opts...).Start()
	t.Cleanup(s.Close)
	return s
}

// newClient returns the real go-telegram client pointed at s. Client errors
// go to the test log instead of the global logger.
func newClient(t *testing.T, s *Server, opts ...tgbot.Option) *tgbot.Bot {
	t.Helper()
	base := []tgbot.Option{
		tgbot.WithServerURL(s.URL),
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { t.Logf("client error: %v", err) }),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
	}
	b, err := tgbot.New(testToken, append(base, opts...)...)
	if err != nil {
		t.Fatalf("tgbot.New: %v", err)
	}
	return b
}

// runBot starts polling and stops it when the test ends.
func runBot(t *testing.T, b *tgbot.Bot) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		b.Start(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// rawCall posts urlencoded params the way a hand-written poller would.
func rawCall(t *testing.T, s *Server, method string, params url.Values) envelope {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/bot"+testToken+"/"+method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("%s: decode: %v", method, err)
	}
	if !env.OK && resp.StatusCode != env.ErrorCode {
		t.Fatalf("%s: HTTP status %d but error_code %d", method, resp.StatusCode, env.ErrorCode)
	}
	return env
}

func getUpdates(t *testing.T, s *Server, offset int64, limit, timeout int) []models.Update {
	t.Helper()
	env := rawCall(t, s, "getUpdates", url.Values{
		"offset":  {strconv.FormatInt(offset, 10)},
		"limit":   {strconv.Itoa(limit)},
		"timeout": {strconv.Itoa(timeout)},
	})
	if !env.OK {
		t.Fatalf("getUpdates: %d %s", env.ErrorCode, env.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(env.Result, &ups); err != nil {
		t.Fatalf("getUpdates: %v", err)
	}
	return ups
}

func chatID(id int64) string { return strconv.FormatInt(id, 10) }
