package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
)

// uploadProgressEvery spaces an upload's progress reports; tests shorten
// it to see every part.
var uploadProgressEvery = time.Second

// ErrChanged means a local file no longer holds what its manifest recorded
// when it was verified: it is not copied anywhere.
var ErrChanged = errors.New("changed since it was verified")

// sourceReader reads a local file once for an upload: it counts and reports
// the bytes read, and at the end compares their size and sha256 with what
// the manifest recorded. A mismatch is a read error, not an end: the upload
// is then aborted, so a damaged file never becomes a remote object.
type sourceReader struct {
	r          io.Reader
	name       string
	wantSize   int64  // -1: unknown
	wantSHA256 string // "": unknown
	h          hash.Hash
	n          int64
	last       time.Time
	report     func(sent int64)
}

func newSourceReader(r io.Reader, name string, wantSize int64, wantSHA256 string, report func(int64)) *sourceReader {
	s := &sourceReader{r: r, name: name, wantSize: wantSize, wantSHA256: wantSHA256, report: report}
	if wantSHA256 != "" {
		s.h = sha256.New()
	}
	return s
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.h != nil {
		s.h.Write(p[:n])
	}
	s.n += int64(n)
	if now := time.Now(); now.Sub(s.last) >= uploadProgressEvery {
		s.last = now
		s.report(s.n)
	}
	if err == io.EOF {
		if cerr := s.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// check compares what was read with what was recorded.
func (s *sourceReader) check() error {
	if s.wantSize >= 0 && s.n != s.wantSize {
		return fmt.Errorf("%s %w: %d bytes where its manifest says %d", s.name, ErrChanged, s.n, s.wantSize)
	}
	if s.h == nil {
		return nil
	}
	if got := hex.EncodeToString(s.h.Sum(nil)); got != s.wantSHA256 {
		return fmt.Errorf("%s %w: its sha256 is %s where its manifest says %s", s.name, ErrChanged, got, s.wantSHA256)
	}
	return nil
}

// encrypting is src encrypted to rs, streamed: age writes into a pipe that
// the upload reads, one 64 KiB chunk at a time, so memory stays flat.
type encrypting struct {
	*io.PipeReader
	done chan struct{}
}

func encrypt(src io.Reader, rs []age.Recipient) *encrypting {
	pr, pw := io.Pipe()
	e := &encrypting{PipeReader: pr, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		w, err := seal.Encrypt(pw, rs)
		if err == nil {
			if _, err = io.Copy(w, src); err == nil {
				err = w.Close()
			}
		}
		pw.CloseWithError(err) // nil: the reader sees EOF
	}()
	return e
}

// Close stops the encryption if the upload ended early, and waits for it:
// the source may be closed after this.
func (e *encrypting) Close() error {
	e.PipeReader.CloseWithError(errors.New("upload ended"))
	<-e.done
	return nil
}
