package chart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// decode checks that data is a PNG of Width×Height and returns it.
func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, Height)
	}
	return img
}

// pixels counts the pixels of exactly colour c: a series' line is drawn in its
// colour, so thousands of them mean the line is there (a legend's sample
// alone is a few hundred).
func pixels(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				n++
			}
		}
	}
	return n
}

// minLinePixels is fewer pixels than a month's line draws, more than a legend.
const minLinePixels = 1000

func TestSizesDrawsEverySeries(t *testing.T) {
	data, err := Sizes(sampleSizes())
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	for name, c := range map[string]color.RGBA{"database": ColorDatabase, "keys table": ColorKeysTable, "keys": ColorKeysRows} {
		if n := pixels(img, c); n < minLinePixels {
			t.Errorf("%s: %d pixels of its colour, want at least %d", name, n, minLinePixels)
		}
	}
}

func TestSizesLeavesOutWhatWasNotMeasured(t *testing.T) {
	var ps []jobs.SizePoint
	for _, p := range sampleSizes() {
		ps = append(ps, jobs.SizePoint{At: p.At, DatabaseBytes: p.DatabaseBytes})
	}
	data, err := Sizes(ps)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	if n := pixels(img, ColorDatabase); n < minLinePixels {
		t.Errorf("database: %d pixels, want at least %d", n, minLinePixels)
	}
	for name, c := range map[string]color.RGBA{"keys table": ColorKeysTable, "keys": ColorKeysRows} {
		if n := pixels(img, c); n != 0 {
			t.Errorf("%s drawn (%d pixels) though never measured", name, n)
		}
	}
}

func TestSizePanels(t *testing.T) {
	tests := []struct {
		name string
		give []jobs.SizePoint
		want [][]string // series names per panel
	}{
		{
			name: "everything measured",
			give: []jobs.SizePoint{
				{At: t0, DatabaseBytes: 2_000_000, KeysTableBytes: 1_000_000, KeysRows: 1500},
				{At: t0.Add(-time.Hour), DatabaseBytes: 1_000_000, KeysTableBytes: 900_000, KeysRows: 1200},
			},
			want: [][]string{{"database, now 2.00 MB", "keys table, now 1.00 MB"}, {"keys, now 1,500"}},
		},
		{
			name: "database only",
			give: []jobs.SizePoint{{At: t0, DatabaseBytes: 5_000_000}},
			want: [][]string{{"database, now 5.00 MB"}},
		},
		{
			name: "nothing measured",
			give: []jobs.SizePoint{{At: t0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			panels := sizePanels(tt.give)
			if len(panels) != len(tt.want) {
				t.Fatalf("%d panels, want %d", len(panels), len(tt.want))
			}
			for i, p := range panels {
				if len(p.series) != len(tt.want[i]) {
					t.Fatalf("panel %q: %d series, want %v", p.title, len(p.series), tt.want[i])
				}
				for j, s := range p.series {
					if s.name != tt.want[i][j] {
						t.Errorf("panel %q series %d: %q, want %q", p.title, j, s.name, tt.want[i][j])
					}
				}
			}
		})
	}
}

func TestBackupsDrawsSizeAndDuration(t *testing.T) {
	data, err := Backups(sampleBackups())
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	for name, c := range map[string]color.RGBA{"size": ColorBackupSize, "duration": ColorBackupTook} {
		if n := pixels(img, c); n < minLinePixels {
			t.Errorf("%s: %d pixels of its colour, want at least %d", name, n, minLinePixels)
		}
	}
	panels := backupPanels(sampleBackups())
	if got := panels[1].series[0].name; got != "last 7.20 s" {
		t.Errorf("duration series %q, want the newest run's", got)
	}
}

func TestOneSampleStillDraws(t *testing.T) {
	data, err := Backups([]jobs.BackupPoint{{At: t0, Bytes: 2_500_000, Duration: 3 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if n := pixels(decode(t, data), ColorBackupTook); n < 100 {
		t.Errorf("a single run: %d pixels of its colour, want its dot", n)
	}
}

func TestNoData(t *testing.T) {
	tests := []struct {
		name string
		draw func() ([]byte, error)
	}{
		{name: "no sizes", draw: func() ([]byte, error) { return Sizes(nil) }},
		{name: "sizes never measured", draw: func() ([]byte, error) { return Sizes([]jobs.SizePoint{{At: t0}}) }},
		{name: "no backups", draw: func() ([]byte, error) { return Backups(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.draw(); !errors.Is(err, ErrNoData) {
				t.Errorf("err %v, want ErrNoData", err)
			}
		})
	}
}

func TestConcurrentRenders(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := Sizes(sampleSizes()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
