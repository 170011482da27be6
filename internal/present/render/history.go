package render

import (
	"fmt"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// HistoryPage renders a page of runs (jobs.History.Page), size a page: as
// History when it is every run on one page, else with which runs of how
// many, the filter they match and the page.
func HistoryPage(r jobs.HistoryReport, size int, f Format) string {
	p := Page{Size: size}
	pages := p.Count(r.Total)
	if size > 0 {
		p.Index = r.Offset / size
	}
	d := &doc{f: f}
	filter := r.Filter.String()
	switch {
	case filter == "" && pages == 1:
		return History(r, f)
	case r.Total == 0:
		d.line(d.bold("Runs · " + filter))
		d.text("No run matches " + filter + ". /history alone shows every run.")
		return d.String()
	}
	title := fmt.Sprintf("Runs %d–%d of %d", r.Offset+1, r.Offset+len(r.Runs), r.Total)
	if filter != "" {
		title = "Runs · " + filter + " · " + title[len("Runs "):]
	}
	if pages > 1 {
		title += fmt.Sprintf(" · page %d of %d", p.Index+1, pages)
	}
	d.line(d.bold(title))
	historyRows(d, r.Runs)
	return d.String()
}
