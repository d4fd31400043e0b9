package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"cadrebot/store"
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
// hook for refs "form:"). A form that ended or was replaced meanwhile is
// left alone.
func (h *Problems) FormSent(ctx context.Context, ref string, chat int64, msgID int) error {
	f := strings.Split(ref, ":")
	if len(f) != 6 || f[0] != "form" {
		return fmt.Errorf("form ref %q", ref)
	}
	kind, tag, live := f[1], f[4], f[5] == "b"
	user, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return fmt.Errorf("form ref %q: %w", ref, err)
	}
	now := h.now()
	switch kind {
	case store.FormReport:
		var rf reportForm
		if st, err := h.loadForm(ctx, chat, user, kind, &rf, now); err != nil || st != formLive || rf.Nonce != tag {
			return err
		}
		if live {
			rf.Board = msgID
		}
		rf.Prompts = addPrompts(rf.Prompts, msgID)
		return h.saveForm(ctx, chat, user, kind, &rf, now)
	case store.FormAction:
		var af actionForm
		if st, err := h.loadForm(ctx, chat, user, kind, &af, now); err != nil || st != formLive || strconv.FormatInt(af.ID, 10) != tag {
			return err
		}
		af.Prompts = addPrompts(af.Prompts, msgID)
		return h.saveForm(ctx, chat, user, kind, &af, now)
	}
	return fmt.Errorf("form ref %q: unknown kind", ref)
}
