package render

import "strings"

// TelegramLimit is the most characters one Telegram message may carry.
const TelegramLimit = 4096

// Split cuts a rendered report into messages of at most limit characters (runes),
// only between lines, and never inside a <pre> block, so no tag is cut in two.
// A single line longer than limit is cut at a rune boundary as a last resort;
// render never writes such a line with tags in it.
func Split(text string, limit int) []string {
	if len([]rune(text)) <= limit {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if s := strings.Trim(cur.String(), "\n"); s != "" {
			out = append(out, s)
		}
		cur.Reset()
		curLen = 0
	}
	for _, block := range blocks(text) {
		n := len([]rune(block))
		if curLen+n > limit {
			flush()
		}
		for n > limit {
			r := []rune(block)
			out = append(out, string(r[:limit]))
			block = string(r[limit:])
			n = len(r) - limit
		}
		cur.WriteString(block)
		curLen += n
	}
	flush()
	return out
}

// blocks splits text into lines (each with its newline), keeping a <pre>…</pre>
// block together as one.
func blocks(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	var out []string
	var pre strings.Builder
	inPre := false
	for _, l := range lines {
		if l == "" {
			continue
		}
		if inPre || strings.Contains(l, "<pre>") && !strings.Contains(l, "</pre>") {
			inPre = true
			pre.WriteString(l)
			if strings.Contains(l, "</pre>") {
				inPre = false
				out = append(out, pre.String())
				pre.Reset()
			}
			continue
		}
		out = append(out, l)
	}
	if pre.Len() > 0 {
		out = append(out, pre.String())
	}
	return out
}
