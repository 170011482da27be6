package chart

import (
	"sort"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Backups draws each run's size (top panel) and duration (bottom panel), a
// dot per run, as a Width×Height PNG; runs need not be sorted. With no runs
// it returns ErrNoData.
func Backups(runs []jobs.BackupPoint) ([]byte, error) {
	return render(backupPanels(runs), location(len(runs), func(i int) time.Time { return runs[i].At }))
}

// backupPanels are the panels Backups draws.
func backupPanels(runs []jobs.BackupPoint) []panel {
	if len(runs) == 0 {
		return nil
	}
	rs := sortedRuns(runs)
	var size, took plotter.XYs
	u := durationUnit(rs)
	for _, r := range rs {
		x := float64(r.At.Unix())
		size = append(size, plotter.XY{X: x, Y: float64(r.Bytes)})
		took = append(took, plotter.XY{X: x, Y: r.Duration.Seconds() / u.size})
	}
	last := rs[len(rs)-1]
	return []panel{
		{title: "Backup size (compressed)", yLabel: func(v float64) string { return scaled(v, byteUnits) }, series: []series{
			{name: "last " + humanize.Bytes(last.Bytes), color: ColorBackupSize, xys: size},
		}},
		{title: "Backup duration", yLabel: func(v float64) string { return scaled(v, []unit{{1, u.suffix}}) }, series: []series{
			{name: "last " + humanize.Duration(last.Duration), color: ColorBackupTook, xys: took},
		}},
	}
}

func sortedRuns(runs []jobs.BackupPoint) []jobs.BackupPoint {
	rs := append([]jobs.BackupPoint(nil), runs...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })
	return rs
}

// durationUnit is the unit (in seconds) the duration axis is drawn in, chosen
// by the longest run so that the ticks fall on round numbers of it.
func durationUnit(runs []jobs.BackupPoint) unit {
	var longest time.Duration
	for _, r := range runs {
		longest = max(longest, r.Duration)
	}
	switch {
	case longest >= 2*time.Hour:
		return unit{3600, " h"}
	case longest >= 2*time.Minute:
		return unit{60, " min"}
	default:
		return unit{1, " s"}
	}
}
