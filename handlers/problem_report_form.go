package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
)

// reportFormVersion is the layout of reportForm. Bump it whenever a change
// would make an old stored form mean something else: forms of the old
// layout then get "this form expired, please start again" instead of an
// error or a half-understood state. Version 2 added the messages a form
// sent (Board, Prompts) and the duplicates it offered: a version-1 form
// cannot prove what its buttons offered, so it expires.
const reportFormVersion = 2

// Dialog steps.
const (
	stepDesc  = "desc"  // waiting for the description
	stepCat   = "cat"   // category keyboard shown
	stepMedia = "media" // photos, location, address, then Next
	stepSum   = "sum"   // summary with Confirm, Edit, Cancel
	stepDup   = "dup"   // one-step report: duplicates shown before filing
)

// reportForm is the /report dialog of one user in one chat.
type reportForm struct {
	V        int      `json:"v"`
	Nonce    string   `json:"n"`
	Step     string   `json:"s"`
	Exp      int64    `json:"e"` // unix time the form expires, by the bot's clock
	MsgID    int      `json:"m"` // the report message notifications reply to
	Text     string   `json:"t,omitempty"`
	Cat      string   `json:"c,omitempty"`
	Photos   []string `json:"p,omitempty"`
	Album    string   `json:"al,omitempty"` // media group whose photos join the form
	HasLoc   bool     `json:"hl,omitempty"`
	Lat      float64  `json:"la,omitempty"`
	Lon      float64  `json:"lo,omitempty"`
	Addr     string   `json:"a,omitempty"`
	OneStep  bool     `json:"o,omitempty"`  // "/report TEXT": file right after the category
	Editing  bool     `json:"ed,omitempty"` // back to the summary after this step
	Resubmit int64    `json:"r,omitempty"`  // a returned problem being corrected
	ResubVer int64    `json:"rv,omitempty"`
	// Board is the message whose buttons are live; a press on any other
	// message of the form is an old button.
	Board int `json:"b,omitempty"`
	// Prompts are the bot's messages of this form: a reply to one of them
	// is an answer (privacy mode delivers only those), a reply to any
	// other bot message is not.
	Prompts []int `json:"pm,omitempty"`
	// Offered are the problems the live message offers to join as "me
	// too"; a me-too press for any other is forged.
	Offered []int64 `json:"d,omitempty"`
}

// maxPrompts bounds the prompts a form remembers; older ones have long
// scrolled away.
const maxPrompts = 8

// addPrompts remembers a bot message of the form.
func addPrompts(ps []int, id int) []int {
	if id == 0 {
		return ps
	}
	ps = append(ps, id)
	if len(ps) > maxPrompts {
		ps = ps[len(ps)-maxPrompts:]
	}
	return ps
}

// answers reports whether a message replying to bot message replyTo (0:
// no reply to the bot) is an answer to a form that sent prompts.
func answers(prompts []int, replyTo int) bool {
	return replyTo == 0 || slices.Contains(prompts, replyTo)
}

// actionForm is an action waiting for its note: a handler pressed
// Resolve or Return, a supporting department its note button, or a
// reporter "unsatisfied", and the bot asked for the note or reason.
type actionForm struct {
	V   int    `json:"v"`
	Exp int64  `json:"e"`
	ID  int64  `json:"id"`
	Ver int64  `json:"ver"`
	Act string `json:"a"` // res, ret, nt (a supporter's note) or un (unsatisfied)
	// Prompts are the bot's questions for this note (see reportForm).
	Prompts []int `json:"pm,omitempty"`
	// Dept is the supporting department a note (nt) is for.
	Dept string `json:"d,omitempty"`
	// Photos of a resolution sent before its note, and the album they
	// came in.
	Photos []string `json:"p,omitempty"`
	Album  string   `json:"al,omitempty"`
}

type formState int

const (
	formNone formState = iota
	formLive
	formExpired
)

func newNonce() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Problems) dialogTTL() time.Duration { return h.Cfg.Problems.DialogTTL.Duration }

// FormReader reads a form and its messages (store.DB.FormAndMessages).
type FormReader interface {
	FormAndMessages(ctx context.Context, chat, user int64, kind string) ([]byte, map[int]string, error)
}

