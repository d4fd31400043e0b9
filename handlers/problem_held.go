package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/store"
)

// A village group that a deployment admin has not approved yet (with
// config approval, the default) can set up, check in and read its own
// data, but its problem reports do not reach any department: a stranger
// who adds the bot to a group of their own must not put cards with
// Accept and Resolve buttons into a government department's chat, nor
// problems into the county's figures. Such reports are held, whole, in the
// group's slot; the reporter is told so; the deployment admins get a
// button to approve the group. Approval files the held reports, oldest
// first, with deadlines counted from then.

// errHeld reports that a report was held for approval, not filed.
var errHeld = errors.New("report held until the group is approved")

// approved reports whether g's reports may reach departments.
func (h *Problems) approved(g *cadrebot.Group) bool {
	return !h.Cfg.ApprovalRequired() || (g != nil && g.Approved)
}

// hold keeps p for approval and asks the deployment admins, once a week
// per group, to approve the group.
func (h *Problems) hold(ctx context.Context, u *Update, p *cadrebot.Problem) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("hold report: %w", err)
	}
	n, err := h.Store.HoldReport(ctx, u.ChatID, b)
	if err != nil {
		return err
	}
	if err := h.dropForm(ctx, u.ChatID, u.From.ID, store.FormReport); err != nil {
		h.log().Warn("drop held report form", "err", err)
	}
	first, err := h.Store.Once(ctx, "approval-asked:"+strconv.FormatInt(u.ChatID, 10), 7*24*time.Hour)
	if err != nil || !first {
		return err
	}
	title := villageName(u.Group)
	if u.Group != nil && u.Group.Title != "" {
		title = u.Group.Title + " · " + title
	}
	for _, admin := range h.Cfg.Admins {
		lang := h.Cfg.Language
		m := send.Message{ChatID: admin, Text: h.Texts.T(lang, "approval_ask", i18n.Args{"Group": title, "Count": n}),
			Buttons: [][]send.Button{{{Text: h.Texts.T(lang, "approval_btn"), Data: approveData(u.ChatID)}}},
			Key:     "approval-ask:" + strconv.FormatInt(u.ChatID, 10) + ":" + strconv.FormatInt(admin, 10) + ":" + strconv.FormatInt(u.Now.Unix()/(7*86400), 10)}
		if err := h.Out.Enqueue(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// heldText tells the reporter their report waits for approval.
func (h *Problems) heldText(lang string, hasAdmins bool) string {
	if !hasAdmins {
		return h.Texts.T(lang, "pr_held") + "\n" + h.Texts.T(lang, "no_admins")
	}
	return h.Texts.T(lang, "pr_held")
}

// ReleaseHeld files the held reports of chat, now that it is approved,
// and tells the village. It returns how many it filed.
func (h *Problems) ReleaseHeld(ctx context.Context, chat int64) (int, error) {
	raw, err := h.Store.HeldReports(ctx, chat)
	if err != nil || len(raw) == 0 {
		return 0, err
	}
	now := h.now()
	var nums []string
	for i, b := range raw {
		var p cadrebot.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			h.log().Error("held report unreadable; dropped", "chat", chat, "err", err)
			continue
		}
		// The department never saw it: its deadline starts now.
		p.Due = now.Add(p.SLA)
		if _, err := h.Store.CreateProblem(ctx, &p, cadrebot.Entry{At: now, By: p.Reporter, Name: p.ReporterName,
			Action: cadrebot.ActCreate, To: p.Status, Dept: p.Dept}, false); err != nil {
			// Keep what is not filed yet for the next approval attempt.
			if derr := h.Store.DropHeld(ctx, chat, i); derr != nil {
				h.log().Error("drop filed held reports", "chat", chat, "err", derr)
			}
			return len(nums), err
		}
		nums = append(nums, "#"+strconv.FormatInt(p.ID, 10))
		h.postCard(ctx, &p, p.Dept, now)
	}
	if err := h.Store.DropHeld(ctx, chat, len(raw)); err != nil {
		return len(nums), err
	}
	if len(nums) > 0 {
		lang := h.chatLang(ctx, chat)
		m := send.Message{ChatID: chat, Text: h.Texts.T(lang, "pr_held_filed", i18n.Args{"Count": len(nums), "Nums": strings.Join(nums, " ")}),
			Key: "held-filed:" + strconv.FormatInt(chat, 10) + ":" + nums[0]}
		if err := h.Out.Enqueue(ctx, m); err != nil {
			return len(nums), err
		}
	}
	return len(nums), nil
}

// approveData is the approval button's data: "ap:<chat>".
func approveData(chat int64) string { return PrefixApprove + ":" + strconv.FormatInt(chat, 10) }

// ApproveButton handles the button a deployment admin gets to approve a
// village group: the group is approved and its held reports are filed.
func (h *Problems) ApproveButton(approve func(ctx context.Context, chat int64) error) Func {
	return func(ctx context.Context, u *Update) error {
		chat, err := strconv.ParseInt(strings.TrimPrefix(u.Callback.Data, PrefixApprove+":"), 10, 64)
		if err != nil || !strings.HasPrefix(u.Callback.Data, PrefixApprove+":") || !offered(u) {
			return refuseForged(ctx, h.Out, h.Texts, u)
		}
		if !h.Auth.IsDeploymentAdmin(u.From.ID) {
			return AnswerCallback(ctx, h.Out, u, i18n.Plain(h.Texts.T(u.Lang, "err_deploy_admin_only")), true)
		}
		if err := approve(ctx, chat); err != nil {
			return err
		}
		n, err := h.ReleaseHeld(ctx, chat)
		if err != nil {
			return err
		}
		text := h.Texts.T(u.Lang, "approval_done", i18n.Args{"Count": n})
		if err := h.Out.Edit(ctx, u.ChatID, u.MessageID(), text, nil); err != nil {
			h.log().Warn("edit approval request", "err", err)
		}
		return AnswerCallback(ctx, h.Out, u, i18n.Plain(text), false)
	}
}
