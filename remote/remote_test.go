package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

const part = MinPartSize // the smallest S3 allows, to keep the tests small

// open is a Bucket on srv under prefix; change adjusts its Config.
func open(t *testing.T, srv *s3test.Server, prefix string, change ...func(*Config)) *Bucket {
	t.Helper()
	cfg := Config{
		Name: "test", Bucket: s3test.Bucket, Prefix: prefix, Endpoint: srv.URL, Region: s3test.Region,
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		PartSize: part, Backoff: backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond},
		HTTPClient: srv.Client,
	}
	for _, c := range change {
		c(&cfg)
	}
	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// data is n pseudo-random bytes and their sha256.
func data(n int) ([]byte, string) {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(n)}).Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func sha(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// onlyReader hides bytes.Reader's Len and Seek: an unknown-size stream.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestPutGetRoundTrip(t *testing.T) {
	srv := s3test.Start(t)
	b := open(t, srv, "pgkeeper/prod")
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"just under a part", part - 1},
		{"exactly one part", part},
		{"one part and a byte", part + 1},
		{"several parts", 3*part + 12345},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, want := data(tt.size)
			key := "daily/" + strings.ReplaceAll(tt.name, " ", "-") + ".dump.zst"
			sent, err := b.Put(context.Background(), key, onlyReader{bytes.NewReader(in)})
			if err != nil {
				t.Fatal(err)
			}
			if sent.Size != int64(tt.size) || sent.SHA256 != want {
				t.Fatalf("Put = %+v, want size %d sha256 %s", sent, tt.size, want)
			}
			rc, err := b.Get(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if got := sha(t, rc); got != want {
				t.Fatalf("read back sha256 %s, want %s", got, want)
			}
			o, err := b.Head(context.Background(), key)
			if err != nil || o.Size != int64(tt.size) || o.Key != key {
				t.Fatalf("Head = %+v, %v; want %s of %d bytes", o, err, key, tt.size)
			}
		})
	}
	if n := srv.Requests(http.MethodPost); n != 2*3 { // create and complete for each of the 3 multipart sizes
		t.Errorf("%d POST requests, want 6: multipart only above one part", n)
	}
}

// pending is the multipart uploads the store still holds in the bucket.
func pending(t *testing.T, b *Bucket) []string {
	t.Helper()
	out, err := b.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &b.bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// leftNothing checks that key has no object and the bucket no pending upload.
func leftNothing(t *testing.T, b *Bucket, key string) {
	t.Helper()
	if _, err := b.Head(context.Background(), key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Head after a failed Put: %v, want ErrNotFound", err)
	}
	if objs, err := b.List(context.Background(), ""); err != nil || len(objs) != 0 {
		t.Errorf("List after a failed Put = %v, %v; want nothing", objs, err)
	}
	if p := pending(t, b); len(p) != 0 {
		t.Errorf("pending multipart uploads %v, want none: a failed upload is aborted", p)
	}
}

// stepReader serves n bytes, calling at(off) before each read.
type stepReader struct {
	left, off int
	at        func(off int) error
}

func (s *stepReader) Read(p []byte) (int, error) {
	if err := s.at(s.off); err != nil {
		return 0, err
	}
	if s.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), s.left, 64<<10)
	clear(p[:n])
	s.left -= n
	s.off += n
	return n, nil
}

