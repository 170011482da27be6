package chart

import (
	"sort"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Sizes draws the database's and the keys table's size (top panel, bytes)
// and the keys table's row count (bottom panel) over the points' span, as a
// Width×Height PNG. The caller chooses the span (the last 30 days for
// /trends); points need not be sorted. With no figure to draw it returns
// ErrNoData.
func Sizes(points []jobs.SizePoint) ([]byte, error) {
	return render(sizePanels(points), location(len(points), func(i int) time.Time { return points[i].At }))
}

// sizePanels are the panels Sizes draws; a panel with no series is left out.
func sizePanels(points []jobs.SizePoint) []panel {
	ps := sortedSizes(points)
	var db, kt, rows plotter.XYs
	for _, p := range ps {
		x := float64(p.At.Unix())
		if p.DatabaseBytes > 0 {
			db = append(db, plotter.XY{X: x, Y: float64(p.DatabaseBytes)})
		}
		if p.KeysTableBytes > 0 {
			kt = append(kt, plotter.XY{X: x, Y: float64(p.KeysTableBytes)})
			rows = append(rows, plotter.XY{X: x, Y: float64(p.KeysRows)})
		}
	}
	bytesLabel := func(v float64) string { return scaled(v, byteUnits) }
	size := panel{title: "Size", yLabel: bytesLabel}
	if len(db) > 0 {
		size.series = append(size.series, series{name: "database, now " + humanize.Bytes(lastY(db)), color: ColorDatabase, xys: db})
	}
	if len(kt) > 0 {
		size.series = append(size.series, series{name: "keys table, now " + humanize.Bytes(lastY(kt)), color: ColorKeysTable, xys: kt})
	}
	var panels []panel
	if len(size.series) > 0 {
		panels = append(panels, size)
	}
	if len(rows) > 0 {
		panels = append(panels, panel{title: "Keys (rows)", yLabel: compact, series: []series{
			{name: "keys, now " + humanize.Int(lastY(rows)), color: ColorKeysRows, xys: rows},
		}})
	}
	return panels
}

func sortedSizes(points []jobs.SizePoint) []jobs.SizePoint {
	ps := append([]jobs.SizePoint(nil), points...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].At.Before(ps[j].At) })
	return ps
}

func lastY(xys plotter.XYs) int64 { return int64(xys[len(xys)-1].Y) }

// location is the time zone the points were given in (the first one's), so
// that the axis shows the operators' dates (SCHEDULE_TZ) when the caller
// converts to it.
func location(n int, at func(int) time.Time) *time.Location {
	if n == 0 {
		return time.UTC
	}
	return at(0).Location()
}
