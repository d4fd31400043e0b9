package bot

import (
	"encoding/json"

	"github.com/go-telegram/bot/models"
	gojson "github.com/goccy/go-json"
)

// The Bot API's JSON goes through goccy/go-json, a drop-in for
// encoding/json that decodes an update about five times faster and an
// API answer nine times (BenchmarkDecode). In BenchmarkReports,
// encoding/json's decoding (the bot's, and the fake API's) was a fifth of
// the process's CPU (docs/benchmarks.md). The bot's own
// records in Redis keep encoding/json: they are small and not on the
// per-update path.

// DecodeUpdate parses one update as Telegram sent it.
//
// A button's message is a models.MaybeInaccessibleMessage, whose own
// UnmarshalJSON parses the message twice with encoding/json: that alone
// was four fifths of decoding a button press. wireUpdate shadows the
// field, and the message is sorted into accessible or not here, by the
// same rule (a date of 0 means inaccessible).
//
// What goccy refuses goes to encoding/json, whose reading stands: the two
// differ on some malformed input, which Telegram does not send (an
// inaccessible message with a "from" that is no user, say).
func DecodeUpdate(raw []byte, u *models.Update) error {
	var w wireUpdate
	if err := gojson.Unmarshal(raw, &w); err != nil {
		*u = models.Update{}
		return json.Unmarshal(raw, u)
	}
	*u = w.Update
	if c := w.CallbackQuery; c != nil {
		q := c.CallbackQuery
		q.Message = maybeMessage(c.Message)
		u.CallbackQuery = &q
	}
	return nil
}

type wireUpdate struct {
	models.Update
	CallbackQuery *wireCallback `json:"callback_query,omitempty"`
}

type wireCallback struct {
	models.CallbackQuery
	Message *models.Message `json:"message,omitempty"`
}

func maybeMessage(m *models.Message) models.MaybeInaccessibleMessage {
	switch {
	case m == nil:
		return models.MaybeInaccessibleMessage{}
	case m.Date == 0:
		return models.MaybeInaccessibleMessage{
			Type:                models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: m.Chat, MessageID: m.ID},
		}
	}
	return models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: m}
}

// decodeAnswer parses the Bot API's envelope (apiResponse) of an answer,
// with encoding/json's last word as in DecodeUpdate: a call whose message
// went out must not fail on a decoder's quirk, or the outbox sends it again.
func decodeAnswer(raw []byte, r *apiResponse) error {
	if gojson.Unmarshal(raw, r) == nil {
		return nil
	}
	return json.Unmarshal(raw, r)
}

// encodeParams encodes a call's parameters as its JSON body.
func encodeParams(params any) ([]byte, error) { return gojson.Marshal(params) }
