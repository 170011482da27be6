package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// keepOne keeps one daily copy there: of backups on three days, the older
// ones are dropped whatever the tiers.
var keepOne = jobs.Retention{KeepDaily: 1}

// backupOnDay runs a backup as if started day days after a fixed date.
func backupOnDay(t *testing.T, url, dir string, day int, progress func(jobs.BackupProgress), specs ...jobs.RemoteSpec) jobs.BackupReport {
	t.Helper()
	job := offsiteJob(t, url, dir, specs...)
	at := time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	job.Now = func() time.Time { return at }
	r, err := job.Run(context.Background(), jobs.BackupOptions{}, progress)
	if err != nil || !r.OK() {
		t.Fatalf("backup of day %d: %v %+v", day, err, r)
	}
	return r
}

func putObject(t *testing.T, b *remote.Bucket, key string, data []byte) {
	t.Helper()
	if _, err := b.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

func manifestJSON(t *testing.T, m jobs.Manifest) []byte {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Remote retention deletes only this database's copies that Apply drops:
// a stranger's object, another database's backup, another server's backup
// of the same database name, and a copy of ours whose manifest was tampered
// with all survive, byte for byte.
func TestRemoteRetentionDeletesOnlyOurs(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 1000, Days: 30})
	db := openDB(t, url).Database()
	srv := s3test.Start(t)
	spec := remoteSpec(srv, "msk", "p", keepOne)
	b := bucketOf(t, spec)
	copyOf := func(m jobs.Manifest, dump []byte) jobs.Manifest {
		m.Remotes = []jobs.RemoteCopy{{Remote: "msk", Key: m.DumpFile(), Size: int64(len(dump)), SHA256: "x", Verified: true}}
		return m
	}
	dump := []byte("not ours to delete")
	other := copyOf(jobs.Manifest{Format: 1, Name: "otherdb-20200101T000000Z", Database: "otherdb", SystemID: "1",
		Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Kind: jobs.KindDaily, Verified: true}, dump)
	otherServer := copyOf(jobs.Manifest{Format: 1, Name: db + "-20200103T000000Z", Database: db, SystemID: "1",
		Start: time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC), Kind: jobs.KindDaily, Verified: true}, dump)
	strangers := map[string][]byte{
		"notes.txt":                            []byte("someone else's"),
		other.DumpFile():                       dump,
		other.Name + ".manifest.json":          manifestJSON(t, other),
		otherServer.DumpFile():                 dump,
		otherServer.Name + ".manifest.json":    manifestJSON(t, otherServer),
		db + "-20200102T000000Z.dump.zst":      dump,
		db + "-20200102T000000Z.manifest.json": []byte(`{"format": 1, "name": "tampered`),
	}
	for k, v := range strangers {
		putObject(t, b, k, v)
	}

	dir := t.TempDir()
	var rs []jobs.BackupReport
	for day := range 3 {
		rs = append(rs, backupOnDay(t, url, dir, day, nil, spec))
	}
	last := rs[2].Remotes[0]
	if !last.OK() || last.Note != "" || last.Missing != 0 || len(last.Filled) != 0 {
		t.Fatalf("last run's outcome %+v", last)
	}
	var deleted []string
	for _, r := range rs {
		deleted = append(deleted, r.Remotes[0].Deleted...)
	}
	if !slices.Equal(deleted, []string{rs[0].Manifest.DumpFile(), rs[1].Manifest.DumpFile()}) {
		t.Errorf("deleted %v, want the two older copies", deleted)
	}
	var kept []string
	for _, v := range last.Kept {
		if v.Keep {
			kept = append(kept, v.Backup.Name)
		}
	}
	l := remoteListing(t, spec, rs[2].Manifest)
	if got := names(l.Backups); !slices.Equal(got, kept) || !slices.Equal(got, []string{rs[2].Manifest.Name}) {
		t.Errorf("remote holds %v, retention kept %v; want the newest only", got, kept)
	}
	if l.Others != 1 || len(l.Broken) != 1 {
		t.Errorf("listing: %d others, broken %+v; want another server's and the tampered one", l.Others, l.Broken)
	}
	for k, v := range strangers {
		if got, want := objectSHA(t, b, k), shaOf(t, bytes.NewReader(v)); got != want {
			t.Errorf("%s changed or went", k)
		}
	}
	for _, k := range keysIn(t, b) {
		for _, r := range rs[:2] {
			if strings.HasPrefix(k, r.Manifest.Name) {
				t.Errorf("%s of a deleted copy is left", k)
			}
		}
	}
}

// Deletes refused (write-only keys, Object Lock): the copy is made, and
// retention is left to the bucket's lifecycle rules, as a note.
func TestRemoteRetentionWriteOnly(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 1000, Days: 30})
	dir := t.TempDir()
	srv := s3test.Start(t)
	srv.DenyDeletes(true)
	spec := remoteSpec(srv, "msk", "p", keepOne)
	r1 := backupOnDay(t, url, dir, 0, nil, spec)
	r2 := backupOnDay(t, url, dir, 1, nil, spec)
	o := r2.Remotes[0]
	if !o.OK() || r2.RemoteFailed() || len(o.Deleted) != 0 {
		t.Fatalf("outcome %+v, want the copy made and nothing deleted", o)
	}
	if !strings.Contains(o.Note, "retention left to the bucket's lifecycle rules (deletes are refused:") ||
		!strings.Contains(o.Note, "access denied") {
		t.Errorf("note %q", o.Note)
	}
	got := names(remoteListing(t, spec, r2.Manifest).Backups)
	if !slices.Equal(got, []string{r2.Manifest.Name, r1.Manifest.Name}) {
		t.Errorf("remote holds %v, want both copies whole", got)
	}
}

// A listing that fails deletes nothing there.
func TestRemoteRetentionListingFails(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 1000, Days: 30})
	dir := t.TempDir()
	srv := s3test.Start(t)
	spec := remoteSpec(srv, "msk", "p", keepOne)
	r1 := backupOnDay(t, url, dir, 0, nil, spec)
	r2 := backupOnDay(t, url, dir, 1, func(p jobs.BackupProgress) {
		if p.Step == "listing msk" {
			srv.FailNext(remote.DefaultAttempts, http.StatusInternalServerError, "InternalError")
		}
	}, spec)
	o := r2.Remotes[0]
	if !o.OK() || len(o.Deleted) != 0 || len(o.Kept) != 0 || !strings.Contains(o.Note, "could not be listed") {
		t.Fatalf("outcome %+v, want the copy made, a note, nothing deleted", o)
	}
	got := names(remoteListing(t, spec, r2.Manifest).Backups)
	if !slices.Equal(got, []string{r2.Manifest.Name, r1.Manifest.Name}) {
		t.Errorf("remote holds %v, want both copies", got)
	}
}
