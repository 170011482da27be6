// Package chart draws pgkeeper's trend pictures: pure functions from values
// to PNG bytes, sized and styled to be read on a phone in a Telegram chat,
// with plain-text fallbacks of the same figures for when a photo cannot be
// sent.
//
// It renders with gonum.org/v1/plot and its built-in Liberation fonts: no
// cgo, no system fonts, the same picture on every machine. Every function is
// safe for concurrent use.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Width and Height are a chart's size in pixels: wide enough for a month of
// daily points, and a ratio Telegram shows whole in a chat without cropping.
const (
	Width  = 1000
	Height = 700
)

// ErrNoData is what Sizes and Backups return when there is nothing to draw:
// the caller says so in words (SizesText and BackupsText do) rather than
// sending an empty picture.
var ErrNoData = errors.New("no data yet")

// Series colours, from the Okabe–Ito palette: told apart by colour-blind
// readers too, and distinct enough to be found pixel by pixel in tests.
var (
	ColorDatabase   = color.RGBA{R: 0, G: 114, B: 178, A: 255}   // blue
	ColorKeysTable  = color.RGBA{R: 230, G: 159, B: 0, A: 255}   // orange
	ColorKeysRows   = color.RGBA{R: 0, G: 158, B: 115, A: 255}   // bluish green
	ColorBackupSize = color.RGBA{R: 0, G: 114, B: 178, A: 255}   // blue
	ColorBackupTook = color.RGBA{R: 213, G: 94, B: 0, A: 255}    // vermillion
	gridColor       = color.RGBA{R: 221, G: 221, B: 221, A: 255} // light grey
)

// Sizes in pixels (the canvas is drawn at 72 dpi, so a point is a pixel).
// Telegram shows a 1000 px picture about 400 px wide on a phone: text must be
// over 20 px here to stay legible there.
const (
	titleSize  = 30
	labelSize  = 26
	legendSize = 26
	lineWidth  = 5
	glyphSize  = 6
)

// series is one line of a panel: its legend text, colour and points (x in
// Unix seconds, y in the panel's unit).
type series struct {
	name  string
	color color.Color
	xys   plotter.XYs
}

// panel is one plot of a figure: panels are stacked, one per unit, since a
// size in bytes and a count of rows share no axis.
type panel struct {
	title  string
	yLabel func(v float64) string // a y tick's label
	series []series
}

// render draws panels stacked top to bottom, sharing one time axis whose
// dates are shown in loc, and encodes them as PNG.
func render(panels []panel, loc *time.Location) ([]byte, error) {
	if len(panels) == 0 {
		return nil, ErrNoData
	}
	xmin, xmax := xRange(panels)
	plots := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		plt, err := p.plot(xmin, xmax, loc, len(panels))
		if err != nil {
			return nil, err
		}
		plots[i] = []*plot.Plot{plt}
	}
	img := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(72))
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: 24, PadTop: 12, PadBottom: 12, PadLeft: 12, PadRight: 28}
	canvases := plot.Align(plots, tiles, draw.New(img))
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// xRange is the time span of all panels' points, widened around a single
// instant so that one sample still makes a readable axis.
func xRange(panels []panel) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		for _, s := range p.series {
			for _, xy := range s.xys {
				lo, hi = math.Min(lo, xy.X), math.Max(hi, xy.X)
			}
		}
	}
	if hi-lo < 3600 {
		mid := (lo + hi) / 2
		lo, hi = mid-12*3600, mid+12*3600
	}
	return lo, hi
}

func sans(size vg.Length, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return f
}

// plot builds the panel's plot: thick lines with a dot per sample (a single
// sample has no line to draw), y from zero with headroom for the legend.
func (p panel) plot(xmin, xmax float64, loc *time.Location, panels int) (*plot.Plot, error) {
	plt := plot.New()
	plt.Title.Text = p.title
	plt.Title.TextStyle.Font = sans(titleSize, true)
	plt.Title.Padding = 10
	for _, ax := range []*plot.Axis{&plt.X, &plt.Y} {
		ax.Tick.Label.Font = sans(labelSize, false)
		ax.Tick.Length = 8
		ax.Width = 2
		ax.Tick.Width = 2
	}
	plt.X.Tick.Marker = timeTicks{loc: loc}
	plt.Y.Tick.Marker = niceTicks{format: p.yLabel}
	plt.Legend.TextStyle.Font = sans(legendSize, false)
	plt.Legend.Top, plt.Legend.Left = true, true
	plt.Legend.ThumbnailWidth = 40
	plt.Legend.Padding = 6
	plt.Legend.XOffs, plt.Legend.YOffs = 16, -4

	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	grid.Vertical.Width, grid.Horizontal.Width = 1, 1
	plt.Add(grid)

	ymax := 0.0
	for _, s := range p.series {
		line, dots, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", s.name, err)
		}
		line.Color, line.Width = s.color, lineWidth
		dots.Color, dots.Radius, dots.Shape = s.color, glyphSize, draw.CircleGlyph{}
		plt.Add(line, dots)
		plt.Legend.Add(s.name, line)
		for _, xy := range s.xys {
			ymax = math.Max(ymax, xy.Y)
		}
	}
	if ymax <= 0 {
		ymax = 1
	}
	// Sizes start at zero so that the height of a line is its size; the
	// headroom keeps the top-left legend clear of the lines.
	plt.X.Min, plt.X.Max = xmin, xmax
	plt.Y.Min, plt.Y.Max = 0, ymax/(1-legendShare(len(p.series), panels))
	return plt, nil
}

// legendShare is the share of a panel's data area, from the top, that a
// legend of entries takes (with a margin), when panels share the picture's
// height. The estimate of the data area's height leaves out the panel's
// title and time axis (about 100 px together).
func legendShare(entries, panels int) float64 {
	dataHeight := float64(Height-40)/float64(panels) - 100
	legend := float64(entries)*(legendSize*1.15+6) + 20
	return min(legend/dataHeight, 0.6)
}
