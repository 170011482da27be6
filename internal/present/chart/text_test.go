package chart

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got+"\n" != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestSizesText(t *testing.T) {
	tests := []struct {
		name string
		give []jobs.SizePoint
	}{
		{name: "sizes-month.txt", give: sampleSizes()},
		{name: "sizes-first-day.txt", give: []jobs.SizePoint{
			{At: t0, DatabaseBytes: 52_000_000},
			{At: t0.Add(5 * time.Hour), KeysTableBytes: 20_000_000, KeysRows: 41_000},
			{At: t0.Add(26 * time.Hour), DatabaseBytes: 54_000_000, KeysTableBytes: 19_000_000, KeysRows: 40_000},
		}},
		{name: "sizes-none.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, SizesText(tt.give)) })
	}
}

func TestBackupsText(t *testing.T) {
	tests := []struct {
		name string
		give []jobs.BackupPoint
	}{
		{name: "backups-month.txt", give: sampleBackups()},
		{name: "backups-one.txt", give: []jobs.BackupPoint{{At: t0, Bytes: 2_500_000, Duration: 3*time.Minute + 5*time.Second}}},
		{name: "backups-none.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, BackupsText(tt.give)) })
	}
}
