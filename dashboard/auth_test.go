package dashboard

import (
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const testToken = "123456:ABC-test-token"

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// resign recomputes the hash of vals as Telegram would, leaving out
// skip.
func resign(vals url.Values, token string, skip ...string) string {
	var lines []string
	for k := range vals {
		if k == "hash" || slices.Contains(skip, k) {
			continue
		}
		lines = append(lines, k+"="+vals.Get(k))
	}
	slices.Sort(lines)
	secret := mac([]byte("WebAppData"), []byte(token))
	vals.Set("hash", hex.EncodeToString(mac(secret, []byte(strings.Join(lines, "\n")))))
	return vals.Encode()
}

func TestValidateInitData(t *testing.T) {
	good := SignInitData(testToken, 9001, "陈主任", "en", t0.Add(-time.Hour))
	vals, _ := url.ParseQuery(good)
	withSig := func(skipSig bool) string {
		v, _ := url.ParseQuery(good)
		v.Set("signature", "Ed25519-signature-for-third-parties")
		if skipSig {
			return resign(v, testToken, "signature")
		}
		return resign(v, testToken)
	}
	tampered, _ := url.ParseQuery(good)
	tampered.Set("user", strings.Replace(vals.Get("user"), "9001", "9002", 1))
	twice := good + "&user=" + url.QueryEscape(`{"id":9002}`)
	tests := []struct {
		name    string
		raw     string
		token   string
		now     time.Time
		want    error
		wantUID int64
	}{
		{"as Telegram signs it", good, testToken, t0, nil, 9001},
		{"with signature, hashed with it (Telegram's documentation)", withSig(false), testToken, t0, nil, 9001},
		{"with signature, hashed without it (some clients)", withSig(true), testToken, t0, nil, 9001},
		{"another bot's token", good, "654321:other", t0, errForged, 0},
		{"user changed after signing", tampered.Encode(), testToken, t0, errForged, 0},
		{"a field given twice", twice, testToken, t0, errBadInit, 0},
		{"no hash", strings.Split(good, "&hash=")[0], testToken, t0, errBadInit, 0},
		{"a day and a second old", good, testToken, t0.Add(InitDataMaxAge - time.Hour + time.Second), errStale, 0},
		{"just under a day old", good, testToken, t0.Add(InitDataMaxAge - time.Hour - time.Second), nil, 9001},
		{"signed in the future", SignInitData(testToken, 9001, "x", "zh", t0.Add(10*time.Minute)), testToken, t0, errStale, 0},
		{"garbage", "%zz", testToken, t0, errBadInit, 0},
		{"no token configured", good, "", t0, errBadInit, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ValidateInitData(tt.raw, tt.token, tt.now, InitDataMaxAge)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidateInitData err = %v, want %v", err, tt.want)
			}
			if d.User != tt.wantUID {
				t.Errorf("User = %d, want %d", d.User, tt.wantUID)
			}
			if tt.want == nil && d.Lang != "en" && !strings.Contains(tt.raw, "signature") {
				t.Errorf("Lang = %q, want en", d.Lang)
			}
		})
	}
}

func TestSignedLinks(t *testing.T) {
	s := newSigner(testToken)
	c := claims{Use: useLogin, User: 9001, Lang: "zh", Exp: t0.Add(LinkTTL).Unix(), Nonce: randomID(16)}
	tok := s.sign(c)
	body, sig, _ := strings.Cut(tok, ".")
	other := newSigner("654321:other").sign(c)
	tests := []struct {
		name string
		tok  string
		use  string
		now  time.Time
		want error
	}{
		{"fresh", tok, useLogin, t0, nil},
		{"a second before it expires", tok, useLogin, t0.Add(LinkTTL - time.Second), nil},
		{"expired", tok, useLogin, t0.Add(LinkTTL), errExpired},
		{"signed with another token", other, useLogin, t0, errBadLink},
		{"signature cut", body + "." + sig[:10], useLogin, t0, errBadLink},
		{"body changed", strings.Replace(body, "e", "f", 1) + "." + sig, useLogin, t0, errBadLink},
		{"a login link used to download", tok, useDownload, t0, errWrongUsage},
		{"no dot", body, useLogin, t0, errBadLink},
		{"too long", strings.Repeat("a", 3000) + "." + sig, useLogin, t0, errBadLink},
	}
	for _, tt := range tests {
		got, err := s.verify(tt.tok, tt.use, tt.now)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: verify err = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == nil && got != c {
			t.Errorf("%s: claims = %+v, want %+v", tt.name, got, c)
		}
	}
	// The link key is not Telegram's Mini App key: neither passes for the
	// other.
	if string(newSigner(testToken).key) == string(mac([]byte("WebAppData"), []byte(testToken))) {
		t.Error("links are signed with the Mini App key")
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		kind Kind
		id   string
		ok   bool
	}{
		{"d:", KindDeployment, "", true},
		{"d:x", "", "", false},
		{"u:keqiao", KindUnit, "keqiao", true},
		{"u:t:平水镇", KindUnit, "t:平水镇", true}, // a town only /setup named
		{"u:", "", "", false},
		{"t:平水镇", "", "", false},
		{"v:-1001000000101", KindVillage, "-1001000000101", true},
		{"v:", "", "", false},
		{"p:traffic", KindDept, "traffic", true},
		{"x:1", "", "", false},
		{"d", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		k, id, ok := ParseKey(tt.key)
		if ok != tt.ok || (ok && (k != tt.kind || id != tt.id)) {
			t.Errorf("ParseKey(%q) = %q %q %v, want %q %q %v", tt.key, k, id, ok, tt.kind, tt.id, tt.ok)
		}
		if ok && (Unit{Kind: k, ID: id}).Key() != tt.key {
			t.Errorf("Key of ParseKey(%q) = %q", tt.key, Unit{Kind: k, ID: id}.Key())
		}
	}
}
