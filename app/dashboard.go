package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"

	"cadrebot/bot"
	"cadrebot/dashboard"
	"cadrebot/digest"
	"cadrebot/handlers"
	"cadrebot/send"
)

// buildDashboard wires the leaders' dashboard: its pages read the
// deployment through dashboard.Deployment over the digests' unit tree
// (Digests.Tree), computing with the digest code, and its export is
// /export's (Digests.ExportFiles).
func (a *App) buildDashboard() (*dashboard.Server, error) {
	cfg := a.Cfg
	dg := a.digests()
	src := &dashboard.Deployment{Store: a.DB, Members: a.Auth, Tree: dg.Tree, Cfg: &cfg.File, Cal: a.Calendar, Loc: cfg.Location,
		Now: a.Clock.Now,
		Workbook: func(ctx context.Context, s dashboard.ExportScope, per digest.Period, lang string) (*send.File, error) {
			x := handlers.ExportScope{All: s.All, Unit: s.Unit, Village: s.Village, Name: s.Name}
			if s.Dept != "" {
				x.Depts = []string{s.Dept}
			}
			files, err := dg.ExportFiles(ctx, x, per, lang, false)
			if err != nil {
				return nil, err
			}
			return files[0], nil
		}}
	files, err := newTelegramFiles(cfg.Env.APIURL, cfg.Env.Token, a.httpc, a.API)
	if err != nil {
		return nil, err
	}
	return &dashboard.Server{Units: src, Figures: src, Problems: src, Export: src, Files: files, Sessions: a.DB,
		Texts: a.Texts, Cfg: &cfg.File, Token: cfg.Env.Token, PublicURL: cfg.Env.PublicURL, Loc: cfg.Location,
		Now: a.Clock.Now, Log: a.Log, SessionTTL: cfg.File.Dashboard.SessionTTL.Duration}, nil
}

// Dashboard is the leaders' dashboard, nil until Run has built it (Ready
// is closed after): the playground signs its visitors in with it.
func (a *App) Dashboard() *dashboard.Server { return a.dash }

// telegramFiles downloads files Telegram holds (problems' photos) for the
// dashboard, which relays them: their URLs contain the bot token.
type telegramFiles struct {
	tg    *tgbot.Bot
	httpc *http.Client
	api   *bot.Client // redacts the token from errors
}

func newTelegramFiles(apiURL, token string, httpc *http.Client, api *bot.Client) (*telegramFiles, error) {
	tg, err := tgbot.New(token, tgbot.WithServerURL(apiURL), tgbot.WithSkipGetMe(), tgbot.WithHTTPClient(time.Minute, httpc))
	if err != nil {
		return nil, fmt.Errorf("telegram files: %w", api.Redact(err))
	}
	return &telegramFiles{tg: tg, httpc: httpc, api: api}, nil
}

// Fetch copies file fileID to w: getFile, then the download.
func (f *telegramFiles) Fetch(ctx context.Context, fileID string, w io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	file, err := f.tg.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
	if err != nil {
		return "", fmt.Errorf("getFile: %w", f.api.Redact(err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.tg.FileDownloadLink(file), nil)
	if err != nil {
		return "", f.api.Redact(err)
	}
	resp, err := f.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("file download: %w", f.api.Redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("file download: %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return "", fmt.Errorf("file download: %w", f.api.Redact(err))
	}
	return resp.Header.Get("Content-Type"), nil
}
