package chart

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// maxTimeTicks bounds the labelled ticks of the time axis: at the label size
// a phone needs, more would overlap.
const maxTimeTicks = 7

// tickSteps are the time axis' candidate steps, smallest first.
var tickSteps = []time.Duration{
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
}

// timeTicks marks a time axis (Unix seconds) at whole hours or local
// midnights, labelled "Jan 2" at midnight and "15:04" otherwise. gonum's own
// TimeTicks puts ticks at round numbers of seconds, which fall at odd times
// of day.
type timeTicks struct {
	loc *time.Location
}

// Ticks implements plot.Ticker.
func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	loc := t.loc
	if loc == nil {
		loc = time.UTC
	}
	from, to := time.Unix(int64(lo), 0).In(loc), time.Unix(int64(hi), 0).In(loc)
	span := to.Sub(from)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s < maxTimeTicks {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for at := firstTick(from, step); !at.After(to); at = nextTick(at, step) {
		label := at.Format("15:04")
		if at.Hour() == 0 && at.Minute() == 0 {
			label = at.Format("Jan 2")
		}
		ticks = append(ticks, plot.Tick{Value: float64(at.Unix()), Label: label})
	}
	return ticks
}

// firstTick is the first whole step at or after from: a whole hour for steps
// under a day, else a local midnight (days are stepped by the calendar, so
// that a DST change does not shift the ticks off midnight).
func firstTick(from time.Time, step time.Duration) time.Time {
	if step < 24*time.Hour {
		h := int(step / time.Hour)
		at := time.Date(from.Year(), from.Month(), from.Day(), from.Hour()/h*h, 0, 0, 0, from.Location())
		for at.Before(from) {
			at = at.Add(step)
		}
		return at
	}
	at := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, from.Location())
	if at.Before(from) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}

func nextTick(at time.Time, step time.Duration) time.Time {
	if step < 24*time.Hour {
		return at.Add(step)
	}
	return at.AddDate(0, 0, int(step/(24*time.Hour)))
}

// niceTicks marks a y axis at five or six round values (1, 2, 2.5 or 5 times
// a power of ten), each labelled with format. gonum's DefaultTicks gives only
// two or three labels at this font size, too few to read a value off.
type niceTicks struct {
	format func(float64) string
}

// Ticks implements plot.Ticker.
func (n niceTicks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep((hi - lo) / 6)
	if step <= 0 || math.IsInf(step, 0) || math.IsNaN(step) {
		return nil
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		label := strconv.FormatFloat(v, 'g', -1, 64)
		if n.format != nil {
			label = n.format(v)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// niceStep is the smallest round step at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 0
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// compact formats a count for an axis: 950, 12k, 1.5M.
func compact(v float64) string {
	return scaled(v, []unit{{1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}})
}

// scaled formats v in the largest of units (value, suffix; smallest first)
// that it reaches, with at most three significant digits: "1.2 GB", "200 MB".
func scaled(v float64, units []unit) string {
	u := units[0]
	for _, c := range units[1:] {
		if v >= c.size {
			u = c
		}
	}
	return strconv.FormatFloat(v/u.size, 'g', 3, 64) + u.suffix
}

// unit is one step of a scale: its size in base units and its suffix.
type unit struct {
	size   float64
	suffix string
}

// Decimal byte units, as humanize.Bytes uses in the text reports.
var byteUnits = []unit{{1, " B"}, {1e3, " kB"}, {1e6, " MB"}, {1e9, " GB"}, {1e12, " TB"}}
