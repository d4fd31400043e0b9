package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration that YAML spells like Go ("72h", "30m",
// "5s") plus a leading day count ("7d", "2d12h"), because SLAs are
// naturally written in days. A day is always 24h: SLAs are elapsed time,
// not calendar days, so DST never stretches or shrinks one.
type Duration struct{ time.Duration }

// ParseDuration parses the YAML spelling of a Duration: an optional sign,
// an optional whole number of days, then anything time.ParseDuration takes.
// An empty string is zero, meaning "use the default".
func ParseDuration(s string) (time.Duration, error) {
	const want = "want whole days first, then numbers with units h, m or s, as in 72h, 7d or 2d12h"
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := s[0] == '-'
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
		if s == "" {
			return 0, fmt.Errorf("invalid duration %q: %s", orig, want)
		}
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		if i == 0 || strings.TrimLeft(s[:i], "0123456789") != "" {
			return 0, fmt.Errorf("invalid duration %q: %s", orig, want)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("invalid duration %q: too long", orig)
		}
		days, s = n, s[i+1:]
	}
	d := time.Duration(days) * 24 * time.Hour
	if s != "" {
		// A sign after the days ("2d-3h") is a typo, not arithmetic.
		if s[0] == '-' || s[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q: %s", orig, want)
		}
		rest, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %s", orig, want)
		}
		if rest > math.MaxInt64-d {
			return 0, fmt.Errorf("invalid duration %q: too long", orig)
		}
		d += rest
	}
	if neg {
		d = -d
	}
	return d, nil
}

// String formats d so that ParseDuration reads it back, using days for
// whole days and dropping Go's trailing zero units ("12h0m0s" → "12h").
func (d Duration) String() string {
	v := d.Duration
	sign := ""
	if v < 0 {
		// -MinInt64 overflows; such a value is nonsense anyway, so let Go
		// spell it.
		if v == math.MinInt64 {
			return v.String()
		}
		sign, v = "-", -v
	}
	const day = 24 * time.Hour
	days := v / day
	v -= days * day
	var b strings.Builder
	b.WriteString(sign)
	if days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10))
		b.WriteByte('d')
		if v == 0 {
			return b.String()
		}
	}
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	b.WriteString(s)
	return b.String()
}

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}

// UnmarshalYAML takes the AST node rather than bytes so a bad value can be
// reported with its field path and position; the YAML library passes
// errors from unmarshalers through without either.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	var s string
	switch n := node.(type) {
	case *ast.NullNode:
		d.Duration = 0
		return nil
	case *ast.StringNode:
		s = n.Value
	case *ast.IntegerNode, *ast.FloatNode:
		s = n.GetToken().Value
	default:
		return newNodeError(node, fmt.Errorf("want a duration such as 72h or 7d, got a %s", node.Type()))
	}
	v, err := ParseDuration(s)
	if err != nil {
		return newNodeError(node, err)
	}
	d.Duration = v
	return nil
}

// nodeError is a value error found while decoding, carrying where it was so
// Load can name the field instead of the whole file.
type nodeError struct {
	path         string // e.g. "categories[0].sla"
	line, column int
	err          error
}

func newNodeError(node ast.Node, err error) *nodeError {
	e := &nodeError{path: strings.TrimPrefix(strings.TrimPrefix(node.GetPath(), "$"), "."), err: err}
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		e.line, e.column = tk.Position.Line, tk.Position.Column
	}
	return e
}

func (e *nodeError) Error() string {
	return fmt.Sprintf("[%d:%d] %s: %v", e.line, e.column, e.path, e.err)
}

func (e *nodeError) Unwrap() error { return e.err }
