package chart

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// writeSamples, when set, is a directory the sample charts are written to,
// for a person to look at: go test ./internal/chart -run Sample -samples /tmp
var writeSamples = flag.String("samples", "", "write sample charts to this directory")

var t0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

// sampleSizes is a month of daily samples: a database growing, its keys table
// growing and then pruned by a cleanup on day 20.
func sampleSizes() []jobs.SizePoint {
	var ps []jobs.SizePoint
	for d := 30; d >= 0; d-- {
		keys := int64(900_000 + (30-d)*9_000)
		if d < 10 {
			keys -= 150_000
		}
		ps = append(ps, jobs.SizePoint{
			At:             t0.AddDate(0, 0, -d),
			DatabaseBytes:  1_000_000_000 + int64(30-d)*4_000_000,
			KeysTableBytes: keys * 550,
			KeysRows:       keys,
		})
	}
	return ps
}

// sampleBackups is a month of nightly backups.
func sampleBackups() []jobs.BackupPoint {
	var rs []jobs.BackupPoint
	for d := 30; d >= 0; d-- {
		rs = append(rs, jobs.BackupPoint{
			At:       time.Date(2026, 11, 28-d, 3, 0, 0, 0, time.UTC),
			Bytes:    400_000_000 + int64(30-d)*1_500_000 + int64(d%3)*5_000_000,
			Duration: 6*time.Second + time.Duration((30-d)*40+d%4*300)*time.Millisecond,
		})
	}
	return rs
}

func TestWriteSamples(t *testing.T) {
	if *writeSamples == "" {
		t.Skip("no -samples directory")
	}
	for name, draw := range map[string]func() ([]byte, error){
		"pgkeeper-chart-sample.png":  func() ([]byte, error) { return Sizes(sampleSizes()) },
		"pgkeeper-chart-backups.png": func() ([]byte, error) { return Backups(sampleBackups()) },
		"pgkeeper-chart-first-day.png": func() ([]byte, error) {
			return Sizes([]jobs.SizePoint{
				{At: t0, DatabaseBytes: 52_000_000},
				{At: t0.Add(5 * time.Hour), DatabaseBytes: 53_500_000, KeysTableBytes: 20_000_000, KeysRows: 41_000},
				{At: t0.Add(11 * time.Hour), DatabaseBytes: 54_000_000, KeysTableBytes: 21_000_000, KeysRows: 43_500},
			})
		},
		"pgkeeper-chart-one-backup.png": func() ([]byte, error) {
			return Backups([]jobs.BackupPoint{{At: t0, Bytes: 2_500_000, Duration: 3 * time.Minute}})
		},
	} {
		png, err := draw()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*writeSamples, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
