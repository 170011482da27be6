package jobs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// A backup run aborts the stale multipart uploads of this database's names
// under its prefix, and leaves anyone else's, however old.
func TestStaleUploadsOfOursAreAborted(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 30})
	db := openDB(t, url).Database()
	srv := s3test.Start(t)
	ctx := context.Background()
	client := s3.New(s3.Options{Region: s3test.Region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		HTTPClient:  srv.Client,
		Credentials: credentials.NewStaticCredentialsProvider(s3test.AccessKeyID, s3test.SecretAccessKey, "")})
	ours := "p/" + db + "-20200101T000000Z.dump.zst"
	for _, k := range []string{ours, "p/someone-elses.bin", "q/" + db + "-20200101T000000Z.dump.zst"} {
		if _, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s3test.Bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	// Two days on, those uploads are stale.
	later := func(c *remote.Config) { c.Now = func() time.Time { return time.Now().Add(48 * time.Hour) } }
	r, err := offsiteJob(t, url, t.TempDir(), remoteSpec(srv, "msk", "p", jobs.Retention{KeepDaily: 7}, later)).
		Run(ctx, jobs.BackupOptions{}, nil)
	if err != nil || r.RemoteFailed() {
		t.Fatalf("backup: %v %+v", err, r.Remotes)
	}
	if r.Remotes[0].Aborted != 1 {
		t.Errorf("aborted %d stale uploads, want 1 (ours)", r.Remotes[0].Aborted)
	}
	out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s3test.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, u := range out.Uploads {
		left = append(left, aws.ToString(u.Key))
	}
	slices.Sort(left)
	if want := []string{"p/someone-elses.bin", "q/" + db + "-20200101T000000Z.dump.zst"}; !slices.Equal(left, want) {
		t.Errorf("uploads left %q, want %q", left, want)
	}
	if strings.Contains(strings.Join(left, " "), ours) {
		t.Errorf("our stale upload survived")
	}
}
