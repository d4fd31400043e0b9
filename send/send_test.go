package send

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	line := strings.Repeat("村", 100) + "\n"
	long := strings.Repeat(line, 100) // 10100 runes
	tests := []struct {
		name string
		in   string
		max  int
		want int
	}{
		{"short", "hello", 4096, 1},
		{"lines", long, 4096, 3},
		{"one huge line", strings.Repeat("a&amp;b", 2000), 4096, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := Split(tt.in, tt.max)
			if len(parts) != tt.want {
				t.Fatalf("Split gave %d parts, want %d", len(parts), tt.want)
			}
			total := 0
			for _, p := range parts {
				if n := utf8.RuneCountInString(p); n > tt.max {
					t.Errorf("part has %d runes > %d", n, tt.max)
				}
				if strings.HasSuffix(p, "&amp") || strings.HasSuffix(p, "&") {
					t.Errorf("part cut inside an entity: ...%q", p[len(p)-5:])
				}
				total += len(strings.ReplaceAll(p, "\n", ""))
			}
			if want := len(strings.ReplaceAll(tt.in, "\n", "")); total != want {
				t.Errorf("parts hold %d bytes, want %d: text lost", total, want)
			}
		})
	}
}

func TestSplitKeepsTags(t *testing.T) {
	s := strings.Repeat("x", 4090) + "<b>bold</b>"
	parts := Split(s, 4096)
	if len(parts) != 2 || !strings.HasPrefix(parts[1], "<b>") {
		t.Fatalf("Split cut inside a tag: %d parts, second starts %q", len(parts), parts[len(parts)-1][:3])
	}
}
