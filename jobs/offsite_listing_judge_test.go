package jobs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// What a remote's listing makes of a copy, from what lies in the bucket:
// used only when whole and as recorded, another server's left alone (and
// listed when the live server does not answer), anything else broken with
// its reason; and a copy is found by its name however it is pasted.
func TestRemoteListingJudgesCopies(t *testing.T) {
	_, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 30})
	srv := s3test.Start(t)
	ctx := context.Background()
	if m.SystemID == "" || m.Globals == "" {
		t.Fatalf("the backup lacks a system identifier or roles: %+v", m)
	}
	other := m
	other.SystemID = "1234567890"
	future := m
	future.Start = m.Start.AddDate(70, 0, 0)
	tests := []struct {
		name       string
		setup      func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket)
		anyServer  bool // the live server does not answer
		wantUsable bool
		wantOthers int
		wantReason string
	}{
		{"as uploaded", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) { uploadCopy(t, spec, dir, m) },
			false, true, 0, ""},
		{"another server's", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) { uploadCopy(t, spec, dir, other) },
			false, false, 1, ""},
		{"another server's, the live one down", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			uploadCopy(t, spec, dir, other)
		}, true, true, 0, ""},
		{"no manifest", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			uploadCopy(t, spec, dir, m)
			if err := b.Delete(ctx, m.Name+".manifest.json"); err != nil {
				t.Fatal(err)
			}
		}, false, false, 0, "has no manifest"},
		{"dump lost", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			if err := b.Delete(ctx, uploadCopy(t, spec, dir, m).Key); err != nil {
				t.Fatal(err)
			}
		}, false, false, 0, "has lost its dump"},
		{"dump cut short", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			if _, err := b.Put(ctx, uploadCopy(t, spec, dir, m).Key, bytes.NewReader([]byte("short"))); err != nil {
				t.Fatal(err)
			}
		}, false, false, 0, "has a dump of 5 bytes where its manifest says"},
		{"roles cut short", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			if _, err := b.Put(ctx, uploadCopy(t, spec, dir, m).GlobalsKey, bytes.NewReader([]byte("short"))); err != nil {
				t.Fatal(err)
			}
		}, false, false, 0, "has a roles file of 5 bytes where its manifest says"},
		{"a start not its name's", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) { uploadCopy(t, spec, dir, future) },
			false, false, 0, "not the time in its name"},
		{"manifest does not read", func(t *testing.T, spec jobs.RemoteSpec, b *remote.Bucket) {
			uploadCopy(t, spec, dir, m)
			if _, err := b.Put(ctx, m.Name+".manifest.json", bytes.NewReader([]byte("{not json"))); err != nil {
				t.Fatal(err)
			}
		}, false, false, 0, "has a manifest that does not read"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := remoteOn(srv, "msk", "judge"+string(rune('a'+i)))
			b := bucketOf(t, spec)
			tt.setup(t, spec, b)
			o := jobs.Origin{Database: m.Database, SystemID: m.SystemID}
			if tt.anyServer {
				o.SystemID = ""
			}
			l, err := jobs.ReadRemoteListing(ctx, b, "msk", o)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(l.Backups) == 1; got != tt.wantUsable || l.Others != tt.wantOthers {
				t.Fatalf("usable %v (want %v), others %d (want %d): %+v", got, tt.wantUsable, l.Others, tt.wantOthers, l)
			}
			if tt.wantReason != "" && (len(l.Broken) != 1 || !strings.Contains(l.Broken[0].Reason, tt.wantReason)) {
				t.Fatalf("broken: %+v, want %q", l.Broken, tt.wantReason)
			}
			if tt.wantReason == "" && len(l.Broken) > 0 {
				t.Fatalf("broken: %+v", l.Broken)
			}
			// Complete once (a manifest) and broken since: --verify fails on it.
			wantDamaged := 0
			if tt.wantReason != "" && tt.wantReason != "has no manifest" {
				wantDamaged = 1
			}
			if n := (jobs.RemoteBackups{Listing: l}).Damaged(); n != wantDamaged {
				t.Errorf("damaged %d, want %d", n, wantDamaged)
			}
			if tt.wantUsable {
				for _, name := range []string{"", m.Name, m.DumpFile(), "s3://" + s3test.Bucket + "/x/" + m.Name + ".manifest.json"} {
					if got, err := l.Find(name); err != nil || got.Name != m.Name {
						t.Errorf("find %q: %v %s", name, err, got.Name)
					}
				}
			} else if _, err := l.Find(m.Name); err == nil {
				t.Errorf("found %s, which is not usable", m.Name)
			}
		})
	}
}
