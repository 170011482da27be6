package render

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestPage(t *testing.T) {
	tests := []struct {
		name      string
		give      Page
		n         int
		wantCount int
		wantFrom  int
		wantTo    int
		wantLast  bool
		wantIndex int
	}{
		{"no items", Page{0, 8}, 0, 1, 0, 0, true, 0},
		{"one page", Page{0, 8}, 8, 1, 0, 8, true, 0},
		{"first of two", Page{0, 8}, 9, 2, 0, 8, false, 0},
		{"second of two", Page{1, 8}, 9, 2, 8, 9, true, 1},
		{"past the end: the last", Page{5, 8}, 17, 3, 16, 17, true, 2},
		{"before the start: the first", Page{-1, 8}, 17, 3, 0, 8, false, 0},
		{"size 0: all on one", Page{3, 0}, 40, 1, 0, 40, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.give.Span(tt.n)
			if c := tt.give.Count(tt.n); c != tt.wantCount || from != tt.wantFrom || to != tt.wantTo ||
				tt.give.Last(tt.n) != tt.wantLast || tt.give.In(tt.n).Index != tt.wantIndex {
				t.Errorf("count %d span %d–%d last %v index %d", c, from, to, tt.give.Last(tt.n), tt.give.In(tt.n).Index)
			}
		})
	}
}

func TestBackupsPages(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var l jobs.Listing
	for i := range 10 {
		at := now.Add(-time.Duration(i) * 24 * time.Hour)
		l.Backups = append(l.Backups, jobs.Manifest{Name: fmt.Sprintf("wa-b%02d", i), Database: "wa", Start: at,
			Kind: jobs.KindDaily, CompressedBytes: 1 << 20})
	}
	l.Broken = []jobs.BrokenBackup{{Name: "wa-x1", Reason: "has no manifest", Bytes: 1 << 10},
		{Name: "wa-x2", Reason: "has no manifest", Bytes: 1 << 10}}
	tests := []struct {
		name    string
		page    int
		want    []string
		notWant []string
	}{
		{"first page", 0, []string{"Backups · 10 · page 1 of 2", "wa-b00", "wa-b07", "total 10.5 MB"},
			[]string{"wa-b08", "Broken", "--prune-broken"}},
		{"last page: the rest, then the broken ones", 1,
			[]string{"Backups · 10 · page 2 of 2", "wa-b08", "wa-b09", "Broken · 2 · 2.05 kB", "wa-x1", "wa-x2", "--prune-broken", "total 10.5 MB"},
			[]string{"wa-b07"}},
		{"past the end: the last page", 7, []string{"page 2 of 2", "wa-x2"}, []string{"wa-b00"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				got := BackupsPage(l, 1<<30, now, f, Page{Index: tt.page, Size: 8})
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("lacks %q:\n%s", w, got)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(got, w) {
						t.Errorf("has %q:\n%s", w, got)
					}
				}
			})
		}
	}
	// A short list is one page, as Backups always showed it.
	short := jobs.Listing{Backups: l.Backups[:3], Broken: l.Broken}
	if got, all := BackupsPage(short, 1<<30, now, HTML, Page{Size: 8}), Backups(short, 1<<30, now, HTML); got != all {
		t.Errorf("one page differs from the whole list:\n%s\n---\n%s", got, all)
	}
}

func TestHistoryPageHeadings(t *testing.T) {
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	run := func(job string, o vocab.Outcome) vocab.Run {
		return vocab.Run{Job: job, Trigger: vocab.TriggerSchedule, Outcome: o, StartedAt: at, EndedAt: at.Add(time.Minute)}
	}
	failed, err := jobs.ParseHistoryFilter("backup failed")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give jobs.HistoryReport
		want string
	}{
		{"everything on one page", jobs.HistoryReport{Runs: []vocab.Run{run("backup", "ok")}, Total: 1}, "Last 1 runs"},
		{"nothing yet", jobs.HistoryReport{}, "Nothing has run yet."},
		{"second page", jobs.HistoryReport{Runs: []vocab.Run{run("backup", "ok")}, Total: 11, Offset: 10},
			"Runs 11–11 of 11 · page 2 of 2"},
		{"filtered", jobs.HistoryReport{Runs: []vocab.Run{run("backup", "failed")}, Total: 1, Filter: failed},
			"Runs · backup failed · 1–1 of 1"},
		{"filtered, none", jobs.HistoryReport{Filter: failed}, "No run matches backup failed. /history alone shows every run."},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				if got := HistoryPage(tt.give, 10, f); !strings.Contains(got, tt.want) {
					t.Errorf("lacks %q:\n%s", tt.want, got)
				}
			})
		}
	}
}
