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
	"os/exec"
	"sync/atomic"
	"syscall"

	"github.com/klauspost/compress/zstd"
)

// dumpStats is what streaming a dump produced.
type dumpStats struct {
	raw, compressed int64
	sha256          string
}

// counter counts bytes passing through, readable while they pass (progress).
type counter struct{ n atomic.Int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// newEncoder is pgkeeper's compression: zstd at its fastest level on every
// core, which keeps up with pg_dump -Z0 where pg_dump's own zlib or gzip cannot
// (bench/backup).
func newEncoder(w io.Writer) (*zstd.Encoder, error) {
	return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
}

// compressionName is recorded in manifests.
const compressionName = "zstd-fastest"

// streamDump runs cmd (pg_dump writing to stdout) and streams its output,
// compressed and hashed, into f. Memory stays flat: nothing is buffered beyond
// fixed-size buffers. raw and compressed count bytes as they pass.
func streamDump(ctx context.Context, cmd *exec.Cmd, f *os.File, raw, compressed *counter) (dumpStats, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return dumpStats{}, fmt.Errorf("pg_dump: %w", err)
	}
	stderr := newTail(4096)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return dumpStats{}, fmt.Errorf("start pg_dump: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	enc, err := newEncoder(io.MultiWriter(bw, h, compressed))
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return dumpStats{}, fmt.Errorf("zstd: %w", err)
	}
	_, copyErr := io.Copy(enc, io.TeeReader(stdout, raw))
	if copyErr == nil {
		copyErr = enc.Close()
	} else {
		enc.Close()
	}
	if copyErr == nil {
		copyErr = bw.Flush()
	}
	if copyErr != nil {
		// Stop pg_dump at once: the file cannot take more.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if ctx.Err() != nil {
			return dumpStats{}, fmt.Errorf("pg_dump stopped: %w", ctx.Err())
		}
		if said := stderr.String(); said != "" {
			return dumpStats{}, &toolError{tool: "pg_dump", said: said, err: writeError(copyErr)}
		}
		return dumpStats{}, writeError(copyErr)
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return dumpStats{}, fmt.Errorf("pg_dump stopped: %w", ctx.Err())
		}
		return dumpStats{}, procError("pg_dump", err, stderr)
	}
	if err := f.Sync(); err != nil {
		return dumpStats{}, writeError(err)
	}
	return dumpStats{raw: raw.n.Load(), compressed: compressed.n.Load(), sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// ErrDiskFull means the backup directory ran out of space.
var ErrDiskFull = errors.New("disk full")

func writeError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("write backup: %w (%v): free space in BACKUP_DIR or lower BACKUP_KEEP_DAILY", ErrDiskFull, err)
	}
	return fmt.Errorf("write backup: %w", err)
}
