package bot_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/present/chart"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// trendsJobs are realJobs with a run history that has seen a status report
// and a real backup: the samples /trends draws.
func trendsJobs(t *testing.T) (*bottest.Harness, jobs.BackupReport) {
	t.Helper()
	j, url := realJobs(t, pgtest.Seed{Companies: 2, Keys: 800, Days: 40})
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(t.Context(), store.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	h := &jobs.History{DB: db}
	status := j.Status.(*jobs.Status)
	status.History = h
	status.Run(t.Context())
	r, err := jobs.RecordedBackup{Backup: j.Backup.(*jobs.Backup), History: h}.Run(t.Context(), jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Trends = func(ctx context.Context) (jobs.TrendsReport, error) { return h.Trends(ctx, time.UTC) }
	return bottest.Start(t, j, nil), r
}

func TestTrendsSendsCharts(t *testing.T) {
	h, _ := trendsJobs(t)
	h.API.SendText(bottest.Admin, "/trends")
	var photos []telegramtest.Call
	for _, want := range []string{"keys table size", "Backups: size and duration"} {
		photos = append(photos, h.API.WaitCall(t, "sendPhoto", func(c telegramtest.Call) bool {
			return strings.Contains(c.Params["caption"], want)
		}, 20*time.Second))
	}
	for _, c := range photos {
		img, err := png.Decode(bytes.NewReader(c.Upload("photo")))
		if err != nil {
			t.Fatalf("%q: not a PNG: %v", c.Params["caption"], err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("%q: a %dx%d picture", c.Params["caption"], b.Dx(), b.Dy())
		}
		if c.Params["chat_id"] != "1001" || c.Params["parse_mode"] != "HTML" {
			t.Errorf("photo sent to %s as %q", c.Params["chat_id"], c.Params["parse_mode"])
		}
	}
	// The samples were drawn: each series' colour is in its picture.
	series := [][]color.RGBA{{chart.ColorDatabase, chart.ColorKeysTable, chart.ColorKeysRows}, {chart.ColorBackupSize, chart.ColorBackupTook}}
	for i, c := range photos {
		img, _ := png.Decode(bytes.NewReader(c.Upload("photo")))
		for _, want := range series[i] {
			if !hasColor(img, want) {
				t.Errorf("%q lacks the series drawn in %v", c.Params["caption"], want)
			}
		}
	}
	if n := h.API.Count("sendMessage"); n != 0 {
		t.Errorf("%d text messages besides the charts", n)
	}
}

func hasColor(img image.Image, c color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				return true
			}
		}
	}
	return false
}

func TestTrendsFallsBackToText(t *testing.T) {
	h, backup := trendsJobs(t)
	h.API.FailNext("sendPhoto", 2, 502, "<html><body>502 Bad Gateway</body></html>")
	h.API.SendText(bottest.Admin, "/trends")
	sizes := h.Reply(t, bottest.Admin, "Sizes by day")
	if !strings.Contains(sizes.Params["text"], "keys table size") || !strings.Contains(sizes.Params["text"], "<pre>") {
		t.Errorf("sizes fallback:\n%s", sizes.Params["text"])
	}
	backups := h.Reply(t, bottest.Admin, "Backups, newest first")
	if want := humanize.Bytes(backup.Manifest.CompressedBytes); !strings.Contains(backups.Params["text"], want) {
		t.Errorf("backups fallback lacks the backup's size %s:\n%s", want, backups.Params["text"])
	}
}
