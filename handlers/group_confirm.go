package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Commands that change who may act on what ask first. A /bind makes every
// member of the group a handler of the department and sends its cards
// there; a /leaders lets every member read the problems of a unit's
// villages; a /setup that renames a village with data changes what its
// records are called. Each says what will change and waits for ✅ from
// the person who sent it. The question is kept in Redis for
// confirmTTL, so it survives a restart and any replica takes the press.

// confirmTTL is how long a question waits for its answer.
const confirmTTL = 10 * time.Minute

// ConfirmStore keeps pending questions (store.DB).
type ConfirmStore interface {
	SaveConfirmation(ctx context.Context, chat int64, nonce string, v []byte, ttl time.Duration) error
	Confirmation(ctx context.Context, chat int64, nonce string) ([]byte, error)
	TakeConfirmation(ctx context.Context, chat int64, nonce string) ([]byte, error)
}

// confirmAction is what a confirmed question does. allowed checks the
// presser's rights again at press time (an admin may have lost them);
// apply carries the command out and returns the group's answer.
type confirmAction struct {
	allowed func(ctx context.Context, u *Update) error
	apply   func(ctx context.Context, u *Update, args string) (string, error)
}

// pendingConfirm is a question as stored.
type pendingConfirm struct {
	Kind string `json:"k"`
	Cmd  string `json:"c"` // the command, to name it when the question expired
	By   int64  `json:"by"`
	Name string `json:"n"`
	Args string `json:"a"`
}

// Confirms asks questions and takes their answers (callback prefix
// PrefixConfirm). Commands register what they do once confirmed.
type Confirms struct {
	Store ConfirmStore
	Out   Sender
	Texts Texts
	kinds map[string]confirmAction
}

// NewConfirms builds the confirmations of a deployment.
func NewConfirms(st ConfirmStore, out Sender, texts Texts) *Confirms {
	return &Confirms{Store: st, Out: out, Texts: texts, kinds: map[string]confirmAction{}}
}

// register names what a kind of question does once confirmed.
func (c *Confirms) register(kind string, a confirmAction) { c.kinds[kind] = a }

// ask sends question with ✅ and ✖️ buttons and keeps what to do on ✅.
func (c *Confirms) ask(ctx context.Context, u *Update, kind, args, question string) error {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("confirmation nonce: %w", err)
	}
	nonce := hex.EncodeToString(b)
	v, err := json.Marshal(pendingConfirm{Kind: kind, Cmd: u.Command, By: u.From.ID, Name: DisplayName(u.From), Args: args})
	if err != nil {
		return fmt.Errorf("confirmation: %w", err)
	}
	if err := c.Store.SaveConfirmation(ctx, u.ChatID, nonce, v, confirmTTL); err != nil {
		return err
	}
	data := PrefixConfirm + ":" + nonce + ":"
	kb := []send.Button{{Text: c.Texts.T(u.Lang, "cf_btn_yes"), Data: data + "y"}, {Text: c.Texts.T(u.Lang, "cf_btn_no"), Data: data + "n"}}
	return Reply(ctx, c.Out, u, question+"\n"+c.Texts.T(u.Lang, "cf_expiry", i18n.Args{"Minutes": int(confirmTTL / time.Minute)}), kb)
}

// Button handles ✅ and ✖️: only on the message that asked, only by the
// person who asked, and once.
func (c *Confirms) Button() Func {
	return func(ctx context.Context, u *Update) error {
		f := strings.Split(u.Callback.Data, ":")
		if len(f) != 3 || (f[2] != "y" && f[2] != "n") || !offered(u) {
			return refuseForged(ctx, c.Out, c.Texts, u)
		}
		nonce := f[1]
		raw, err := c.Store.Confirmation(ctx, u.ChatID, nonce)
		if errors.Is(err, cadrebot.ErrNotFound) {
			// Answered (a double tap: the message already says how), or
			// past its time: nothing changes.
			return AnswerCallback(ctx, c.Out, u, i18n.Plain(c.Texts.T(u.Lang, "cf_gone")), true)
		}
		if err != nil {
			return err
		}
		var p pendingConfirm
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("confirmation %s: %w", nonce, err)
		}
		action, ok := c.kinds[p.Kind]
		if !ok {
			return refuseForged(ctx, c.Out, c.Texts, u)
		}
		if u.From.ID != p.By {
			return AnswerCallback(ctx, c.Out, u, i18n.Plain(c.Texts.T(u.Lang, "cf_only_asker", i18n.Args{"Name": p.Name})), true)
		}
		if f[2] == "y" {
			if err := action.allowed(ctx, u); err != nil {
				return err
			}
		}
		if _, err := c.Store.TakeConfirmation(ctx, u.ChatID, nonce); errors.Is(err, cadrebot.ErrNotFound) {
			return AnswerCallback(ctx, c.Out, u, i18n.Plain(c.Texts.T(u.Lang, "cf_gone")), true)
		} else if err != nil {
			return err
		}
		text := c.Texts.T(u.Lang, "cf_cancelled")
		if f[2] == "y" {
			if text, err = action.apply(ctx, u, p.Args); err != nil {
				return err
			}
		}
		if err := c.Out.Edit(ctx, u.ChatID, u.MessageID(), text, nil); err != nil {
			return err
		}
		return AnswerCallback(ctx, c.Out, u, "", false)
	}
}
