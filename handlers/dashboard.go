package handlers

import (
	"context"
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
	// Link is a one-time sign-in link for a browser.
	Link(ctx context.Context, user int64, lang string) (string, error)
	// AppURL is the Mini App's address, "" when Telegram would refuse it
	// (not https).
	AppURL() string
}

// StartDashboard is the /start payload of the button that sends people
// from a group to their private chat for /dashboard.
const StartDashboard = "dashboard"

// Dashboard handles /dashboard: in a private chat, a Mini App button and
// a one-time link (valid for linkTTL) to the leaders' dashboard, for the
// people who may see part of it; in a group, a button to the private
// chat, since Mini App buttons work only there and the link is personal.
func Dashboard(dash Dashboards, out Sender, texts Texts, botUsername string, linkTTL time.Duration) Func {
	return func(ctx context.Context, u *Update) error {
		if !u.IsPrivate() {
			text := texts.T(u.Lang, "dash_private")
			if botUsername == "" {
				return Reply(ctx, out, u, text)
			}
			return Reply(ctx, out, u, text, []send.Button{{Text: texts.T(u.Lang, "dash_private_button"),
				URL: "https://t.me/" + botUsername + "?start=" + StartDashboard}})
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
		link, err := dash.Link(ctx, u.From.ID, u.Lang)
		if err != nil {
			return err
		}
		args := i18n.Args{"Units": strings.Join(units, i18n.Plain(texts.T(u.Lang, "dg_list_sep"))), "Minutes": int(linkTTL / time.Minute)}
		browser := []send.Button{{Text: texts.T(u.Lang, "dash_open_browser"), URL: link}}
		app := dash.AppURL()
		if app == "" {
			return Reply(ctx, out, u, texts.T(u.Lang, "dash_intro_http", args), browser)
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "dash_intro", args),
			[]send.Button{{Text: texts.T(u.Lang, "dash_open_app"), WebApp: app}}, browser)
	}
}

// StartOr routes "/start dashboard", which the group's button sends, to
// dash, and every other /start to help.
func StartOr(help, dash Func) Func {
	return func(ctx context.Context, u *Update) error {
		if u.IsPrivate() && strings.TrimSpace(u.Args) == StartDashboard {
			return dash(ctx, u)
		}
		return help(ctx, u)
	}
}
