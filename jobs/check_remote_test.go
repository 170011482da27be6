package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// s3Spec is remote name on srv, with the server's credentials.
func s3Spec(srv *s3test.Server, name string, change ...func(*remote.Config)) jobs.RemoteSpec {
	cfg := remote.Config{
		Name: name, Bucket: s3test.Bucket, Prefix: "pg/prod", Endpoint: srv.URL, Region: s3test.Region,
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey, HTTPClient: srv.Client,
		Attempts: 2, Backoff: backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond},
	}
	for _, c := range change {
		c(&cfg)
	}
	return jobs.RemoteSpec{Name: name, Config: cfg}
}

// `pgkeeper check` on each remote: one line, OK or with the failure and
// its fix, never a secret.
func TestCheckRemote(t *testing.T) {
	srv := s3test.Start(t)
	const wrongSecret = "wrong-secret-do-not-leak"
	tests := []struct {
		name     string
		setup    func(*s3test.Server)
		change   func(*remote.Config)
		wantOK   bool
		wantWarn bool
		want     []string
	}{
		{name: "good", wantOK: true,
			want: []string{"s3://pgkeeper/pg/prod at " + srv.URL, "wrote, read back, listed and deleted a probe object"}},
		{name: "wrong secret", change: func(c *remote.Config) { c.SecretAccessKey = wrongSecret },
			want: []string{"write failed", "the secret key does not match", "Fix: check the access key " + s3test.AccessKeyID,
				"BACKUP_REMOTE_MSK_ACCESS_KEY_ID and BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY"}},
		{name: "temporary keys", change: func(c *remote.Config) { c.SecretAccessKey, c.SessionToken = wrongSecret, "token-do-not-leak" },
			want: []string{"write failed", "BACKUP_REMOTE_MSK_SESSION_TOKEN"}},
		{name: "missing bucket", change: func(c *remote.Config) { c.Bucket = "no-such-bucket" },
			want: []string{"write failed", "missing bucket", "Fix: create bucket no-such-bucket there, or correct it in BACKUP_REMOTES (msk=s3://BUCKET/prefix)",
				"BACKUP_REMOTE_MSK_REGION", "BACKUP_REMOTE_MSK_ENDPOINT"}},
		{name: "deletes denied", setup: func(s *s3test.Server) { s.DenyDeletes(true) }, wantOK: true, wantWarn: true,
			want: []string{"may not delete", "left to the bucket's lifecycle rules", ".pgkeeper-probe-", "s3:DeleteObject"}},
		{name: "everything denied", setup: func(s *s3test.Server) { s.FailNext(1, 403, "AccessDenied") },
			want: []string{"write failed", "access denied", "Fix: grant these keys s3:PutObject, s3:GetObject, s3:DeleteObject, s3:AbortMultipartUpload on arn:aws:s3:::pgkeeper/pg/prod/*",
				"s3:ListBucket"}},
		{name: "clock skew", setup: func(s *s3test.Server) { s.SetClock(time.Hour) },
			want: []string{"this machine's clock is", "the store's", "1h0m0s apart", "timedatectl set-ntp true"}},
		{name: "unreachable", change: func(c *remote.Config) { c.Endpoint = "https://127.0.0.1:1" },
			want: []string{"write failed", "connection refused", "Fix: unreachable: check BACKUP_REMOTE_MSK_ENDPOINT (now https://127.0.0.1:1)"}},
		{name: "untrusted certificate", change: func(c *remote.Config) { c.HTTPClient = nil },
			want: []string{"TLS", "BACKUP_REMOTE_MSK_CA_BUNDLE"}},
		{name: "no keys, a missing profile", change: func(c *remote.Config) {
			c.AccessKeyID, c.SecretAccessKey, c.Profile = "", "", "no-such-profile-pgkeeper"
		}, want: []string{"check profile no-such-profile-pgkeeper", "BACKUP_REMOTE_MSK_PROFILE"}},
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.DenyDeletes(false)
			srv.SetClock(0)
			if tt.setup != nil {
				tt.setup(srv)
			}
			var change []func(*remote.Config)
			if tt.change != nil {
				change = append(change, tt.change)
			}
			got := jobs.CheckRemote(context.Background(), s3Spec(srv, "msk", change...))
			t.Log(got.Detail)
			if got.Name != "remote msk" || got.OK != tt.wantOK || got.Warn != tt.wantWarn {
				t.Errorf("got %+v, want OK %v, Warn %v", got, tt.wantOK, tt.wantWarn)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Detail, w) {
					t.Errorf("%q lacks %q", got.Detail, w)
				}
			}
			for _, secret := range []string{s3test.SecretAccessKey, wrongSecret, "token-do-not-leak", "Credential=", "X-Amz-"} {
				if strings.Contains(got.Detail, secret) {
					t.Errorf("%q shows %q", got.Detail, secret)
				}
			}
			if strings.Contains(got.Detail, "\n") {
				t.Errorf("%q is more than one line", got.Detail)
			}
		})
	}
	// The probe left nothing behind where it could delete.
	srv.DenyDeletes(false)
	b, err := remote.New(context.Background(), s3Spec(srv, "msk", func(c *remote.Config) { c.Prefix = "" }).Config)
	if err != nil {
		t.Fatal(err)
	}
	left, err := b.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 { // the one the denied delete left
		t.Errorf("%d objects left in the bucket, want the one probe a denied delete kept: %v", len(left), left)
	}
}

