package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A message that waits in the outbox (its chat's budget was spent) comes
// back from Send with id 0. Dialog prompts and a form's live message need
// their ids: a reply to a prompt is the answer, a press on the live
// message is current. Such messages carry a Ref saying where the id goes,
// and the outbox reports it to FormSent once the message is out. The user
// cannot answer a prompt before it is out, so nothing is missed.

// formRef names a form's message in the outbox:
// "form:<kind>:<chat>:<user>:<tag>:<b|p>", b for the live message, p for a
// prompt. tag ties it to one form (a report form's nonce, an action
// form's problem).
func formRef(kind string, chat, user int64, tag string, live bool) string {
	role := "p"
	if live {
		role = "b"
	}
	return "form:" + kind + ":" + strconv.FormatInt(chat, 10) + ":" + strconv.FormatInt(user, 10) + ":" + tag + ":" + role
}

// FormSent records the id of a form's message the outbox delivered (a
// hook for refs "form:"), beside the form rather than in it, so that it
// does not matter whether the form's owner saves the form before or after
// (see store.AddFormMessage); loadForm adopts it.
func (h *Problems) FormSent(ctx context.Context, ref string, chat int64, msgID int) error {
	f := strings.Split(ref, ":")
	if len(f) != 6 || f[0] != "form" {
		return fmt.Errorf("form ref %q", ref)
	}
	user, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return fmt.Errorf("form ref %q: %w", ref, err)
	}
	return h.Store.AddFormMessage(ctx, chat, user, f[1], msgID, f[4]+":"+f[5], h.dialogTTL()+24*time.Hour)
}

// adoptMessages adds to a loaded form the messages FormSent recorded for
// it (by its tag): prompts to its prompts, and a later live message as its
// live message.
func adoptMessages(v any, msgs map[int]string) {
	for id, mark := range msgs {
		tag, role, ok := strings.Cut(mark, ":")
		if !ok {
			continue
		}
		switch f := v.(type) {
		case *reportForm:
			if tag != f.Nonce {
				continue
			}
			if role == "b" && id > f.Board {
				f.Board = id
			}
			if !slices.Contains(f.Prompts, id) {
				f.Prompts = addPrompts(f.Prompts, id)
			}
		case *actionForm:
			if tag == strconv.FormatInt(f.ID, 10) && !slices.Contains(f.Prompts, id) {
				f.Prompts = addPrompts(f.Prompts, id)
			}
		}
	}
}

// adoptBoard takes the pressed message for the form's live board when the
// board went through the outbox and its id is not recorded yet (board 0):
// the outbox's hook records it a moment after Telegram has shown it, and
// a quick press can arrive in between. The message carries the form's
// nonce (checked before) and is none of the form's earlier messages, so
// it can only be that board.
func adoptBoard(board *int, earlier []int, pressed int) {
	if *board == 0 && pressed != 0 && !slices.Contains(earlier, pressed) {
		*board = pressed
	}
}
