package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Why a request was not let in. The messages are for logs and tests; the
// page says only "sign in again".
var (
	errNoAuth     = errors.New("no Mini App data and no session")
	errBadInit    = errors.New("initData: malformed")
	errForged     = errors.New("initData: hash does not match")
	errStale      = errors.New("initData: auth_date too old")
	errBadLink    = errors.New("link: malformed or forged")
	errExpired    = errors.New("link: expired")
	errReplayed   = errors.New("link: already used")
	errNoSession  = errors.New("session: expired or unknown")
	errWrongUsage = errors.New("link: not for this use")
)

// InitDataMaxAge is how old Mini App data may be: Telegram signs it when
// the app opens, and a day is what its documentation suggests checking.
const InitDataMaxAge = 24 * time.Hour

// initFuture tolerates clocks a little apart.
const initFuture = 5 * time.Minute

// InitData is what validated Mini App data (Telegram.WebApp.initData)
// says about who opened the app.
type InitData struct {
	User     int64
	Lang     string // the user's Telegram language, "" when not given
	AuthDate time.Time
}

// ValidateInitData checks Mini App data as Telegram specifies: the key is
// HMAC-SHA256 of the bot token with the key "WebAppData"; the hash is the
// hex HMAC-SHA256, under that key, of every field but hash as key=value
// lines sorted by key; auth_date is at most maxAge old. Telegram's
// documentation keeps "signature" (its Ed25519 signature for third
// parties) among the fields, while some clients' libraries leave it out;
// both strings are tried, since either way the hash covers every field
// that matters and only the bot token makes it.
func ValidateInitData(raw, token string, now time.Time, maxAge time.Duration) (InitData, error) {
	var d InitData
	vals, err := url.ParseQuery(raw)
	if err != nil || token == "" {
		return d, errBadInit
	}
	hash := vals.Get("hash")
	if len(vals["hash"]) != 1 || len(hash) != sha256.Size*2 {
		return d, errBadInit
	}
	var lines, unsigned []string
	for k, vs := range vals {
		if len(vs) != 1 {
			// A field given twice has no one value to sign.
			return d, errBadInit
		}
		if k == "hash" {
			continue
		}
		lines = append(lines, k+"="+vs[0])
		if k != "signature" {
			unsigned = append(unsigned, k+"="+vs[0])
		}
	}
	slices.Sort(lines)
	slices.Sort(unsigned)
	want, err := hex.DecodeString(hash)
	if err != nil {
		return d, errBadInit
	}
	secret := mac([]byte("WebAppData"), []byte(token))
	ok := hmac.Equal(mac(secret, []byte(strings.Join(lines, "\n"))), want)
	if !ok && len(unsigned) != len(lines) {
		ok = hmac.Equal(mac(secret, []byte(strings.Join(unsigned, "\n"))), want)
	}
	if !ok {
		return d, errForged
	}
	at, err := strconv.ParseInt(vals.Get("auth_date"), 10, 64)
	if err != nil {
		return d, errBadInit
	}
	d.AuthDate = time.Unix(at, 0)
	if now.Sub(d.AuthDate) > maxAge || d.AuthDate.Sub(now) > initFuture {
		return d, errStale
	}
	var u struct {
		ID   int64  `json:"id"`
		Lang string `json:"language_code"`
	}
	if err := json.Unmarshal([]byte(vals.Get("user")), &u); err != nil || u.ID <= 0 {
		return d, errBadInit
	}
	d.User, d.Lang = u.ID, u.Lang
	return d, nil
}

// SignInitData makes Mini App data as Telegram would, for user at
// authDate: the playground opens the Mini App with it, and tests forge
// and age it.
func SignInitData(token string, user int64, firstName, lang string, authDate time.Time) string {
	u, _ := json.Marshal(map[string]any{"id": user, "first_name": firstName, "language_code": lang})
	vals := url.Values{"auth_date": {strconv.FormatInt(authDate.Unix(), 10)}, "user": {string(u)},
		"query_id": {"AAH" + randomID(9)}}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + vals.Get(k)
	}
	secret := mac([]byte("WebAppData"), []byte(token))
	vals.Set("hash", hex.EncodeToString(mac(secret, []byte(strings.Join(lines, "\n")))))
	return vals.Encode()
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// randomID is n random bytes, base64url: session ids, link nonces.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Uses of a signed token.
const (
	useLogin    = "login"    // a one-time link that starts a browser session
	useDownload = "download" // a one-time export download from the Mini App
)

// claims is what a signed token carries.
type claims struct {
	Use   string `json:"s"`
	User  int64  `json:"u"`
	Lang  string `json:"l,omitempty"`
	Unit  string `json:"k,omitempty"`
	Per   string `json:"p,omitempty"` // period of a download: "week", "month", "quarter"
	Off   int    `json:"o,omitempty"`
	Exp   int64  `json:"e"` // unix seconds
	Nonce string `json:"n"`
}

// signer makes and checks one-time tokens: claims as base64url JSON, a
// dot, and their HMAC-SHA256 under a key derived from the bot token, so
// no new secret needs configuring and a new token voids every link. The
// key is not Telegram's WebAppData key: a token can never pass for Mini
// App data, nor the reverse.
type signer struct{ key []byte }

func newSigner(token string) signer {
	return signer{key: mac([]byte("cadrebot dashboard links v1"), []byte(token))}
}

func (s signer) sign(c claims) string {
	body, _ := json.Marshal(c)
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(mac(s.key, []byte(b)))
}

// verify checks a token's signature, use and expiry. It does not mark it
// used: the caller does, in Redis, once it is sure to act on it.
func (s signer) verify(tok, use string, now time.Time) (claims, error) {
	var c claims
	b, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 2048 {
		return c, errBadLink
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(s.key, []byte(b))) {
		return c, errBadLink
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil || json.Unmarshal(body, &c) != nil || c.Nonce == "" || c.User <= 0 {
		return c, errBadLink
	}
	if c.Use != use {
		return c, errWrongUsage
	}
	if !now.Before(time.Unix(c.Exp, 0)) {
		return c, fmt.Errorf("%w at %s", errExpired, time.Unix(c.Exp, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}
