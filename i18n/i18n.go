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
}

// Load parses the embedded catalogs. fallback is the deployment language.
func Load(fallback string) (*Catalog, error) {
	b := goi18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string]map[string]bool{}, localizers: map[string]*goi18n.Localizer{}, fallback: Normalize(fallback)}
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
	var data map[string]any
	if len(args) > 0 {
		data = make(map[string]any, len(args[0]))
		for k, v := range args[0] {
			data[k] = escape(v)
		}
	}
	s, err := c.localizer(lang).Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
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
