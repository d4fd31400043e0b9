package i18n

import (
	"strings"
	"testing"
)

func TestEveryIDInEveryLanguage(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for _, id := range c.IDs(a) {
				if !c.Has(b, id) {
					t.Errorf("message %q is in %s but missing in %s", id, a, b)
				}
			}
		}
	}
	if len(c.IDs("zh")) == 0 {
		t.Fatal("no messages loaded")
	}
}

func TestArgsAreEscaped(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	got := c.T("en", "error_internal_ref", Args{"Ref": "<b>&"})
	if strings.Contains(got, "<b>&") || !strings.Contains(got, "&lt;b&gt;&amp;") {
		t.Errorf("T(error_internal_ref) = %q, want escaped argument", got)
	}
	got = c.T("en", "error_internal_ref", Args{"Ref": HTML("<b>x</b>")})
	if !strings.Contains(got, "<b>x</b>") {
		t.Errorf("T with HTML arg = %q, want it verbatim", got)
	}
}

func TestFallbackAndNormalize(t *testing.T) {
	c, err := Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.T("fr", "unavailable"), c.T("zh", "unavailable"); got != want {
		t.Errorf("T(fr) = %q, want zh fallback %q", got, want)
	}
	for in, want := range map[string]string{"en-US": "en", "zh-hans": "zh", "": "", "fr": ""} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := c.T("en", "no-such-id"); got != "no-such-id" {
		t.Errorf("missing id renders %q", got)
	}
}