// readForm reads the form of kind that u's sender has in u's chat: the
// copy the intake read along, when it did, else the store's.
func readForm(ctx context.Context, st FormReader, u *Update, kind string) ([]byte, map[int]string, error) {
	if f, ok := u.TakeForm(kind); ok {
		return f.Body, f.Msgs, nil
	}
	return st.FormAndMessages(ctx, u.ChatID, u.From.ID, kind)
}

// loadForm reads u's sender's form of kind into v. Expiry is judged by now (the bot's clock,
// which tests fake), not by the Redis TTL, which only collects garbage a
// day later: so an expired form is still there to be answered politely.
func (h *Problems) loadForm(ctx context.Context, u *Update, kind string, v any) (formState, error) {
	now := u.Now
	b, msgs, err := readForm(ctx, h.Store, u, kind)
	if err != nil || b == nil {
		return formNone, err
	}
	defer adoptMessages(v, msgs)
	var head struct {
		V   int   `json:"v"`
		Exp int64 `json:"e"`
	}
	if json.Unmarshal(b, &head) != nil || head.V != reportFormVersion || now.Unix() > head.Exp {
		return formExpired, nil
	}
	if json.Unmarshal(b, v) != nil {
		return formExpired, nil
	}
	return formLive, nil
}

func (h *Problems) saveForm(ctx context.Context, chat, user int64, kind string, v any, now time.Time) error {
	switch f := v.(type) {
	case *reportForm:
		f.V, f.Exp = reportFormVersion, now.Add(h.dialogTTL()).Unix()
	case *actionForm:
		f.V, f.Exp = reportFormVersion, now.Add(h.dialogTTL()).Unix()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return h.Store.SaveForm(ctx, chat, user, kind, b, h.dialogTTL()+24*time.Hour)
}

func (h *Problems) dropForm(ctx context.Context, chat, user int64, kind string) error {
	return h.Store.DeleteForm(ctx, chat, user, kind)
}

// dialogData builds a dialog's button data:
// "<prefix>:<user base36>:<nonce>:<op>[:<arg>]". The owner rides along so
// a press by anyone else is told "not your form" rather than "expired";
// with a 32-byte category id it stays under 64.
func dialogData(prefix string, user int64, nonce, op string, arg ...string) string {
	s := prefix + ":" + strconv.FormatInt(user, 36) + ":" + nonce + ":" + op
	if len(arg) > 0 {
		s += ":" + arg[0]
	}
	return s
}

// parseDialogData reads what dialogData wrote under prefix.
func parseDialogData(prefix, data string) (user int64, nonce, op, arg string, ok bool) {
	f := strings.SplitN(data, ":", 5)
	if len(f) < 4 || f[0] != prefix {
		return 0, "", "", "", false
	}
	user, err := strconv.ParseInt(f[1], 36, 64)
	if err != nil {
		return 0, "", "", "", false
	}
	if len(f) == 5 {
		arg = f[4]
	}
	return user, f[2], f[3], arg, true
}

// rdData builds the report dialog's button data.
func rdData(user int64, nonce, op string, arg ...string) string {
	return dialogData(PrefixReport, user, nonce, op, arg...)
}

func parseRD(data string) (user int64, nonce, op, arg string, ok bool) {
	return parseDialogData(PrefixReport, data)
}

// bestPhoto is the largest size of a message's photo, or "".
func bestPhoto(m *models.Message) string {
	if m == nil || len(m.Photo) == 0 {
		return ""
	}
	best := m.Photo[0]
	for _, p := range m.Photo[1:] {
		if p.Width*p.Height > best.Width*best.Height {
			best = p
		}
	}
	return best.FileID
}

// reportTag starts a caption or message that reports a problem without
// the command, for cadres who find hashtags easier than commands.
const reportTag = "#上报"

func cutReportTag(s string) (string, bool) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, reportTag)
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// villageName is how a report names its village: the name /setup gave
// the group, or its title. The town is not part of it: it may be a unit's
// id, and exports and leaders' digests place the village in the
// hierarchy themselves.
func villageName(g *cadrebot.Group) string {
	if g == nil {
		return ""
	}
	if g.Village != "" {
		return g.Village
	}
	return g.Title
}
