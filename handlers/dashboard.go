package handlers

import (
	"context"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/send"
)

// Dashboards is what /dashboard needs from the leaders' dashboard
// (dashboard.Server).
type Dashboards interface {
	// Public reports whether CADREBOT_PUBLIC_URL gives it an address.
	Public() bool
	// Viewable names, in lang, the units user may see; none: no access.
	Viewable(ctx context.Context, user int64, lang string) ([]string, error)
	// Link is a one-time sign-in link for a browser that opens unit (a
	// unit key, "" the first the user may see).
	Link(ctx context.Context, user int64, lang, unit string) (string, error)
	// AppURL is the Mini App's address opening unit, "" when Telegram
	// would refuse it (not https).
	AppURL(unit string) string
	// Focus is the unit key of the unit a group stands for (a unit whose
	// leaders' group it is, a department whose group it is) if user may
	// see it, else "".
	Focus(ctx context.Context, user, chat int64) (string, error)
}

// StartDashboard is the /start payload of the button that sends people
// from a group to their private chat for /dashboard: "dashboard", or
// "dashboard_<chat id>" from a group that stands for a unit, whose view
// the dashboard then opens on.
const StartDashboard = "dashboard"

// Dashboard handles /dashboard: in a private chat, a Mini App button and
// a one-time link (valid for linkTTL) to the leaders' dashboard, for the
// people who may see part of it; in a group, a button to the private
// chat, since Mini App buttons work only there and the link is personal.
// From a leaders' group (or a department's group) the dashboard opens on
// that group's unit.
func Dashboard(dash Dashboards, out Sender, texts Texts, botUsername string, linkTTL time.Duration) Func {
	return func(ctx context.Context, u *Update) error {
		if !u.IsPrivate() {
			text := texts.T(u.Lang, "dash_private")
			if botUsername == "" {
				return Reply(ctx, out, u, text)
			}
			return Reply(ctx, out, u, text, []send.Button{{Text: texts.T(u.Lang, "dash_private_button"),
				URL: "https://t.me/" + botUsername + "?start=" + StartDashboard + "_" + strconv.FormatInt(u.ChatID, 10)}})
		}
		if !dash.Public() {
			return cadrebot.Errorf("dash_no_url")
		}
		units, err := dash.Viewable(ctx, u.From.ID, u.Lang)
		if err != nil {
			return err
		}
		if len(units) == 0 {
			return cadrebot.Errorf("dash_no_access")
		}
		focus := ""
		if chat, ok := startChat(u.Args); ok {
			if focus, err = dash.Focus(ctx, u.From.ID, chat); err != nil {
				return err
			}
		}
		link, err := dash.Link(ctx, u.From.ID, u.Lang, focus)
		if err != nil {
			return err
		}
		args := i18n.Args{"Units": strings.Join(units, i18n.Plain(texts.T(u.Lang, "dg_list_sep"))), "Minutes": int(linkTTL / time.Minute)}
		browser := []send.Button{{Text: texts.T(u.Lang, "dash_open_browser"), URL: link}}
		app := dash.AppURL(focus)
		if app == "" {
			return Reply(ctx, out, u, texts.T(u.Lang, "dash_intro_http", args), browser)
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "dash_intro", args),
			[]send.Button{{Text: texts.T(u.Lang, "dash_open_app"), WebApp: app}}, browser)
	}
}

// startChat reads the group of a "/start dashboard_<chat id>" payload.
func startChat(args string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(args), StartDashboard+"_")
	if !ok {
		return 0, false
	}
	chat, err := strconv.ParseInt(rest, 10, 64)
	return chat, err == nil && chat != 0
}

// StartOr routes "/start dashboard[_<chat id>]", which the group's button
// sends, to dash, and every other /start to help.
func StartOr(help, dash Func) Func {
	return func(ctx context.Context, u *Update) error {
		if a := strings.TrimSpace(u.Args); u.IsPrivate() && (a == StartDashboard || strings.HasPrefix(a, StartDashboard+"_")) {
			return dash(ctx, u)
		}
		return help(ctx, u)
	}
}
