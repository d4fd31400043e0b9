package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"cadrebot/metrics"
	"cadrebot/send"
)

// Client is the one way to the Bot API: every call, getUpdates included,
// goes through call, which counts it, applies Telegram's 429 rule and
// takes the bot token out of any error before the error leaves. Nothing
// outside this file sees a go-telegram/bot error that still holds it.
type Client struct {
	tg      *tgbot.Bot
	httpc   *http.Client
	base    string // API URL + "/bot" + token; never logged
	secrets []string
	log     *slog.Logger
	metrics *metrics.Metrics
	// MaxRetryAfter bounds how long one call waits on 429s in total; a
	// longer retry_after comes back as a RetryAfterError for the outbox.
	MaxRetryAfter time.Duration
}

// NewClient builds the client for the Bot API at apiURL (no trailing "/").
// The hot calls go through httpc as it is; go-telegram/bot's (files,
// albums) through a copy whose transport buffers their streamed bodies
// (BufferBodies). The two share httpc's connections.
//
// The hot calls must not go through that wrapper: net/http enforces a
// client's Timeout on a transport it does not know with a goroutine, a
// timer and two channels per request, and on its own Transport with a
// context deadline alone.
func NewClient(apiURL, token string, httpc *http.Client, log *slog.Logger, m *metrics.Metrics) (*Client, error) {
	c := &Client{httpc: httpc, base: apiURL + "/bot" + token, log: log, metrics: m, MaxRetryAfter: 2 * time.Minute,
		secrets: tokenForms(token)}
	lib := *httpc
	next := httpc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	lib.Transport = BufferBodies(next)
	tg, err := tgbot.New(token,
		tgbot.WithServerURL(apiURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(time.Minute, &lib),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
		tgbot.WithErrorsHandler(func(err error) { log.Warn("telegram client", "err", c.Redact(err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", c.Redact(err))
	}
	c.tg = tg
	return c, nil
}

// tokenForms are the spellings of a token that can end up in an error: as
// is, URL-escaped (a proxy's 404 page echoing the path), and its secret
// half alone.
func tokenForms(token string) []string {
	if token == "" {
		return nil
	}
	forms := []string{token, url.PathEscape(token), url.QueryEscape(token)}
	if _, secret, ok := strings.Cut(token, ":"); ok && len(secret) >= 8 {
		forms = append(forms, secret)
	}
	return forms
}

// redacted is an error whose text had the token removed. Unwrap keeps the
// library's typed errors reachable for errors.As (429, migration), but
// their text is never shown: everything that prints uses Error.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Is lets code above the client classify Telegram's refusals without
// knowing the client library (send.IsForbidden, send.IsPermanent).
func (e *redacted) Is(target error) bool {
	switch target {
	case send.ErrForbidden:
		return errors.Is(e.err, tgbot.ErrorForbidden)
	case send.ErrBadRequest:
		return errors.Is(e.err, tgbot.ErrorBadRequest)
	}
	return false
}

// Redact returns err with every form of the token replaced by "***".
func (c *Client) Redact(err error) error {
	if err == nil {
		return nil
	}
	var r *redacted
	if errors.As(err, &r) && r == err {
		return err
	}
	return &redacted{msg: c.redactString(err.Error()), err: err}
}

func (c *Client) redactString(s string) string {
	for _, f := range c.secrets {
		s = strings.ReplaceAll(s, f, "***")
	}
	return s
}

type noRetryWaitKey struct{}

// NoRetryWait makes a call return a RetryAfterError on a 429 instead of
// waiting: handlers hand the message to the outbox, and the outbox parks
// that chat and sends to others meanwhile.
func NoRetryWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryWaitKey{}, true)
}

func retryWaitAllowed(ctx context.Context) bool { return ctx.Value(noRetryWaitKey{}) == nil }

// RetryAfterError is a 429 whose wait is too long for the caller.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// call runs one API call: wait exactly retry_after on a 429 and try
// again, up to MaxRetryAfter in total; count it; redact its error.
func (c *Client) call(ctx context.Context, method string, fn func() error) error {
	var waited time.Duration
	for {
		err := fn()
		c.metrics.APICalls.WithLabelValues(method, result(err)).Inc()
		if err == nil {
			return nil
		}
		err = c.Redact(err)
		var tooMany *tgbot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			d := time.Duration(tooMany.RetryAfter) * time.Second
			if d <= 0 {
				d = time.Second
			}
			if waited+d > c.MaxRetryAfter || !retryWaitAllowed(ctx) {
				return &RetryAfterError{After: d, Err: err}
			}
			waited += d
			c.log.Warn("telegram rate limit", "method", method, "retry_after", tooMany.RetryAfter)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: %w", method, ctx.Err())
			case <-t.C:
			}
			continue
		}
		return fmt.Errorf("%s: %w", method, err)
	}
}

func result(err error) string {
	var tooMany *tgbot.TooManyRequestsError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &tooMany):
		return "429"
	case errors.Is(err, tgbot.ErrorForbidden):
		return "403"
	case errors.Is(err, tgbot.ErrorBadRequest):
		return "400"
	default:
		return "error"
	}
}

