package jobs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

func TestCleanupUndoRestoresExactlyWhatWent(t *testing.T) {
	url := cleanupDB(t, 3000)
	now := time.Now()
	job := cleanupJob(t, url, now)
	pgtest.Exec(t, url, "CREATE TABLE before_run AS SELECT * FROM whatsapp_keys")
	original := checksum(t, url, "SELECT * FROM whatsapp_keys")
	r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
	if err != nil || r.Deleted == 0 {
		t.Fatalf("run: %v %+v", err, r)
	}
	st, err := os.Stat(r.UndoFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("undo file %s: %v %v", r.UndoFile, st.Mode(), err)
	}
	if dir, _ := os.Stat(filepath.Dir(r.UndoFile)); dir.Mode().Perm() != 0o700 {
		t.Errorf("undo dir mode %v", dir.Mode())
	}
	// The live service writes one of the deleted keys again before the undo.
	pgtest.Exec(t, url, `INSERT INTO whatsapp_keys (company_id, key_type, key_id, value)
		SELECT company_id, key_type, key_id, '{"rewritten":1}' FROM before_run b
		WHERE NOT EXISTS (SELECT 1 FROM whatsapp_keys w WHERE (w.company_id, w.key_type, w.key_id) = (b.company_id, b.key_type, b.key_id))
		ORDER BY 1, 2, 3 LIMIT 1`)
	u, err := job.Undo(t.Context(), "")
	if err != nil || u.Run != r.Run || u.Restored != r.Deleted-1 || u.Skipped != 1 || u.Rows != r.Deleted || u.Duration <= 0 {
		t.Fatalf("undo: %v %+v, run deleted %d", err, u, r.Deleted)
	}
	rewritten := `SELECT * FROM %s WHERE (company_id, key_type, key_id) <> (SELECT company_id, key_type, key_id FROM whatsapp_keys WHERE value = '{"rewritten":1}')`
	if checksum(t, url, fmt.Sprintf(rewritten, "whatsapp_keys")) != checksum(t, url, fmt.Sprintf(rewritten, "before_run")) {
		t.Error("undo did not restore the deleted rows exactly")
	}
	if count(t, url, `SELECT count(*) FROM whatsapp_keys WHERE value = '{"rewritten":1}'`) != 1 || checksum(t, url, "SELECT * FROM whatsapp_keys") == original {
		t.Error("the key written since the cleanup lost its new value")
	}
	if _, err := job.Undo(t.Context(), r.Run); err == nil {
		t.Error("a second undo of the same run should be refused")
	}
	// Past the undo window the files go at the next run.
	later := cleanupJob(t, url, now.Add(25*time.Hour))
	later.Config.UndoDir = job.Config.UndoDir
	r2, err := later.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
	if err != nil || len(r2.UndoSwept) != 2 {
		t.Fatalf("sweep: %v %v", err, r2.UndoSwept)
	}
	if _, err := os.Stat(r.UndoFile); !os.IsNotExist(err) {
		t.Errorf("expired undo file still there: %v", err)
	}
}

// TestCleanupUndoAfterACrash: a run that died before writing its manifest is
// still listed (rows unknown) and still undone, from the undo file alone.
func TestCleanupUndoAfterACrash(t *testing.T) {
	url := cleanupDB(t, 1000)
	job := cleanupJob(t, url, time.Now())
	original := checksum(t, url, "SELECT * FROM whatsapp_keys")
	r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
	if err != nil || r.Deleted == 0 {
		t.Fatalf("run: %v %+v", err, r)
	}
	if err := os.Remove(strings.TrimSuffix(r.UndoFile, ".zst") + ".json"); err != nil {
		t.Fatal(err)
	}
	runs, err := job.ListUndo(t.Context())
	if err != nil || len(runs) != 1 || runs[0].Run != r.Run || runs[0].Rows != -1 || runs[0].Complete {
		t.Fatalf("list without a manifest: %v %+v", err, runs)
	}
	u, err := job.Undo(t.Context(), "")
	if err != nil || u.Restored != r.Deleted || u.Skipped != 0 || checksum(t, url, "SELECT * FROM whatsapp_keys") != original {
		t.Fatalf("undo without a manifest: %v %+v (deleted %d)", err, u, r.Deleted)
	}
}

