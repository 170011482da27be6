package jobs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// stallingGets hands out the first `after` bytes of each GET of a key
// with suffix, then fails the read (cut) or waits for the request's end
// (stall, for a cancel to find it mid-stream).
type stallingGets struct {
	suffix string
	after  int64
	cut    bool
	next   http.RoundTripper
}

func (s stallingGets) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, s.suffix) {
		return resp, err
	}
	resp.Body = &stallingBody{ReadCloser: resp.Body, left: s.after, cut: s.cut, ctx: r.Context()}
	return resp, nil
}

type stallingBody struct {
	io.ReadCloser
	left int64
	cut  bool
	ctx  context.Context
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.cut {
			return 0, syscall.ECONNRESET
		}
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// A download cut midway, or a run cancelled midway (SIGTERM): the run
// fails saying so (not "damaged"), the scratch database or the new one is
// dropped, and no verdict on the backup is recorded.
func TestRestoreFromRemoteInterrupted(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	srv := s3test.Start(t)
	keyFile, to := newIdentity(t, 0o600)
	spec := remoteOn(srv, "msk", "cut")
	c := uploadCopy(t, spec, dir, m, to)
	tests := []struct {
		name    string
		cut     bool
		into    string
		wantErr error
	}{
		{"connection cut, restore test", true, "", jobs.ErrRemoteRead},
		{"connection cut, recovery", true, dbNameOf(url) + "_cut", jobs.ErrRemoteRead},
		{"cancelled, restore test", false, "", context.Canceled},
		{"cancelled, recovery", false, dbNameOf(url) + "_cancelled", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cut := spec
			cut.Config.HTTPClient = &http.Client{Transport: stallingGets{suffix: ".dump.zst.age", after: c.Size / 2, cut: tt.cut,
				next: srv.Client.Transport}}
			job := restoreJob(t, url, dir, pgtest.BinDir(t))
			job.Config.Remotes = []jobs.RemoteSpec{cut}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			before := len(proofs(t, dir, m))
			r, err := job.Run(ctx, jobs.RestoreOptions{From: "msk", Identity: keyFile, Into: tt.into, Trigger: "test"},
				func(p jobs.RestoreProgress) {
					if !tt.cut && p.Step == "restoring" {
						cancel()
					}
				})
			if !errors.Is(err, tt.wantErr) || errors.Is(err, jobs.ErrCorruptBackup) || r.FailedAt != "restore" {
				t.Fatalf("want %v at restore, got %v (at %s)", tt.wantErr, err, r.FailedAt)
			}
			t.Logf("reason: %s", r.Error)
			if r.Kept || !r.Dropped || (tt.into != "" && dbExists(t, tt.into)) {
				t.Errorf("something restored was left: %+v", r)
			}
			if left := scratchLeft(t, url); len(left) > 0 {
				t.Errorf("scratch databases left: %v", left)
			}
			if n := len(proofs(t, dir, m)); n != before {
				t.Errorf("an interrupted download was recorded as a verdict on the backup (%d → %d proofs)", before, n)
			}
		})
	}
}
