package jobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A follower reads what the writer has written so far, and ends only on the
// verdict: EOF for a verified file that hashes right, an error otherwise.
func TestFollowerEndsOnlyOnTheVerdict(t *testing.T) {
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])
	cases := []struct {
		name    string
		size    int64
		sha     string
		verdict error
		want    string // "" for EOF with every byte
	}{
		{"verified", int64(len(data)), good, nil, ""},
		{"verification failed", int64(len(data)), good, errors.New("verify: row counts differ"), "row counts differ"},
		{"sha256 differs", int64(len(data)), strings.Repeat("0", 64), nil, "sha256"},
		{"shorter than recorded", int64(len(data)) + 10, good, nil, "manifest says"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dump")
			w, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			fl, err := follow(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer fl.Close()
			go func() {
				for off := 0; off < len(data); off += 1 << 20 {
					w.Write(data[off:min(off+1<<20, len(data))])
					time.Sleep(5 * time.Millisecond)
				}
				fl.finish(c.size, c.sha, c.verdict)
			}()
			got, err := io.ReadAll(fl)
			if c.want == "" {
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("read %d of %d bytes: %v", len(got), len(data), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A cancelled run stops a follower that waits for more.
func TestFollowerStopsOnCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump")
	os.WriteFile(path, []byte("abc"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	fl, err := follow(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := io.ReadAll(fl); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
