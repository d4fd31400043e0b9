package send

import "errors"

// Telegram's refusals that retrying cannot cure. The Bot API client
// (bot.Client) reports its errors so that errors.Is finds these, and
// everything above it asks these two functions, not the client library.
var (
	// ErrForbidden is a 403: the bot was removed from the chat, or the
	// user never started a private chat with it.
	ErrForbidden = errors.New("telegram: forbidden")
	// ErrBadRequest is a 400: the chat is gone, the message to edit is,
	// the text is refused.
	ErrBadRequest = errors.New("telegram: bad request")
)

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// IsPermanent reports whether retrying a send cannot help (400, 403).
func IsPermanent(err error) bool {
	return errors.Is(err, ErrForbidden) || errors.Is(err, ErrBadRequest)
}