// IsUnauthorized reports a refused token (401, or 404 from an API that
// does not know the bot).
func IsUnauthorized(err error) bool {
	return errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound)
}

// RetryAfter returns how long a 429 asked to wait, and whether err is one.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, true
	}
	return 0, false
}

// MigratedTo returns the supergroup a send's chat became, or 0.
func MigratedTo(err error) int64 {
	var mig *tgbot.MigrateError
	if errors.As(err, &mig) {
		return int64(mig.MigrateToChatID)
	}
	return 0
}

// GetMe asks who the bot is.
func (c *Client) GetMe(ctx context.Context) (*models.User, error) {
	var me *models.User
	err := c.call(ctx, "getMe", func() (err error) { me, err = c.tg.GetMe(ctx); return err })
	return me, err
}

// SetWebhook registers url with secret, for the update kinds we handle.
func (c *Client) SetWebhook(ctx context.Context, url, secret string, allowed []string) error {
	return c.call(ctx, "setWebhook", func() error {
		_, err := c.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: allowed})
		return err
	})
}

// DeleteWebhook switches the bot to long polling.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	return c.call(ctx, "deleteWebhook", func() error {
		_, err := c.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	})
}

// SetMyCommands publishes a "/" menu, for lang ("" for the default).
func (c *Client) SetMyCommands(ctx context.Context, cmds []models.BotCommand, lang string) error {
	return c.call(ctx, "setMyCommands", func() error {
		_, err := c.tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang})
		return err
	})
}

// GetUpdates long-polls for updates from offset and returns each one as
// Telegram sent it, so the intake can keep it verbatim. It never waits on
// a 429: the poller owns its loop and backs off itself.
func (c *Client) GetUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration, allowed []string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := c.call(NoRetryWait(ctx), "getUpdates", func() error {
		return c.post(ctx, "getUpdates", map[string]any{"offset": offset, "limit": limit,
			"timeout": int(timeout / time.Second), "allowed_updates": allowed}, &out)
	})
	return out, err
}

