package remote

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

// A store with its own CA is reached through CABundle, and only then.
func TestCABundle(t *testing.T) {
	srv := s3test.Start(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "junk.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	cases := []struct {
		name, bundle, want string
	}{
		{"the server's CA", ca, ""},
		{"no bundle: the system's roots refuse it", "", "certificate"},
		{"a file without certificates", notPEM, "no PEM certificate"},
		{"a missing file", filepath.Join(dir, "gone.pem"), "CA bundle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Name: "ca", Bucket: s3test.Bucket, Endpoint: srv.URL, Region: s3test.Region,
				AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey, CABundle: c.bundle, Attempts: 1}
			b, err := New(context.Background(), cfg)
			if err == nil {
				_, err = b.Put(context.Background(), "probe", bytes.NewReader([]byte("x")))
			}
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A store that takes a request and never answers is given up on after
// Silence, with the retries, rather than holding the backup for ever.
func TestSilentStoreIsGivenUpOn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c) // reads the request, never answers
		}
	}()
	b, err := New(context.Background(), Config{Name: "silent", Bucket: "b", Endpoint: "http://" + ln.Addr().String(),
		AccessKeyID: "k", SecretAccessKey: "s", Silence: 100 * time.Millisecond, Attempts: 2,
		Backoff: backoff.Backoff{Min: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = b.Put(ctx, "probe", bytes.NewReader([]byte("x")))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Put to a silent store: %v (context: %v)", err, ctx.Err())
	}
}
