package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"cadrebot/send"
	"cadrebot/store"
)

// loginView is the page a one-time link opens.
type loginView struct {
	Action  string
	Expires string
}

// miniApp serves the Mini App's page. It holds nothing personal: its
// script reads the launch data Telegram passes in the URL's fragment and
// sends it with every request for the pages it shows.
func (s *Server) miniApp(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r.URL.Query().Get("lang"))
	var b bytes.Buffer
	if err := s.render(&b, "app", &pageData{Lang: lang, Title: s.t(lang, "dash_title"), MiniApp: true,
		Message: s.html(lang, "dash_app_loading")}); err != nil {
		s.fail(w, r, viewer{}, err)
		return
	}
	s.headers(w, true)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// loginForm shows a one-time link's page: a button that signs in. The
// link is used only by that POST, so a link preview or a scanner
// fetching the link does not spend it.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	c, err := newSigner(s.Token).verify(r.PathValue("token"), useLogin, s.Now())
	if err != nil {
		s.refuseLink(w, r, err)
		return
	}
	lang := s.lang(c.Lang)
	var b bytes.Buffer
	d := &pageData{Lang: lang, Title: s.t(lang, "dash_login_title"),
		Login: &loginView{Action: r.URL.Path, Expires: s.timeText(time.Unix(c.Exp, 0))}}
	if err := s.render(&b, "login", d); err != nil {
		s.fail(w, r, viewer{Lang: lang}, err)
		return
	}
	s.headers(w, false)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// login spends a one-time link and starts a session: a random id in an
// HttpOnly, SameSite=Strict cookie (Secure behind https), its digest in
// Redis for the session's lifetime.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	c, err := newSigner(s.Token).verify(r.PathValue("token"), useLogin, now)
	if err != nil {
		s.refuseLink(w, r, err)
		return
	}
	first, err := s.Sessions.UseDashLink(r.Context(), c.Nonce, time.Unix(c.Exp, 0).Sub(now)+time.Minute)
	if err != nil {
		s.fail(w, r, viewer{Lang: s.lang(c.Lang)}, err)
		return
	}
	if !first {
		s.refuseLink(w, r, errReplayed)
		return
	}
	id := randomID(32)
	if err := s.Sessions.SaveDashSession(r.Context(), id, store.DashSession{User: c.User, Lang: c.Lang, Created: now.Unix()}, s.SessionTTL); err != nil {
		s.fail(w, r, viewer{Lang: s.lang(c.Lang)}, err)
		return
	}
	s.log().Info("dashboard sign-in", "user", c.User)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/dash/", MaxAge: int(s.SessionTTL / time.Second),
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteStrictMode})
	s.headers(w, false)
	to := "/dash/"
	if c.Unit != "" {
		to = "/dash/league?" + url.Values{"u": {c.Unit}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// refuseLink answers a forged, expired or spent link.
func (s *Server) refuseLink(w http.ResponseWriter, r *http.Request, err error) {
	s.log().Info("dashboard link refused", "why", err.Error())
	lang := s.lang("")
	s.headers(w, false)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_ = s.render(w, "message", &pageData{Lang: lang, Title: s.t(lang, "dash_title"), Message: s.html(lang, "dash_login_bad")})
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	v, _ := s.viewer(r)
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		if err := s.Sessions.DeleteDashSession(r.Context(), c.Value); err != nil {
			s.fail(w, r, v, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/dash/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(), SameSite: http.SameSiteStrictMode})
	lang := v.Lang
	if lang == "" {
		lang = s.lang("")
	}
	s.headers(w, false)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = s.render(w, "message", &pageData{Lang: lang, Title: s.t(lang, "dash_title"), Message: s.html(lang, "dash_signed_out")})
}

// exportFile serves the unit's /export workbook over the chosen period.
func (s *Server) exportFile(w http.ResponseWriter, r *http.Request) {
	v, err := s.viewer(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.serveExport(w, r, v, r.URL.Query().Get("u"))
}

func (s *Server) serveExport(w http.ResponseWriter, r *http.Request, v viewer, key string) {
	path, _, err := s.scope(r.Context(), v, key)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	per, _, _, err := s.period(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	f, err := s.Export.Export(r.Context(), path[len(path)-1], per, v.Lang)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.sendFile(w, f)
}

func (s *Server) sendFile(w http.ResponseWriter, f *send.File) {
	s.headers(w, false)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// downloadLink gives the Mini App a one-time link to the export: a
// Telegram client downloads a file by opening a URL, which cannot carry
// the launch data a header carries.
func (s *Server) downloadLink(w http.ResponseWriter, r *http.Request) {
	v, err := s.viewer(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	key := r.URL.Query().Get("u")
	if _, _, err := s.scope(r.Context(), v, key); err != nil {
		s.fail(w, r, v, err)
		return
	}
	_, kind, off, err := s.period(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	tok := newSigner(s.Token).sign(claims{Use: useDownload, User: v.User, Lang: v.Lang, Unit: key, Per: kind, Off: off,
		Exp: s.Now().Add(downloadTTL).Unix(), Nonce: randomID(16)})
	s.headers(w, false)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"url": s.PublicURL + "/dash/download/" + tok})
}

// download spends a download link and serves the export it names, after
// checking again what its user may see.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	c, err := newSigner(s.Token).verify(r.PathValue("token"), useDownload, now)
	if err == nil {
		var first bool
		first, err = s.Sessions.UseDashLink(r.Context(), c.Nonce, time.Unix(c.Exp, 0).Sub(now)+time.Minute)
		if err == nil && !first {
			err = errReplayed
		}
	}
	if err != nil {
		if errors.Is(err, errBadLink) || errors.Is(err, errExpired) || errors.Is(err, errReplayed) || errors.Is(err, errWrongUsage) {
			s.refuseLink(w, r, err)
			return
		}
		s.fail(w, r, viewer{}, err)
		return
	}
	q := r.URL.Query()
	q.Set("per", c.Per)
	q.Set("off", strconv.Itoa(c.Off))
	r.URL.RawQuery = q.Encode()
	s.serveExport(w, r, viewer{User: c.User, Lang: s.lang(c.Lang), MiniApp: true}, c.Unit)
}