// apiResponse is the Bot API's envelope, decoded in one pass: Result
// holds the caller's destination (a pointer), or a skip.
type apiResponse struct {
	OK          bool   `json:"ok"`
	Result      any    `json:"result"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// apiError maps a failed answer onto the library's error values, so one
// set of checks (IsPermanent, RetryAfter, MigratedTo) serves every call.
func apiError(code int, desc string, retryAfter int, migrateTo int64) error {
	switch code {
	case http.StatusTooManyRequests:
		return &tgbot.TooManyRequestsError{Message: "too many requests, " + desc, RetryAfter: retryAfter}
	case http.StatusForbidden:
		return fmt.Errorf("%w, %s", tgbot.ErrorForbidden, desc)
	case http.StatusBadRequest:
		if migrateTo != 0 {
			return &tgbot.MigrateError{Message: "bad request: " + desc, MigrateToChatID: int(migrateTo)}
		}
		return fmt.Errorf("%w, %s", tgbot.ErrorBadRequest, desc)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w, %s", tgbot.ErrorUnauthorized, desc)
	case http.StatusNotFound:
		return fmt.Errorf("%w, %s", tgbot.ErrorNotFound, desc)
	case http.StatusConflict:
		return fmt.Errorf("%w, %s", tgbot.ErrorConflict, desc)
	}
	return fmt.Errorf("error response from telegram, %d %s", code, desc)
}

// post calls method with params as a JSON body and decodes the result
// into dest (nil to skip). The hot calls (a reaction per check-in, replies,
// edits, button answers) go this way: go-telegram/bot builds every request
// as a multipart form by reflection, which profiling showed to cost as much
// as the rest of a check-in's handling. Its parameter and result types are
// used as they are.
func (c *Client) post(ctx context.Context, method string, params, dest any) error {
	body, err := encodeParams(params)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf := answers.Get().(*bytes.Buffer)
	defer putAnswer(buf)
	// A batch of 100 updates with long texts stays far below this.
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 64<<20)); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	raw := buf.Bytes()
	// One pass, into dest: decoding the result apart, and into a whole
	// models.Message when only its id is wanted, cost 13% of the reports
	// a second BenchmarkReports files (docs/benchmarks.md).
	r := apiResponse{Result: dest}
	if dest == nil {
		r.Result = &skip{}
	}
	if err := decodeAnswer(raw, &r); err != nil {
		// The body may be a proxy's page that echoes the request path,
		// token included: call redacts it with the rest.
		return fmt.Errorf("decode %s (HTTP %d) %q: %w", method, resp.StatusCode, clip(raw, 200), err)
	}
	if !r.OK {
		return apiError(r.ErrorCode, r.Description, r.Parameters.RetryAfter, r.Parameters.MigrateToChatID)
	}
	return nil
}

// answers recycles the buffers answers are read into: the decoder copies
// what it keeps, and a fresh slice per answer was 5% of all the bytes
// BenchmarkReports allocated, fake Bot API included.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putAnswer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 { // a rare large batch of updates is not kept
		return
	}
	b.Reset()
	answers.Put(b)
}

// skip takes a result nobody reads without building it.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// SendMessage sends one text message and returns its id.
func (c *Client) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (int, error) {
	var msg struct {
		ID int `json:"message_id"`
	}
	err := c.call(ctx, "sendMessage", func() error { return c.post(ctx, "sendMessage", p, &msg) })
	return msg.ID, err
}

// SendPhoto sends one photo.
func (c *Client) SendPhoto(ctx context.Context, p *tgbot.SendPhotoParams) (*models.Message, error) {
	var msg *models.Message
	err := c.call(ctx, "sendPhoto", func() (err error) { msg, err = c.tg.SendPhoto(ctx, p); return err })
	return msg, err
}

// SendDocument sends one file.
func (c *Client) SendDocument(ctx context.Context, p *tgbot.SendDocumentParams) (*models.Message, error) {
	var msg *models.Message
	err := c.call(ctx, "sendDocument", func() (err error) { msg, err = c.tg.SendDocument(ctx, p); return err })
	return msg, err
}

// SendMediaGroup sends an album.
func (c *Client) SendMediaGroup(ctx context.Context, p *tgbot.SendMediaGroupParams) ([]*models.Message, error) {
	var msgs []*models.Message
	err := c.call(ctx, "sendMediaGroup", func() (err error) { msgs, err = c.tg.SendMediaGroup(ctx, p); return err })
	return msgs, err
}

// EditMessageText replaces a message's text and keyboard.
func (c *Client) EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) error {
	return c.call(ctx, "editMessageText", func() error { return c.post(ctx, "editMessageText", p, nil) })
}

// SetMessageReaction sets the bot's reaction on a message.
func (c *Client) SetMessageReaction(ctx context.Context, p *tgbot.SetMessageReactionParams) error {
	return c.call(ctx, "setMessageReaction", func() error { return c.post(ctx, "setMessageReaction", p, nil) })
}

// AnswerCallbackQuery stops a button's spinner, with a toast or an alert.
func (c *Client) AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) error {
	return c.call(ctx, "answerCallbackQuery", func() error { return c.post(ctx, "answerCallbackQuery", p, nil) })
}

// DeleteMessage deletes a message.
func (c *Client) DeleteMessage(ctx context.Context, p *tgbot.DeleteMessageParams) error {
	return c.call(ctx, "deleteMessage", func() error { return c.post(ctx, "deleteMessage", p, nil) })
}

// GetChatMember returns a user's membership in a chat.
func (c *Client) GetChatMember(ctx context.Context, chat, user int64) (*models.ChatMember, error) {
	var m *models.ChatMember
	err := c.call(ctx, "getChatMember", func() (err error) {
		m, err = c.tg.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chat, UserID: user})
		return err
	})
	return m, err
}

// GetChatAdministrators lists a chat's administrators.
func (c *Client) GetChatAdministrators(ctx context.Context, chat int64) ([]models.ChatMember, error) {
	var ms []models.ChatMember
	err := c.call(ctx, "getChatAdministrators", func() (err error) {
		ms, err = c.tg.GetChatAdministrators(ctx, &tgbot.GetChatAdministratorsParams{ChatID: chat})
		return err
	})
	return ms, err
}

// Fetch copies the file Telegram holds as fileID (a problem's photo) to
// w and returns its content type: getFile, then the download, whose URL
// holds the token and so never leaves this client.
func (c *Client) Fetch(ctx context.Context, fileID string, w io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var file *models.File
	if err := c.call(ctx, "getFile", func() (err error) {
		file, err = c.tg.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
		return err
	}); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.tg.FileDownloadLink(file), nil)
	if err != nil {
		return "", c.Redact(err)
	}
	resp, err := c.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("file download: %w", c.Redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("file download: %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return "", fmt.Errorf("file download: %w", c.Redact(err))
	}
	return resp.Header.Get("Content-Type"), nil
}
