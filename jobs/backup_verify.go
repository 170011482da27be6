package jobs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Floors below which a dump cannot hold any data: a custom-format dump of an
// empty database is already larger than minRawBytes. The operators' broken
// script wrote 20-byte files for days.
const (
	minRawBytes        = 1024
	minCompressedBytes = 64
)

// Check names, as the report and alerts show them.
const (
	checkSize       = "larger than an empty dump"
	checkChecksum   = "sha256 matches"
	checkDecompress = "decompresses end to end"
	checkList       = "pg_restore --list lists every table's data"
)

// verifyDump re-reads the written file once: it hashes it, decompresses it
// to the end, and feeds the stream to `pg_restore --list`, whose listing must
// show TABLE DATA for every table counted in the snapshot.
func verifyDump(ctx context.Context, path string, want dumpStats, tables []TableCount, restore Tool) []VerifyCheck {
	checks := []VerifyCheck{{Name: checkSize}}
	if want.raw < minRawBytes || want.compressed < minCompressedBytes {
		checks[0].Detail = fmt.Sprintf("only %d bytes raw, %d compressed", want.raw, want.compressed)
		return checks
	}
	checks[0].OK, checks[0].Detail = true, fmt.Sprintf("%d bytes raw", want.raw)

	// The checksum reads the file on its own, beside the decompression: two
	// cores, two passes at once.
	sums := make(chan string, 1)
	go func() { sums <- fileSHA256(path) }()
	f, err := os.Open(path)
	if err != nil {
		<-sums
		return append(checks, VerifyCheck{Name: checkChecksum, Detail: err.Error()})
	}
	defer f.Close()
	dec, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<20), zstd.WithDecoderConcurrency(2))
	if err != nil {
		<-sums
		return append(checks, VerifyCheck{Name: checkDecompress, Detail: err.Error()})
	}
	defer dec.Close()

	cmd := pgProc(ctx, restore, nil, "--list")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		<-sums
		return append(checks, VerifyCheck{Name: checkList, Detail: err.Error()})
	}
	var listing strings.Builder
	cmd.Stdout = &limitedWriter{w: &listing, max: 16 << 20}
	stderr := newTail(2048)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		<-sums
		return append(checks, VerifyCheck{Name: checkList, Detail: err.Error()})
	}
	// pg_restore --list stops reading after the table of contents; the rest
	// of the stream still has to decompress and hash, into the void.
	sink := &forgivingWriter{w: stdin}
	n, copyErr := io.Copy(sink, dec)
	stdin.Close()
	listErr := cmd.Wait()

	sum := <-sums
	dc := VerifyCheck{Name: checkDecompress}
	switch {
	case copyErr != nil:
		dc.Detail = copyErr.Error()
	case n != want.raw:
		dc.Detail = fmt.Sprintf("%d bytes decompressed, %d dumped", n, want.raw)
	default:
		dc.OK, dc.Detail = true, fmt.Sprintf("%d bytes", n)
	}
	cc := VerifyCheck{Name: checkChecksum, OK: sum == want.sha256, Detail: sum}
	if !cc.OK {
		cc.Detail = fmt.Sprintf("file %s, written %s", sum, want.sha256)
	}
	checks = append(checks, cc, dc)

	lc := VerifyCheck{Name: checkList}
	if listErr != nil {
		lc.Detail = procError("pg_restore --list", listErr, stderr).Error()
		return append(checks, lc)
	}
	listed := tableDataEntries(listing.String())
	var missing []string
	for _, t := range tables {
		if !listed[t.Table] {
			missing = append(missing, t.Table)
		}
	}
	if len(missing) > 0 {
		lc.Detail = "no TABLE DATA for " + strings.Join(missing, ", ")
	} else {
		lc.OK, lc.Detail = true, fmt.Sprintf("%d tables", len(tables))
	}
	return append(checks, lc)
}

// tableDataEntries parses pg_restore --list lines like
// "3345; 0 16390 TABLE DATA public whatsapp_keys owner" into schema.name.
func tableDataEntries(listing string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(listing, "\n") {
		if strings.HasPrefix(line, ";") {
			continue
		}
		i := strings.Index(line, " TABLE DATA ")
		if i < 0 {
			continue
		}
		f := strings.Fields(line[i+len(" TABLE DATA "):])
		if len(f) >= 2 {
			out[f[0]+"."+f[1]] = true
		}
	}
	return out
}

// forgivingWriter writes to w until w fails (the reader went away), then
// discards, so the stream can still be read to its end.
type forgivingWriter struct {
	w      io.Writer
	failed bool
}

func (f *forgivingWriter) Write(p []byte) (int, error) {
	if !f.failed {
		if _, err := f.w.Write(p); err != nil {
			f.failed = true
		}
	}
	return len(p), nil
}

// limitedWriter keeps at most max bytes: a listing is small, a bug is not.
type limitedWriter struct {
	w   io.Writer
	max int
	n   int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n >= l.max {
		return len(p), nil
	}
	q := p
	if l.n+len(q) > l.max {
		q = q[:l.max-l.n]
	}
	l.n += len(q)
	if _, err := l.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

// failedCheck is the first check that did not pass, if any.
func failedCheck(checks []VerifyCheck) (VerifyCheck, bool) {
	for _, c := range checks {
		if !c.OK {
			return c, true
		}
	}
	return VerifyCheck{}, false
}

// ErrVerify means a backup was written but did not pass verification.
var ErrVerify = errors.New("backup failed verification")

// fileSHA256 is the hex sha256 of a file's bytes, or the error's text (which
// then cannot match a checksum).
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return "unreadable: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}