func TestPutFailureLeavesNothing(t *testing.T) {
	srv := s3test.Start(t)
	tests := []struct {
		name string
		// fail is called before each read of the source with the offset;
		// cancel cancels the upload's context.
		fail    func(srv *s3test.Server, cancel func(), off int) error
		wantErr error
		say     string // what the error tells
	}{
		{"cancelled during the second part", func(_ *s3test.Server, cancel func(), off int) error {
			if off >= part+part/2 {
				cancel()
			}
			return nil
		}, context.Canceled, "cancelled"},
		{"source fails midway", func(_ *s3test.Server, _ func(), off int) error {
			if off >= part+part/2 {
				return errors.New("disk read error")
			}
			return nil
		}, nil, "disk read error"},
		{"store fails a part every attempt", func(srv *s3test.Server, _ func(), off int) error {
			if off == 2*part-64<<10 { // the last read of part 2, before it is sent
				srv.FailNext(DefaultAttempts, http.StatusInternalServerError, "InternalError")
			}
			return nil
		}, ErrTransient, "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := open(t, srv, strings.ReplaceAll(tt.name, " ", "-"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := &stepReader{left: 4 * part, at: func(off int) error { return tt.fail(srv, cancel, off) }}
			_, err := b.Put(ctx, "x.dump.zst", src)
			if err == nil {
				t.Fatal("Put succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("Put: %v, want it to say %q", err, tt.say)
			}
			leftNothing(t, b, "x.dump.zst")
		})
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	srv := s3test.Start(t)
	b := open(t, srv, "p")
	srv.FailNext(2, http.StatusServiceUnavailable, "SlowDown")
	in, want := data(1000)
	before := srv.Requests(http.MethodPut)
	if sent, err := b.Put(context.Background(), "k", bytes.NewReader(in)); err != nil || sent.SHA256 != want {
		t.Fatalf("Put = %+v, %v", sent, err)
	}
	if n := srv.Requests(http.MethodPut) - before; n != 3 {
		t.Errorf("%d PUT requests, want 3 (two refused, then one through)", n)
	}
	srv.FailNext(100, http.StatusBadRequest, "InvalidArgument")
	_, err := b.Head(context.Background(), "k")
	if err == nil || errors.Is(err, ErrTransient) {
		t.Fatalf("Head: %v, want a permanent error", err)
	}
	srv.FailNext(0, 0, "")
}

func TestListIsUnderThePrefix(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	put := func(b *Bucket, key string) {
		t.Helper()
		if _, err := b.Put(ctx, key, strings.NewReader(key)); err != nil {
			t.Fatal(err)
		}
	}
	ours := open(t, srv, "pgkeeper/prod/")
	put(ours, "daily/a.dump.zst")
	put(ours, "daily/a.dump.zst.manifest.json")
	put(ours, "monthly/b.dump.zst")
	put(open(t, srv, "pgkeeper/prod2"), "daily/c.dump.zst") // shares the prefix's first characters
	put(open(t, srv, "pgkeeper"), "prodx")
	put(open(t, srv, ""), "elsewhere")

	tests := []struct {
		give string
		want []string
	}{
		{"", []string{"daily/a.dump.zst", "daily/a.dump.zst.manifest.json", "monthly/b.dump.zst"}},
		{"daily/", []string{"daily/a.dump.zst", "daily/a.dump.zst.manifest.json"}},
		{"monthly", []string{"monthly/b.dump.zst"}},
		{"weekly/", nil},
	}
	for _, tt := range tests {
		t.Run("prefix "+tt.give, func(t *testing.T) {
			objs, err := ours.List(ctx, tt.give)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
				if o.Size != int64(len(o.Key)) || o.Modified.IsZero() { // each object holds its key
					t.Errorf("%s: size %d, time %v", o.Key, o.Size, o.Modified)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestBadKeysAreRefused(t *testing.T) {
	srv := s3test.Start(t)
	b := open(t, srv, "p")
	ctx := context.Background()
	for _, key := range []string{"", "/x", "x/", "a//b", "..", "../x", "a/../../b", ".", "a/./b", "a\nb", "a\x00b", "\xff"} {
		t.Run(key, func(t *testing.T) {
			before := srv.Requests(http.MethodPut) + srv.Requests(http.MethodGet) + srv.Requests(http.MethodHead) +
				srv.Requests(http.MethodDelete)
			_, perr := b.Put(ctx, key, strings.NewReader("x"))
			_, gerr := b.Get(ctx, key)
			_, herr := b.Head(ctx, key)
			derr := b.Delete(ctx, key)
			for _, err := range []error{perr, gerr, herr, derr} {
				if !errors.Is(err, ErrBadKey) {
					t.Errorf("%v, want ErrBadKey", err)
				}
			}
			after := srv.Requests(http.MethodPut) + srv.Requests(http.MethodGet) + srv.Requests(http.MethodHead) +
				srv.Requests(http.MethodDelete)
			if after != before {
				t.Errorf("%d requests reached the store", after-before)
			}
		})
	}
	for _, prefix := range []string{"../", "/", "a//"} {
		if _, err := b.List(ctx, prefix); !errors.Is(err, ErrBadKey) {
			t.Errorf("List(%q): %v, want ErrBadKey", prefix, err)
		}
	}
	if _, err := New(ctx, Config{Bucket: "b", Prefix: "a/../b"}); err == nil {
		t.Error(`New accepted the prefix "a/../b"`)
	}
}

func TestProbe(t *testing.T) {
	srv := s3test.Start(t)
	tests := []struct {
		name     string
		setup    func(*s3test.Server)
		change   func(*Config)
		wantStep string
		wantErr  error
		wantText []string
	}{
		{name: "passes"},
		{name: "missing bucket", change: func(c *Config) { c.Bucket = "no-such-bucket" },
			wantStep: "write", wantErr: ErrNoBucket, wantText: []string{"missing bucket", "NoSuchBucket"}},
		{name: "unknown access key", change: func(c *Config) { c.AccessKeyID = "AKIAWRONG" },
			wantStep: "write", wantErr: ErrCredentials, wantText: []string{"does not know this access key"}},
		{name: "wrong secret key", change: func(c *Config) { c.SecretAccessKey = "wrong-secret-do-not-leak" },
			wantStep: "write", wantErr: ErrCredentials, wantText: []string{"secret key does not match"}},
		{name: "may not delete", setup: func(s *s3test.Server) { s.DenyDeletes(true) },
			wantStep: "delete", wantErr: ErrDenied, wantText: []string{"access denied", "AccessDenied"}},
		{name: "clock skew", setup: func(s *s3test.Server) { s.SetClock(time.Hour) },
			wantStep: "write", wantErr: ErrClockSkew, wantText: []string{"this machine's clock is", "the store's", "1h0m0s apart"}},
		{name: "unreachable", change: func(c *Config) { c.Endpoint = "https://127.0.0.1:1"; c.Attempts = 2 },
			wantStep: "write", wantErr: ErrTransient, wantText: []string{"connection refused", "after 2 attempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.DenyDeletes(false)
			srv.SetClock(0)
			if tt.setup != nil {
				tt.setup(srv)
			}
			change := func(*Config) {}
			if tt.change != nil {
				change = tt.change
			}
			b := open(t, srv, "probe", change)
			err := b.Probe(context.Background())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *ProbeError
			if !errors.As(err, &pe) || pe.Step != tt.wantStep || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Probe: %v, want step %q and %v", err, tt.wantStep, tt.wantErr)
			}
			msg := err.Error()
			for _, w := range tt.wantText {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, secret := range []string{s3test.SecretAccessKey, "wrong-secret-do-not-leak", "Credential=", "X-Amz-"} {
				if strings.Contains(msg, secret) {
					t.Errorf("%q shows %q", msg, secret)
				}
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("%q is more than one line", msg)
			}
		})
	}
}

func TestAbortStale(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	later := time.Now().Add(2 * time.Hour)
	b := open(t, srv, "ours", func(c *Config) { c.Now = func() time.Time { return later } })
	other := open(t, srv, "theirs")
	// A bucket that never had an upload: gofakes3 says NoSuchUpload, S3 an empty list.
	if n, err := b.AbortStale(ctx, time.Hour, nil); err != nil || n != 0 {
		t.Fatalf("AbortStale on a bucket without uploads = %d, %v; want 0, nil", n, err)
	}
	for _, k := range []string{"ours/a", "ours/b", "ours/not-mine", "theirs/c"} {
		if _, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b.bucket, Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	mine := func(k string) bool { return k != "not-mine" }
	if n, err := b.AbortStale(ctx, 3*time.Hour, mine); err != nil || n != 0 {
		t.Fatalf("AbortStale(3h) = %d, %v; want 0: they are two hours old", n, err)
	}
	if n, err := b.AbortStale(ctx, time.Hour, mine); err != nil || n != 2 {
		t.Fatalf("AbortStale(1h) = %d, %v; want 2", n, err)
	}
	got := pending(t, other)
	slices.Sort(got)
	if !slices.Equal(got, []string{"ours/not-mine", "theirs/c"}) {
		t.Errorf("pending after AbortStale = %q, want only the other prefix's and the one not ours", got)
	}
}

func TestPathStyle(t *testing.T) {
	tests := []struct {
		addressing Addressing
		endpoint   string
		want       bool
	}{
		{AddressingAuto, "", false},
		{AddressingAuto, "https://s3.msk.example.ru", false},
		{AddressingAuto, "https://127.0.0.1:9000", true},
		{AddressingAuto, "http://[::1]:9000", true},
		{AddressingAuto, "http://localhost:9000", true},
		{AddressingAuto, "http://minio.localhost", true},
		{AddressingPath, "https://s3.msk.example.ru", true},
		{AddressingVirtual, "http://127.0.0.1:9000", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.addressing)+" "+tt.endpoint, func(t *testing.T) {
			if got := pathStyle(tt.addressing, tt.endpoint); got != tt.want {
				t.Errorf("pathStyle = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfigProblemsAllAtOnce(t *testing.T) {
	_, err := New(context.Background(), Config{
		Name: "msk", Prefix: "//", Endpoint: "https://key:verysecret@s3.example", Addressing: "dns",
		Checksums: "always", AccessKeyID: "AKIA", PartSize: 1 << 20,
	})
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	msg := err.Error()
	for _, w := range []string{"remote msk", "no bucket", "prefix", "endpoint", "addressing", "checksums", "secret key", "part size"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, "verysecret") {
		t.Errorf("%q shows the password", msg)
	}
}

func TestConfigStringMasksSecrets(t *testing.T) {
	cfg := Config{Name: "msk", Bucket: "b", AccessKeyID: "AKIAVISIBLE", SecretAccessKey: "s3cr3t-key", SessionToken: "t0ken-value"}
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%v", &cfg)} {
		if strings.Contains(s, "s3cr3t-key") || strings.Contains(s, "t0ken-value") || !strings.Contains(s, "AKIAVISIBLE") {
			t.Errorf("%s: want the secret and the token masked, the access key shown", s)
		}
	}
}
