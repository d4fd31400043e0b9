// Package i18n holds every user-visible string of cadrebot in message
// catalogs (zh and en) and renders them for Telegram's HTML parse mode.
//
// Catalog files live in locales/ as FEATURE.LANG.yaml, so each feature owns
// its strings. Template arguments of type string are HTML-escaped on the way
// in; only values wrapped in HTML are trusted. That makes forgetting to
// escape user text impossible rather than merely unlikely.
package i18n

import (
	"embed"
	"fmt"
	"html"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goccy/go-yaml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.yaml
var locales embed.FS

// Languages are the supported catalog languages; the first is the default.
var Languages = []string{"zh", "en"}

// HTML marks a template argument as already safe for parse mode HTML.
type HTML string

// Args are template arguments. Strings are escaped; HTML is not.
type Args map[string]any

// Catalog renders messages by ID.
type Catalog struct {
	bundle     *goi18n.Bundle
	ids        map[string]map[string]bool // lang -> ids
	mu         sync.Mutex
	localizers map[string]*goi18n.Localizer
	fallback   string
	// plural names, per language and message, the argument whose value
	// picks the message's plural form (see Load).
	plural map[string]map[string]string
	// terms are the words a deployment chooses (SetTerm), by language.
	terms atomic.Pointer[map[string]map[string]string]
}

// Terms every message may use, filled in by T unless the caller passes
// an argument of the same name: Title is what the deployment calls its
// cadres (config cadre_title, default 驻村指导员), Titles the same in the
// plural (English only differs).
const (
	TermTitle  = "Title"
	TermTitles = "Titles"
)

// defaultTerms are the terms before SetTerm.
var defaultTerms = map[string]map[string]string{
	"zh": {TermTitle: "驻村指导员", TermTitles: "驻村指导员"},
	"en": {TermTitle: "resident instructor", TermTitles: "resident instructors"},
}

// SetTerm sets a term of lang. Call it at start, before messages are
// rendered; it is safe meanwhile, but a message rendered at the same
// moment may use either value.
func (c *Catalog) SetTerm(lang, name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]map[string]string{}
	for l, ts := range *c.terms.Load() {
		next[l] = map[string]string{}
		for k, v := range ts {
			next[l][k] = v
		}
	}
	if next[lang] == nil {
		next[lang] = map[string]string{}
	}
	next[lang][name] = value
	c.terms.Store(&next)
}

// SetTitle sets the cadres' title in both languages: Title and Titles
// (the English plural made by PluralEn).
func (c *Catalog) SetTitle(zh, en string) {
	if zh != "" {
		c.SetTerm("zh", TermTitle, zh)
		c.SetTerm("zh", TermTitles, zh)
	}
	if en != "" {
		c.SetTerm("en", TermTitle, en)
		c.SetTerm("en", TermTitles, PluralEn(en))
	}
}

// PluralEn is the plural of an English noun phrase, by its last word:
// "first secretary" → "first secretaries", "coach" → "coaches",
// "resident instructor" → "resident instructors".
func PluralEn(s string) string {
	l := strings.ToLower(s)
	switch {
	case s == "":
		return s
	case strings.HasSuffix(l, "y") && len(l) > 1 && !strings.ContainsRune("aeiou", rune(l[len(l)-2])):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(l, "s") || strings.HasSuffix(l, "x") || strings.HasSuffix(l, "ch") || strings.HasSuffix(l, "sh"):
		return s + "es"
	}
	return s + "s"
}

// pluralPrefix starts a message's description when one of its arguments
// picks its plural form: "description: plural Workdays" with forms one
// and other, so that English reads "1 workday", "2 workdays".
const pluralPrefix = "plural "

// Load parses the embedded catalogs. fallback is the deployment language.
func Load(fallback string) (*Catalog, error) {
	b := goi18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string]map[string]bool{}, localizers: map[string]*goi18n.Localizer{}, fallback: Normalize(fallback),
		plural: map[string]map[string]string{}}
	terms := defaultTerms
	c.terms.Store(&terms)
	files, err := fs.Glob(locales, "locales/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("i18n: list catalogs: %w", err)
	}
	for _, f := range files {
		buf, err := locales.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", f, err)
		}
		mf, err := b.ParseMessageFileBytes(buf, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("i18n: parse %s: %w", f, err)
		}
		lang := Normalize(mf.Tag.String())
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			if c.ids[lang][m.ID] {
				return nil, fmt.Errorf("i18n: %s: duplicate message id %q", f, m.ID)
			}
			c.ids[lang][m.ID] = true
			if arg, ok := strings.CutPrefix(m.Description, pluralPrefix); ok {
				if m.One == "" || m.Other == "" {
					return nil, fmt.Errorf("i18n: %s: %q is plural by %s but lacks one or other", f, m.ID, arg)
				}
				if c.plural[lang] == nil {
					c.plural[lang] = map[string]string{}
				}
				c.plural[lang][m.ID] = strings.TrimSpace(arg)
			}
		}
	}
	return c, nil
}

// Normalize maps a Telegram language_code or a setting to a catalog language.
func Normalize(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if strings.HasPrefix(lang, "en") {
		return "en"
	}
	if strings.HasPrefix(lang, "zh") {
		return "zh"
	}
	return ""
}

// Supported reports whether lang names a catalog language exactly.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

func (c *Catalog) localizer(lang string) *goi18n.Localizer {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.localizers[lang]
	if !ok {
		l = goi18n.NewLocalizer(c.bundle, lang, c.fallback, "zh")
		c.localizers[lang] = l
	}
	return l
}

// T renders message id in lang (falling back to the deployment language) as
// HTML. A missing id renders as the id itself, so a bug shows up in review
// instead of as silence.
func (c *Catalog) T(lang, id string, args ...Args) string {
	if n := Normalize(lang); n != "" {
		lang = n
	} else {
		lang = c.fallback
	}
	terms := (*c.terms.Load())[lang]
	n := len(terms)
	if len(args) > 0 {
		n += len(args[0])
	}
	data := make(map[string]any, n)
	for k, v := range terms {
		data[k] = html.EscapeString(v)
	}
	if len(args) > 0 {
		for k, v := range args[0] {
			data[k] = escape(v)
		}
	}
	lc := &goi18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if arg, ok := c.plural[lang][id]; ok {
		lc.PluralCount = data[arg]
	}
	s, err := c.localizer(lang).Localize(lc)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether id exists in lang.
func (c *Catalog) Has(lang, id string) bool { return c.ids[lang][id] }

// IDs lists the message ids of lang, sorted.
func (c *Catalog) IDs(lang string) []string {
	out := make([]string, 0, len(c.ids[lang]))
	for id := range c.ids[lang] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func escape(v any) any {
	switch x := v.(type) {
	case string:
		return html.EscapeString(x)
	case HTML:
		return string(x)
	case fmt.Stringer:
		return html.EscapeString(x.String())
	default:
		return v
	}
}

// Escape escapes user text for parse mode HTML, for text built outside the
// catalogs (for example joined lists).
func Escape(s string) string { return html.EscapeString(s) }

// Plain turns rendered HTML into plain text, for places Telegram shows
// without a parse mode: callback toasts and the "/" menu.
func Plain(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return html.UnescapeString(b.String())
}