// Two databases sharing BACKUP_DIR/undo: one's undo files are never listed,
// undone or swept by the other's cleanups.
func TestCleanupUndoFilesOfAnotherDatabaseAreLeftAlone(t *testing.T) {
	now := time.Now()
	a, b := cleanupDB(t, 1000), cleanupDB(t, 1000)
	ja := cleanupJob(t, a, now)
	r, err := ja.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
	if err != nil || r.Deleted == 0 {
		t.Fatalf("run: %v %+v", err, r)
	}
	jb := cleanupJob(t, b, now)
	jb.Config.UndoDir = ja.Config.UndoDir
	if runs, err := jb.ListUndo(t.Context()); err != nil || len(runs) != 0 {
		t.Fatalf("b lists a's cleanups: %+v %v", runs, err)
	}
	before := checksum(t, b, "SELECT * FROM whatsapp_keys")
	if _, err := jb.Undo(t.Context(), r.Run); err == nil {
		t.Fatal("b undid a's cleanup")
	}
	if checksum(t, b, "SELECT * FROM whatsapp_keys") != before {
		t.Fatal("b's table changed")
	}
	later := cleanupJob(t, b, now.Add(25*time.Hour))
	later.Config.UndoDir = ja.Config.UndoDir
	if r2, err := later.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil); err != nil || len(r2.UndoSwept) != 0 {
		t.Fatalf("b's cleanup swept %v (%v)", r2.UndoSwept, err)
	}
	if _, err := os.Stat(r.UndoFile); err != nil {
		t.Errorf("a's undo file is gone: %v", err)
	}
	if u, err := ja.Undo(t.Context(), r.Run); err != nil || u.Restored != r.Deleted {
		t.Errorf("a's own undo: %v %+v", err, u)
	}
}

// TestCleanupUndoTellsNeverDeletedFromWrittenAgain: an undo file can hold
// rows that are still in the table as it holds them (a batch that did not
// commit before a crash or a broken connection). The undo counts those apart
// from keys the live service wrote again since, and the report says which.
func TestCleanupUndoTellsNeverDeletedFromWrittenAgain(t *testing.T) {
	url := cleanupDB(t, 1000)
	job := cleanupJob(t, url, time.Now())
	pgtest.Exec(t, url, "CREATE TABLE before_run AS SELECT * FROM whatsapp_keys")
	r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
	if err != nil || r.Deleted < 3 {
		t.Fatalf("run: %v %+v", err, r)
	}
	const gone = `SELECT b.* FROM before_run b WHERE NOT EXISTS (SELECT 1 FROM whatsapp_keys w
		WHERE (w.company_id, w.key_type, w.key_id) = (b.company_id, b.key_type, b.key_id)) ORDER BY 1, 2, 3`
	// One deleted row back exactly as it was: as if its batch never committed.
	pgtest.Exec(t, url, "INSERT INTO whatsapp_keys SELECT * FROM ("+gone+" LIMIT 1) g")
	// Another written again by the live service, with a new value.
	pgtest.Exec(t, url, `INSERT INTO whatsapp_keys (company_id, key_type, key_id, value)
		SELECT company_id, key_type, key_id, '{"rewritten":1}' FROM (`+gone+` LIMIT 1) g`)
	u, err := job.Undo(t.Context(), "")
	if err != nil || u.Restored != r.Deleted-2 || u.Skipped != 1 || u.Unchanged != 1 || u.Rows != r.Deleted {
		t.Fatalf("undo: %v restored %d, skipped %d, unchanged %d of %d (deleted %d)", err, u.Restored, u.Skipped, u.Unchanged, u.Rows, r.Deleted)
	}
	for _, f := range []render.Format{render.HTML, render.Plain} {
		text := render.CleanupUndo(u, f)
		if !strings.Contains(text, "1 skipped (written again since") || !strings.Contains(text, "1 already there unchanged (never deleted") {
			t.Errorf("report:\n%s", text)
		}
	}
	runs, err := job.ListUndo(t.Context())
	if err != nil || len(runs) != 1 || runs[0].UndoneAt == nil || runs[0].Skipped != 1 || runs[0].Unchanged != 1 {
		t.Errorf("undo manifest: %v %+v", err, runs)
	}
}
