package render

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	long := strings.Repeat("<b>line</b> with some words\n", 400) + "<pre>a\nb\nc</pre>\nend"
	tests := []struct {
		name  string
		give  string
		limit int
		parts int // 0: more than one
	}{
		{"short stays whole", "<b>hi</b>\nthere", 4096, 1},
		{"long splits between lines", long, 4096, 0},
		{"tiny limit still cuts cleanly", "<b>aa</b>\n<b>bb</b>\n<b>cc</b>", 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.give, tt.limit)
			if tt.parts > 0 && len(got) != tt.parts {
				t.Fatalf("got %d parts, want %d: %q", len(got), tt.parts, got)
			}
			if tt.parts == 0 && len(got) < 2 {
				t.Fatalf("want several parts, got %d", len(got))
			}
			var joined []string
			for _, p := range got {
				if n := len([]rune(p)); n > tt.limit {
					t.Errorf("part of %d runes over limit %d", n, tt.limit)
				}
				for _, tag := range []string{"b", "pre"} {
					if strings.Count(p, "<"+tag+">") != strings.Count(p, "</"+tag+">") {
						t.Errorf("part cuts a <%s> tag: %q", tag, p)
					}
				}
				joined = append(joined, p)
			}
			if strings.ReplaceAll(strings.Join(joined, "\n"), "\n", "") != strings.ReplaceAll(tt.give, "\n", "") {
				t.Error("splitting lost or changed text")
			}
		})
	}
}
