package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// ProbeError is the step of a probe that failed, and why.
type ProbeError struct {
	Step string // "write", "read back", "compare" or "delete"
	Err  error  // an *Error, or what the comparison found
}

func (e *ProbeError) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap lets errors.Is find the kind: ErrDenied at "delete" means these
// credentials may write but not delete (retention there is left to the
// bucket's lifecycle rules).
func (e *ProbeError) Unwrap() error { return e.Err }

// Probe uses the remote the way a backup will: it writes a small object
// under the prefix, reads it back and compares it, and deletes it. The
// error is a *ProbeError naming the step.
func (b *Bucket) Probe(ctx context.Context) error {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	key := ".pgkeeper-probe-" + hex.EncodeToString(nonce[:])
	want := []byte("pgkeeper probe " + key + "\n")
	if _, err := b.Put(ctx, key, bytes.NewReader(want)); err != nil {
		return &ProbeError{Step: "write", Err: err}
	}
	got, err := b.readAll(ctx, key)
	if err != nil {
		return &ProbeError{Step: "read back", Err: err}
	}
	if !bytes.Equal(got, want) {
		return &ProbeError{Step: "compare", Err: fmt.Errorf("read back %d bytes that differ from the %d written", len(got), len(want))}
	}
	if err := b.Delete(ctx, key); err != nil {
		return &ProbeError{Step: "delete", Err: err}
	}
	return nil
}

func (b *Bucket) readAll(ctx context.Context, key string) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	got, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return nil, err
	}
	return got, nil
}