// ageKey writes a fresh age identity (mode 0600) and returns its path and public key.
func ageKey(t *testing.T) (string, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, id.Recipient().String()
}

// The recipients parse, and each remote's identity opens what is encrypted
// to one of them.
func TestCheckRecipientsAndIdentities(t *testing.T) {
	srv := s3test.Start(t)
	mskKey, mskPub := ageKey(t)
	otherKey, otherPub := ageKey(t)
	openKey, _ := ageKey(t)
	if err := os.Chmod(openKey, 0o644); err != nil {
		t.Fatal(err)
	}
	withID := func(path string) jobs.RemoteSpec { s := s3Spec(srv, "msk"); s.Identity = path; return s }
	tests := []struct {
		name       string
		remotes    []jobs.RemoteSpec
		recipients []string
		want       []string // lines as mark + name + detail fragment
	}{
		{"matches the second recipient", []jobs.RemoteSpec{withID(mskKey)}, []string{otherPub, mskPub},
			[]string{"ok remote msk", "ok encryption copies leave this machine encrypted to 2 public key(s)", "ok identity msk " + mskKey + " opens copies encrypted to recipient 2 of 2"}},
		{"matches none", []jobs.RemoteSpec{withID(otherKey)}, []string{mskPub},
			[]string{"ok encryption", "FAIL identity msk " + otherKey + " holds none of the keys", "age-keygen -y " + otherKey, "BACKUP_REMOTE_MSK_IDENTITY"}},
		{"readable by others", []jobs.RemoteSpec{withID(openKey)}, []string{mskPub},
			[]string{"FAIL identity msk BACKUP_REMOTE_MSK_IDENTITY: identity file readable by others", "chmod 600"}},
		{"no recipients", []jobs.RemoteSpec{withID(mskKey)}, nil,
			[]string{"ok identity msk " + mskKey + " opens; BACKUP_AGE_RECIPIENTS is empty"}},
		{"recipients without remotes", nil, []string{mskPub},
			[]string{"warn encryption BACKUP_AGE_RECIPIENTS is set, but BACKUP_REMOTES is empty"}},
		{"a private key as recipient", nil, []string{"AGE-SECRET-KEY-1DONOTLEAK"},
			[]string{"FAIL encryption BACKUP_AGE_RECIPIENTS: entry 1 (AGE-SECRET-KEY-…): this is a private key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			for _, r := range jobs.CheckRemotes(context.Background(), tt.remotes, tt.recipients) {
				mark := "ok"
				switch {
				case !r.OK:
					mark = "FAIL"
				case r.Warn:
					mark = "warn"
				}
				lines = append(lines, mark+" "+r.Name+" "+r.Detail)
			}
			all := strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
			if strings.Contains(all, "DONOTLEAK") || strings.Contains(all, "AGE-SECRET-KEY-1") {
				t.Errorf("a private key is shown:\n%s", all)
			}
		})
	}
}
