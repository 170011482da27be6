package render

// Page is one page of a long list for the chat: Index counts from 0, and
// Size items fill a page (0: the whole list is one page).
type Page struct{ Index, Size int }

// Count is how many pages n items fill: at least one, even for none.
func (p Page) Count(n int) int {
	if p.Size <= 0 || n <= p.Size {
		return 1
	}
	return (n + p.Size - 1) / p.Size
}

// In is p moved onto the pages n items fill: a page past the end is the
// last one (the list may have shrunk since the page before was shown).
func (p Page) In(n int) Page {
	p.Index = min(max(p.Index, 0), p.Count(n)-1)
	return p
}

// Span is the items of n on page p: from, to (exclusive).
func (p Page) Span(n int) (from, to int) {
	p = p.In(n)
	if p.Size <= 0 {
		return 0, n
	}
	return min(p.Index*p.Size, n), min((p.Index+1)*p.Size, n)
}

// Last reports whether p is the last page of n items.
func (p Page) Last(n int) bool { return p.In(n).Index == p.Count(n)-1 }
