package chart

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// sanitize turns caller text into a single line that f can draw:
// whitespace controls become spaces, other controls are dropped, runes
// without a glyph in f (emoji, a hanzi outside the embedded subset) become
// '?' and runaway text is cut at maxLabelRune runes so that later width
// fitting stays cheap.
func sanitize(f *opentype.Font, s string) string {
	var (
		b   strings.Builder
		buf sfnt.Buffer
		n   int
	)
	for _, c := range s {
		if n >= maxLabelRune {
			b.WriteString("...")
			break
		}
		switch {
		case c == utf8.RuneError:
			c = '?'
		case unicode.IsSpace(c):
			c = ' '
		case !unicode.IsPrint(c):
			continue
		case !has(f, &buf, c):
			c = '?'
		}
		b.WriteRune(c)
		n++
	}
	return strings.TrimSpace(b.String())
}

// fit shortens s with a trailing "..." until it is at most w wide.
func fit(sty text.Style, s string, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 {
		rs = rs[:len(rs)-1]
		t := strings.TrimRight(string(rs), " ") + "..."
		if sty.Width(t) <= w {
			return t
		}
	}
	return ""
}

// stack returns s one rune per line when every rune is a wide (CJK)
// character, which reads upright in a column, and "" otherwise.
func stack(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i, r := range []rune(s) {
		// U+2E80 on is CJK radicals, kana, hanzi, Hangul and full-width
		// forms; below it nothing reads well turned upright.
		if r < 0x2e80 {
			return ""
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// splitMiddle breaks s at the space nearest its middle so "Mon 11-23"
// becomes "Mon\n11-23"; text without spaces is returned unchanged.
func splitMiddle(s string) string {
	best := -1
	mid := len(s) / 2
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && (best < 0 || abs(i-mid) < abs(best-mid)) {
			best = i
		}
	}
	if best < 0 {
		return s
	}
	return s[:best] + "\n" + s[best+1:]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
